import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeLine, segmentName } from '../src/node/journal-format.js';
import { cardActionEvent, envelope, messageEvent, sealEvent, type EventSecrets } from '../src/sandbox/feishu-events.js';
import { startEmulatorServer, type EmulatorServer } from './helpers/emulator-server.js';
import { textOf } from './helpers/message-text.js';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.js';
import { waitUntil } from './helpers/wait-until.js';

/**
 * The Node entry as `npm start` runs it with Feishu credentials: the door thread answers and
 * journals, the bot thread stores, handles and replies, against the fake Open API over HTTP.
 */
describe('the Node entry (door thread + bot thread)', () => {
  let api: EmulatorServer;
  let bot: NodeProcess;
  let seq = 0;
  const secrets: EventSecrets & { appSecret: string } = {
    appId: `cli_node_${process.pid}`,
    appSecret: 'node-secret',
    encryptKey: 'node-encrypt-key',
    verificationToken: 'node-verification-token',
  };

  beforeEach(async () => {
    api = await startEmulatorServer({ appId: secrets.appId, appSecret: secrets.appSecret });
    bot = await startNodeProcess({
      env: {
        LARK_APP_ID: secrets.appId,
        LARK_APP_SECRET: secrets.appSecret,
        LARK_ENCRYPT_KEY: secrets.encryptKey,
        LARK_VERIFICATION_TOKEN: secrets.verificationToken,
        LARK_DOMAIN: api.url,
      },
      ready: /pledge-bot listening/,
    });
  });
  afterEach(async () => {
    await bot.dispose();
    api.close();
  });

  const post = (eventType: string, event: unknown, eventId = `ev_node_${++seq}`, path = '/lark/events') => {
    const sealed = sealEvent(secrets, envelope(secrets, eventType, event, { eventId }));
    return fetch(`${bot.url}${path}`, { method: 'POST', headers: sealed.headers, body: sealed.body });
  };
  const say = (who: string, text: string, messageId = `om_node_${++seq}`, eventId?: string) => {
    api.saidIn(messageId, `oc_p2p_${who}`);
    return post('im.message.receive_v1', messageEvent({ openId: `ou_${who}`, chatId: `oc_p2p_${who}`, chatType: 'p2p', text, messageId }), eventId);
  };
  // On a timeout, what the bot printed says why.
  const until = (what: string, done: () => boolean) =>
    waitUntil(what, done, 15_000).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; bot output:\n${bot.logs.join('').slice(-3000)}`);
    });

  it('acknowledges a message at once and replies from the bot thread; forwards /healthz; refuses a bad signature', async () => {
    const res = await say('a', '帮助');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 0 });
    await until('the reply to a', () => api.emu.inChat('oc_p2p_a').length === 1);
    expect(textOf(api.emu.inChat('oc_p2p_a')[0]!.content)).toContain('帮助');

    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    const sealed = sealEvent(secrets, envelope(secrets, 'im.message.receive_v1', messageEvent({ openId: 'ou_x', chatId: 'oc_p2p_x', chatType: 'p2p', text: '帮助' })));
    const forged = await fetch(`${bot.url}/lark/events`, { method: 'POST', headers: { ...sealed.headers, 'x-lark-signature': '0'.repeat(64) }, body: sealed.body });
    expect(forged.status).toBe(401);
  });

  it('answers a card press from the bot thread within Feishu’s 3 s', async () => {
    const res = await post('card.action.trigger', cardActionEvent({ openId: 'ou_b', value: { action: 'me.show' }, messageId: 'om_card_b', chatId: 'oc_p2p_b' }), 'ev_card_b', '/lark/card');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { toast?: { type: string } };
    expect(body.toast?.type).toBeDefined();
    expect(body.toast?.type).not.toBe('error');
  });

  it('a card press answered "processing" because the bot thread was stuck is not lost when the process then dies', async () => {
    // Another connection holds the write lock: the bot thread's next write waits on it (SQLite's
    // busy_timeout blocks the thread), so the press is not taken before the door's 2.9 s.
    const lock = new BetterSqlite3(bot.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    try {
      await say('d', '帮助'); // a write for the bot thread to get stuck on
      const res = await post('card.action.trigger', cardActionEvent({ openId: 'ou_d', value: { action: 'me.show' }, messageId: 'om_card_d', chatId: 'oc_p2p_d' }), 'ev_card_d', '/lark/card');
      expect(((await res.json()) as { toast?: { content: string } }).toast?.content).toBe('已收到，正在处理…');
      await bot.kill();
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await bot.start();
    await until('the help answer and the identity card', () => api.emu.inChat('oc_p2p_d').length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(api.emu.inChat('oc_p2p_d').map((m) => m.msgType)).toEqual(['interactive', 'interactive']);
    // Handled once: its row done at the first try (a second handling would be a second try).
    const db = new BetterSqlite3(bot.dbPath, { readonly: true });
    try {
      expect(db.prepare(`SELECT status, attempts FROM inbound_events WHERE key = 'ev_card_d'`).all()).toEqual([{ status: 'done', attempts: 1 }]);
    } finally {
      db.close();
    }
  });

  it('one message delivered 20 times at once is answered once', async () => {
    const all = await Promise.all(Array.from({ length: 20 }, () => say('c', '帮助', 'om_dup_c', 'ev_dup_c')));
    expect(all.map((r) => r.status)).toEqual(Array(20).fill(200));
    await until('the reply to c', () => api.emu.inChat('oc_p2p_c').length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(api.emu.inChat('oc_p2p_c')).toHaveLength(1);
  });

  it('killed right after acknowledging a burst, it answers every message exactly once after a restart', async () => {
    const people = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const acks = await Promise.all(people.map((p) => say(p, '帮助')));
    expect(acks.map((r) => r.status)).toEqual(Array(40).fill(200));
    await bot.kill(); // SIGKILL: whatever was journalled, stored, handled or queued is where it was
    await bot.start();
    await until('a reply to everyone', () => people.every((p) => api.emu.inChat(`oc_p2p_${p}`).length >= 1));
    await new Promise((r) => setTimeout(r, 500));
    for (const p of people) expect(api.emu.inChat(`oc_p2p_${p}`)).toHaveLength(1);
    expect(readdirSync(`${bot.dbPath}.inbox`)).toHaveLength(1); // only the running door's own segment
  });

  it('reads a journal an earlier run left behind before it answered anything', async () => {
    await bot.stop();
    // What a door thread acknowledged and journalled just before the machine went down.
    const jdir = `${bot.dbPath}.inbox`;
    mkdirSync(jdir, { recursive: true });
    const plain = envelope(secrets, 'im.message.receive_v1', messageEvent({ openId: 'ou_left', chatId: 'oc_p2p_left', chatType: 'p2p', text: '帮助', messageId: 'om_left' }), { eventId: 'ev_left' });
    api.saidIn('om_left', 'oc_p2p_left');
    const line = encodeLine({ keys: ['ev_left', 'msg:om_left'], type: 'im.message.receive_v1', payload: JSON.stringify(plain), chatId: 'oc_p2p_left', receivedAt: new Date() });
    writeFileSync(join(jdir, segmentName(1000)), line);
    await bot.start();
    await until('the reply to the journalled message', () => api.emu.inChat('oc_p2p_left').length === 1);
    expect(textOf(api.emu.inChat('oc_p2p_left')[0]!.content)).toContain('帮助');
  });
});
