import type { Context, HonoRequest } from 'hono';
import type { IncomingHttpHeaders } from 'node:http';

export type HeaderReader = (lowercaseName: string) => string | undefined;

/** Reads the headers node:http has parsed (a repeated header's values joined, as Fetch's `Headers` does). */
export function nodeHeaderReader(headers: IncomingHttpHeaders): HeaderReader {
  return (name) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
}

/**
 * Whether a declared Content-Length is over `maxBytes` (or not a length at all); undefined when
 * none is declared (a chunked body, which has to be counted as it comes).
 */
export function declaredOver(header: HeaderReader, maxBytes: number): boolean | undefined {
  const declared = header('content-length');
  if (declared === undefined || header('transfer-encoding') !== undefined) return undefined;
  const n = Number(declared);
  return !Number.isSafeInteger(n) || n < 0 || n > maxBytes;
}

/**
 * Reads request headers. On Node (@hono/node-server, whose bindings carry the `incoming`
 * message) straight from the headers Node has parsed; `c.req.header()` there first builds a
 * Fetch `Headers` copy of them all for each request. Elsewhere (Workers) through `c.req`.
 */
export function headerReader(c: Context): HeaderReader {
  const incoming = (c.env as { incoming?: { headers?: unknown } } | undefined)?.incoming;
  const headers = incoming?.headers;
  if (headers && typeof headers === 'object') return nodeHeaderReader(headers as IncomingHttpHeaders);
  return (name) => c.req.header(name);
}

/**
 * The raw request body as text, or `undefined` when it is over `maxBytes`.
 *
 * A declared Content-Length is checked before anything is read. Then the body is read with
 * `req.text()`, which @hono/node-server serves straight from the socket's buffers. (hono's
 * `bodyLimit` middleware looks at `req.raw.body` first, and on Node that builds a full Fetch
 * `Request` and a web stream for every request: about a third of the door's cost, bench/.)
 * A body without a declared length (chunked) is read as a stream and counted as it comes.
 */
export async function readBody(req: HonoRequest, header: HeaderReader, maxBytes: number): Promise<string | undefined> {
  const over = declaredOver(header, maxBytes);
  if (over) return undefined;
  // Node's HTTP parser delivers exactly the declared length, no more.
  if (over === false) return req.text();
  const stream = req.raw.body;
  if (!stream) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
