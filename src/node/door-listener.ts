import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { DoorAnswer, DoorRequest } from '../door.js';
import { declaredOver, nodeHeaderReader, type HeaderReader } from '../lark/read-body.js';
import type { Logger } from '../logger.js';

const DOOR_PATHS = new Set(['/lark/events', '/lark/card']);

/**
 * The door thread's request listener: Feishu's two paths go straight from node:http to the door's
 * checks (door.ts `createDoorCheck`), everything else to `rest` (the Hono app that hands requests
 * to the bot thread). The door is the bot's hot path: Hono's request and context objects were
 * about a tenth of its work per event (bench/, eleventh round).
 */
export function doorListener(check: (req: DoorRequest) => Promise<DoorAnswer>, rest: RequestListener, logger: Logger): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method !== 'POST' || !DOOR_PATHS.has(path)) return rest(req, res);
    const header = nodeHeaderReader(req.headers);
    check({ path, header, body: (max) => readIncoming(req, header, max) })
      .then(
        (a) => answer(req, res, a.status, JSON.stringify(a.json) ?? '{}'),
        (err: unknown) => {
          // Nothing was acknowledged (the journal write failed, or the request broke off): Feishu retries.
          logger.error({ path, err: err instanceof Error ? err.message : String(err) }, 'door failed');
          answer(req, res, 500, '{"error":"internal error"}');
        },
      )
      .catch((err: unknown) => {
        // An answer that could not be written (a value JSON cannot hold): the connection goes, the process stays.
        logger.error({ path, err: err instanceof Error ? err.message : String(err) }, 'door answer failed');
        res.destroy();
      });
  };
}

function answer(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  // With its length declared, node:http sends the answer as is (not chunked). Answered before the
  // body was read to the end (it was too big): the connection is closed, so that node:http does
  // not go on reading and dropping the rest of it.
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (!req.complete) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * The raw body as text, or `undefined` when it is over `maxBytes`: a declared Content-Length is
 * checked before anything is read, a chunked body counted as it comes.
 */
function readIncoming(req: IncomingMessage, header: HeaderReader, maxBytes: number): Promise<string | undefined> {
  if (declaredOver(header, maxBytes)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.off('end', onEnd);
        resolve(undefined);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('request aborted')));
  });
}
