import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../src/lark/crypto.js';
import { messageEvent } from '../src/sandbox/feishu-events.js';
import { startHarness, type Harness } from './helpers/harness.js';

/** Posts `parts` one after another with chunked transfer encoding (no Content-Length). */
function postChunked(h: Harness, headers: Record<string, string>, parts: string[]): Promise<{ status: number; body: string }> {
  const url = new URL(`${h.url}/lark/events`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // The server may answer 400 and close before every part is written.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('the door reads bodies of undeclared length (chunked) too', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('accepts a sealed event sent in chunks, byte for byte as signed', async () => {
    const sealed = h.seal('im.message.receive_v1', messageEvent({ openId: 'ou_chunk', chatId: 'oc_p2p_chunk', chatType: 'p2p', text: '帮助' }));
    const cut = Math.floor(sealed.body.length / 3);
    const res = await postChunked(h, sealed.headers, [sealed.body.slice(0, cut), sealed.body.slice(cut, 2 * cut), sealed.body.slice(2 * cut)]);
    expect(res).toEqual({ status: 200, body: '{"code":0}' });
    await h.settle();
    expect(h.emu.inChat('oc_p2p_chunk')).toHaveLength(1);
  });

  it('refuses a chunked body over 1 MB with 400 and stores nothing', async () => {
    const before = await h.counts();
    const body = JSON.stringify({ encrypt: 'A'.repeat(2 * 1024 * 1024) });
    const timestamp = String(Math.floor(h.clock.now().getTime() / 1000));
    const headers = {
      'content-type': 'application/json',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': 'n',
      'x-lark-signature': signBody(timestamp, 'n', h.creds.encryptKey, body),
    };
    const parts = Array.from({ length: 32 }, (_, i) => body.slice(i * 65_536, (i + 1) * 65_536)).filter(Boolean);
    const res = await postChunked(h, headers, parts);
    expect(res.status).toBe(400);
    await h.settle();
    expect(await h.counts()).toEqual(before);
  });
});
