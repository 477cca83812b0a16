import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Shot } from '../bench/load.js';
import { createRawSender, parseResponse, withWire } from '../bench/raw-sender.js';

/** The bench's lean client is how every throughput figure is measured: it must read answers right. */
const shot = (path: string, body = '{"a":1}'): Shot => ({ path, headers: { 'content-type': 'application/json', 'x-probe': 'p' }, body: Buffer.from(body), kind: 'm', check: () => true });

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Echoes what it received: method, path, a header, the body (by Content-Length, or chunked for /chunked). */
async function start(): Promise<number> {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const seen = JSON.stringify({ method: req.method, url: req.url, probe: req.headers['x-probe'], body: Buffer.concat(parts).toString() });
      if (req.url === '/close') {
        req.socket.destroy();
        return;
      }
      if (req.url === '/chunked') {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.write(seen.slice(0, 5));
        setTimeout(() => res.end(seen.slice(5)), 5);
        return;
      }
      if (req.url === '/bye') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(seen), connection: 'close' }).end(seen);
        return;
      }
      if (req.url === '/empty') {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(seen) }).end(seen);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server!.address() as AddressInfo).port;
}

describe('bench lean HTTP client', () => {
  it('sends the request as given and reads Content-Length, chunked and empty answers on one kept-alive socket', async () => {
    const port = await start();
    const sender = createRawSender(port, 1);
    try {
      const plain = await sender.send(withWire(shot('/lark/events', '{"加":"密"}')));
      expect(plain.status).toBe(200);
      expect(JSON.parse(plain.body)).toEqual({ method: 'POST', url: '/lark/events', probe: 'p', body: '{"加":"密"}' });
      const chunked = await sender.send(shot('/chunked'));
      expect(chunked.status).toBe(202);
      expect(JSON.parse(chunked.body)).toMatchObject({ url: '/chunked', body: '{"a":1}' });
      expect(await sender.send(shot('/empty'))).toEqual({ status: 204, body: '' });
      // More requests than sockets: they wait their turn, answered in the order asked.
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => sender.send(shot(`/n${i}`))));
      expect(many.map((m) => JSON.parse(m.body).url)).toEqual(Array.from({ length: 20 }, (_, i) => `/n${i}`));
    } finally {
      sender.close();
    }
  });

  it('fails a request whose socket closes, and later requests go out on a new one', async () => {
    const port = await start();
    const sender = createRawSender(port, 1);
    try {
      await expect(sender.send(shot('/close'))).rejects.toThrow();
      expect((await sender.send(shot('/after'))).status).toBe(200);
      // An answer that says the connection closes: the next request goes out on a new one, not into it.
      expect((await sender.send(shot('/bye'))).status).toBe(200);
      expect(JSON.parse((await sender.send(shot('/then'))).body).url).toBe('/then');
    } finally {
      sender.close();
    }
  });

  it('parses a response only once it is whole', () => {
    const whole = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"code":0}\nHTTP/1.1');
    expect(parseResponse(whole.subarray(0, 30))).toBeUndefined();
    expect(parseResponse(whole)).toEqual({ outcome: { status: 200, body: '{"code":0}\n' }, length: whole.length - 8, close: false });
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    expect(parseResponse(chunked.subarray(0, chunked.length - 2))).toBeUndefined();
    expect(parseResponse(chunked)?.outcome).toEqual({ status: 200, body: 'abcde' });
    expect(parseResponse(chunked)?.length).toBe(chunked.length);
    const trailers = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nab\r\n0\r\nX-T: 1\r\n\r\n');
    expect(parseResponse(trailers)).toEqual({ outcome: { status: 200, body: 'ab' }, length: trailers.length, close: true });
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'))).toThrow('malformed chunk size');
  });
});
