import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toast } from '../cards/card-kit.js';
import { createDoorCheck } from '../src/door.js';
import { signBody } from '../src/lark/crypto.js';
import { silentLogger } from '../src/logger.js';
import { doorListener } from '../src/node/door-listener.js';
import { openJournalWriter, type JournalWriter } from '../src/node/journal-writer.js';
import { cardActionEvent, envelope, messageEvent, sealEvent, type EventSecrets } from '../src/sandbox/feishu-events.js';

/**
 * The Node door thread serves Feishu's two paths from node:http itself (no Hono): the same checks
 * and refusals as everywhere, each accepted event in the journal before its 200, nothing for a
 * refused one; every other request goes on to the rest of the app.
 */
const secrets: EventSecrets = { appId: 'cli_listener', encryptKey: 'listener-encrypt-key', verificationToken: 'listener-token' };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, path: string, headers: Record<string, string>, parts: string[], method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // The door may answer 400 and close before every part is written.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('the Node door listener', () => {
  let dir: string;
  let journal: JournalWriter;
  let server: Server;
  let port: number;
  const pressed: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'door-listener-'));
    journal = openJournalWriter({ dir, endOfTurn: () => undefined });
    const check = createDoorCheck({
      secrets,
      logger: silentLogger,
      now: () => new Date(),
      intake: {
        store: (d) => journal.append(d),
        card: async (eventId) => {
          pressed.push(eventId);
          // An answer JSON cannot hold (a bug elsewhere) must cost one connection, not the process.
          if (eventId === 'ev_unwritable') return { n: 1n } as unknown as ReturnType<typeof toast>;
          return toast('success', '好');
        },
      },
    });
    const rest = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(404, { 'content-type': 'text/plain' }).end('rest');
    server = createServer(doorListener(check, rest, silentLogger));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const journalled = () =>
    readdirSync(dir)
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('')
      .split('\n')
      .filter(Boolean);
  const message = (text: string) => sealEvent(secrets, envelope(secrets, 'im.message.receive_v1', messageEvent({ openId: 'ou_l', chatId: 'oc_p2p_l', chatType: 'p2p', text })));

  it('journals a signed message before its 200, read whole or in chunks, and says it is JSON', async () => {
    const one = message('帮助');
    const res = await send(port, '/lark/events', one.headers, [one.body]);
    expect(res).toMatchObject({ status: 200, body: '{"code":0}' });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['content-length']).toBe('10');
    expect(journalled()).toHaveLength(1);

    const two = message('我的');
    const { 'content-length': _, ...chunkedHeaders } = two.headers as Record<string, string>;
    const cut = Math.floor(two.body.length / 2);
    const chunked = await send(port, '/lark/events?from=feishu', { ...chunkedHeaders, 'transfer-encoding': 'chunked' }, [two.body.slice(0, cut), two.body.slice(cut)]);
    expect(chunked).toMatchObject({ status: 200, body: '{"code":0}' });
    expect(journalled()).toHaveLength(2);
  });

  it('answers a card press with the intake’s card', async () => {
    const sealed = sealEvent(secrets, envelope(secrets, 'card.action.trigger', cardActionEvent({ openId: 'ou_l', value: { action: 'me.show' }, messageId: 'om_l', chatId: 'oc_p2p_l' }), { eventId: 'ev_press' }));
    const res = await send(port, '/lark/card', sealed.headers, [sealed.body]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(toast('success', '好'));
    expect(res.headers.connection).toBe('keep-alive');
    expect(pressed).toEqual(['ev_press']);

    const bad = sealEvent(secrets, envelope(secrets, 'card.action.trigger', cardActionEvent({ openId: 'ou_l', value: { action: 'me.show' }, messageId: 'om_l', chatId: 'oc_p2p_l' }), { eventId: 'ev_unwritable' }));
    await expect(fetch(`http://127.0.0.1:${port}/lark/card`, { method: 'POST', headers: bad.headers, body: bad.body })).rejects.toThrow();
    expect((await send(port, '/lark/card', sealed.headers, [sealed.body])).status).toBe(200);
  });

  it('refuses a bad signature (401), an oversized body declared or chunked (400), and journals none of them', async () => {
    const sealed = message('帮助');
    const forged = await send(port, '/lark/events', { ...sealed.headers, 'x-lark-signature': '0'.repeat(64) }, [sealed.body]);
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toEqual({ error: 'bad signature' });

    const big = JSON.stringify({ encrypt: 'A'.repeat(2 * 1024 * 1024) });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = { 'content-type': 'application/json', 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': 'n', 'x-lark-signature': signBody(timestamp, 'n', secrets.encryptKey, big) };
    const declared = await send(port, '/lark/events', { ...headers, 'content-length': String(Buffer.byteLength(big)) }, [big]);
    expect(declared.status).toBe(400);
    // Refused before its body was read: the connection closes rather than read the rest to drop it.
    expect(declared.headers.connection).toBe('close');
    const parts = Array.from({ length: 32 }, (_, i) => big.slice(i * 65_536, (i + 1) * 65_536));
    const chunked = await send(port, '/lark/events', { ...headers, 'transfer-encoding': 'chunked' }, parts);
    expect(chunked.status).toBe(400);
    expect(JSON.parse(chunked.body)).toEqual({ error: 'body too large' });
    expect(journalled()).toEqual([]);
  });

  it('answers 500 when the journal cannot take the event (nothing acknowledged), and leaves other requests to the app', async () => {
    journal.close();
    const sealed = message('帮助');
    const res = await send(port, '/lark/events', sealed.headers, [sealed.body]);
    expect(res.status).toBe(500);
    expect(journalled()).toEqual([]);

    expect((await send(port, '/lark/events', {}, [], 'GET')).body).toBe('rest');
    expect((await send(port, '/healthz', {}, [], 'GET')).body).toBe('rest');
    expect((await send(port, '/lark/events/', {}, ['{}'])).body).toBe('rest');
  });
});
