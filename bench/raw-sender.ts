import { connect, type Socket } from 'node:net';
import { REQUEST_TIMEOUT_MS, type Outcome, type Sender, type Shot } from './load.js';

interface Pending {
  resolve: (o: Outcome) => void;
  reject: (e: Error) => void;
  since: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The request as bytes. Built when the shots are made (`withWire`), outside the measured phases,
 * as wrk's requests are; the shot's body becomes a view into them.
 */
export function withWire(s: Shot): Shot {
  let head = `POST ${s.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Length: ${s.body.length}\r\n`;
  for (const [k, v] of Object.entries(s.headers)) if (k.toLowerCase() !== 'content-length') head += `${k}: ${v}\r\n`;
  const headBytes = Buffer.from(`${head}\r\n`, 'latin1');
  const wire = Buffer.concat([headBytes, s.body]);
  return { ...s, body: wire.subarray(headBytes.length), wire };
}

/** Parses one response from the front of `buf`: its outcome and length, or undefined if incomplete. */
export function parseResponse(buf: Buffer): { outcome: Outcome; length: number; close: boolean } | undefined {
  const headEnd = buf.indexOf(HEADER_END);
  if (headEnd < 0) return undefined;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const bodyStart = headEnd + 4;
  // The server will close this connection after the answer: no further request goes on it.
  const close = /\r\nconnection:\s*close/.test(lower);
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
  if (cl) {
    const end = bodyStart + Number(cl[1]);
    if (buf.length < end) return undefined;
    return { outcome: { status, body: buf.toString('utf8', bodyStart, end) }, length: end, close };
  }
  if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (!Number.isFinite(size) || size < 0) throw new Error('malformed chunk size');
      if (size === 0) {
        // The last chunk, then trailers (if any) up to an empty line.
        const end = buf.indexOf(HEADER_END, lineEnd);
        if (end < 0) return undefined;
        return { outcome: { status, body: Buffer.concat(parts).toString('utf8') }, length: end + 4, close };
      }
      const dataEnd = lineEnd + 2 + size;
      if (buf.length < dataEnd + 2) return undefined;
      parts.push(buf.subarray(lineEnd + 2, dataEnd));
      at = dataEnd + 2;
    }
  }
  // No length and not chunked: an empty body (every target here sends one of the two otherwise).
  return { outcome: { status, body: '' }, length: bodyStart, close };
}

/** One keep-alive connection: requests in order, one at a time. */
class Connection {
  readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  pending: Pending | undefined;
  closed = false;

  constructor(port: number, onFree: (c: Connection) => void, onClose: (c: Connection) => void) {
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      // Bytes nobody asked for would be taken as the next request's answer: the connection goes.
      if (!this.pending) return this.socket.destroy(new Error('unexpected data'));
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      let parsed;
      try {
        parsed = parseResponse(this.buf);
      } catch (err) {
        return this.socket.destroy(err instanceof Error ? err : new Error(String(err)));
      }
      if (!parsed) return;
      this.buf = this.buf.subarray(parsed.length);
      const p = this.pending;
      this.pending = undefined;
      p.resolve(parsed.outcome);
      if (parsed.close) this.socket.destroy();
      else onFree(this);
    });
    const fail = (e: Error) => {
      if (this.closed) return;
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
      onClose(this);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('socket closed')));
  }

  send(bytes: Buffer, p: Pending) {
    // The timeout counts from here, as node:http's does from the socket, not from the queue.
    p.since = Date.now();
    this.pending = p;
    this.socket.write(bytes);
  }
}

/**
 * A lean HTTP/1.1 client for the load generator, in the manner of wrk or autocannon: keep-alive
 * sockets, each request written as one prebuilt buffer, each response read by its status line,
 * `Content-Length` (or chunked encoding) and body. node:http's client spends about as much CPU on
 * a request as the servers measured here spend answering it; on this 2-core machine the generator
 * then takes a core's worth of the CPU the targets share, which caps a target that uses two
 * threads (the bot: its door and its bot thread) but not one that uses one (the adapter, the
 * echo). Feishu's servers are not on the bot's machine; a cheaper generator is closer to that.
 * The same shape as load.ts's createSender: `send` resolves with the status and body.
 */
export function createRawSender(port: number, maxSockets: number): Sender {
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const queue: { bytes: Buffer; p: Pending }[] = [];
  const onFree = (c: Connection) => {
    const next = queue.shift();
    if (next) c.send(next.bytes, next.p);
    else idle.push(c);
  };
  const open = () => {
    const c = new Connection(port, onFree, onClose);
    all.add(c);
    return c;
  };
  const onClose = (c: Connection) => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    // Requests waiting for a socket get a new one in place of the closed one.
    const next = queue.shift();
    if (next && !stopped) open().send(next.bytes, next.p);
  };
  let stopped = false;
  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of all) if (c.pending && now - c.pending.since > REQUEST_TIMEOUT_MS) c.socket.destroy(new Error('timeout'));
  }, 1000);
  timer.unref();
  const send = (s: Shot) =>
    new Promise<Outcome>((resolve, reject) => {
      const bytes = (s.wire ?? withWire(s).wire)!;
      const p: Pending = { resolve, reject, since: Date.now() };
      const c = idle.pop();
      if (c) return c.send(bytes, p);
      if (all.size < maxSockets) return open().send(bytes, p);
      queue.push({ bytes, p });
    });
  const close = () => {
    stopped = true;
    clearInterval(timer);
    for (const c of all) c.socket.destroy();
    for (const q of queue.splice(0)) q.p.reject(new Error('sender closed'));
  };
  return { send, close };
}
