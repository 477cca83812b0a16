import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toast } from '../cards/card-kit.js';
import { openSqlite, type OpenedSqlite } from '../db/open-sqlite.js';
import { deliveryByKey } from '../db/repos/inbound.js';
import { defineAction, type CardActionTable } from '../handlers/on-card-action.js';
import { createApp } from '../src/app.js';
import { createBotApp, createDeps, ROUTES } from '../src/compose.js';
import type { LarkCredentials } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { cardActionEvent, envelope, messageEvent, sealEvent } from '../src/sandbox/feishu-events.js';
import { createOpenApiEmulator, type OpenApiEmulator } from '../src/sandbox/open-api-emulator.js';
import type { Deps } from '../src/usecases/deps.js';
import { textOf } from './helpers/message-text.js';

/**
 * Feishu retries an event not answered within 3 s: the door acknowledges a message at once and
 * handles it afterwards, and answers a card press within 3 s whatever the press costs. The
 * harness's emulator answers at once, so these run the same parts (createBotApp / createApp,
 * createDeps, a SQLite file, the Open API emulator) against an emulator with its latency option
 * set: every Open API call the handling makes takes `latencyMs`.
 */

let seq = 0;

function listen(fetch: (r: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

interface Rig {
  url: string;
  emu: OpenApiEmulator;
  /** When the emulator answered each request (after its latency), in order. */
  answered: { path: string; at: number }[];
  creds: LarkCredentials;
  deps: Deps;
  sqlite: OpenedSqlite;
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The bot on a SQLite file of its own, talking to an emulator that waits `latencyMs` before each
 * answer. With `actions`, the app is built with them beside the real action table.
 */
async function startRig(latencyMs: number, actions?: CardActionTable): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'pledge-ack-'));
  const appId = `cli_ack_${process.pid}_${++seq}`;
  const emu = createOpenApiEmulator({ appId, appSecret: 'secret', latencyMs });
  const answered: Rig['answered'] = [];
  const api = await listen(async (req) => {
    const res = await emu.app.fetch(req);
    answered.push({ path: new URL(req.url).pathname, at: Date.now() });
    return res;
  });
  const creds: LarkCredentials = { appId, appSecret: 'secret', encryptKey: 'ack-encrypt-key', verificationToken: 'ack-verification-token', domain: api.url };
  const sqlite = openSqlite(join(dir, 'bot.sqlite'));
  // Default settings: real clock, Feishu's rate limits, no card timeout of the test's own.
  const deps = createDeps({ db: sqlite.db, lark: creds, logger: silentLogger, timeZone: 'Asia/Shanghai' });
  const pending = new Set<Promise<unknown>>();
  const defer = (task: () => Promise<unknown>) => {
    const p: Promise<unknown> = task().catch(() => undefined).finally(() => pending.delete(p));
    pending.add(p);
  };
  const app = actions
    ? createApp({ deps, secrets: { encryptKey: creds.encryptKey, verificationToken: creds.verificationToken }, routes: { ...ROUTES, actions: { ...ROUTES.actions, ...actions } }, defer })
    : createBotApp(deps, creds, defer);
  const bot = await listen(app.fetch);
  const rig: Rig = {
    url: bot.url,
    emu,
    answered,
    creds,
    deps,
    sqlite,
    async settle() {
      for (let i = 0; i < 50 && pending.size > 0; i++) await Promise.allSettled([...pending]);
    },
    async close() {
      await rig.settle();
      bot.server.close();
      (api.server as Server).closeAllConnections();
      api.server.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Posts one event as Feishu does (enveloped, encrypted, signed); the response and how long it took. */
async function post(rig: Rig, eventType: string, event: unknown, eventId: string) {
  const sealed = sealEvent(rig.creds, envelope(rig.creds, eventType, event, { eventId }));
  const t0 = Date.now();
  const res = await fetch(`${rig.url}/lark/events`, { method: 'POST', headers: sealed.headers, body: sealed.body });
  const body: unknown = await res.json();
  return { status: res.status, body, ms: Date.now() - t0, at: Date.now() };
}

/** Calls the handling makes to the Open API (every one but the token, which comes first). */
const apiCalls = (emu: OpenApiEmulator) => emu.requests.filter((r) => !r.path.startsWith('/open-apis/auth/'));

describe('acknowledged in time', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a group message is acknowledged at once, before its handling has asked the Open API anything', async () => {
    const LATENCY = 1_500;
    rig = await startRig(LATENCY);
    // A person's message in a group, @-mentioning the bot: to know it was mentioned, the handling
    // needs the bot's own open_id (GET /bot/v3/info, after a token: two slow calls).
    const messageId = 'om_ack_group_1';
    const chatId = 'oc_ack_group';
    rig.emu.messages.push({ messageId, chatId, receiveId: chatId, receiveIdType: 'chat_id', msgType: 'text', content: JSON.stringify({ text: '@_user_1 帮助' }), uuid: undefined, replyTo: undefined, createdAt: Date.now(), updatedAt: Date.now(), version: 1, senderOpenId: 'ou_ack_member' });
    const event = messageEvent({ openId: 'ou_ack_member', chatId, chatType: 'group', text: '@_user_1 帮助', messageId, mentions: [{ openId: rig.emu.botOpenId, name: '践诺助手' }] });

    const res = await post(rig, 'im.message.receive_v1', event, 'ev_ack_group_1');
    // What is true the moment the 200 is in hand:
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0 });
    const row = await deliveryByKey(rig.deps.db, 'ev_ack_group_1');
    expect(row?.status).toBe('pending'); // stored, not yet handled
    expect(apiCalls(rig.emu)).toEqual([]); // the handling has not asked for the bot's open_id yet
    expect(rig.answered).toEqual([]); // nor had any answer from the Open API
    expect(res.ms).toBeLessThan(LATENCY);

    // …and the handling does happen afterwards, through the slow emulator.
    await rig.settle();
    expect((await deliveryByKey(rig.deps.db, 'ev_ack_group_1'))?.status).toBe('done');
    const info = rig.emu.requests.find((r) => r.path === '/open-apis/bot/v3/info');
    expect(info).toBeDefined();
    expect(info!.at).toBeGreaterThanOrEqual(res.at);
    const replies = rig.emu.inChat(chatId).filter((m) => !m.senderOpenId);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.replyTo).toBe(messageId);
    expect(textOf(replies[0]!.content)).toContain('我的 / me');
  });

  it('a card press that takes longer than 3 s is answered "已收到，正在处理…" within 3 s (default settings), its real answer kept for a repeat', async () => {
    const LATENCY = 2_000;
    let handled = 0;
    // An action that asks the Open API (the bot's open_id): a token, then /bot/v3/info, each
    // 2 s behind the emulator's latency — about 4 s in all.
    const slowLookup = defineAction({
      value: z.object({}),
      async handle(deps) {
        const id = await deps.lark.botOpenId();
        handled++;
        return toast('success', `机器人 ${id}`);
      },
    });
    rig = await startRig(LATENCY, { 'test.slow_lookup': slowLookup });
    const event = cardActionEvent({ openId: 'ou_ack_presser', value: { action: 'test.slow_lookup' }, messageId: 'om_ack_card', chatId: 'oc_p2p_ack_presser' });

    const first = await post(rig, 'card.action.trigger', event, 'ev_ack_card_1');
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(3_000);
    expect(first.body).toEqual(toast('info', '已收到，正在处理…'));
    expect(handled).toBe(0);
    expect(await deliveryByKey(rig.deps.db, 'ev_ack_card_1')).toMatchObject({ status: 'pending', response: null });

    // It goes on after the answer, and really takes longer than Feishu's 3 s.
    await rig.settle();
    expect(handled).toBe(1);
    const info = rig.answered.find((a) => a.path === '/open-apis/bot/v3/info');
    expect(info!.at - (first.at - first.ms)).toBeGreaterThan(3_000);
    const real = toast('success', `机器人 ${rig.emu.botOpenId}`);
    const row = await deliveryByKey(rig.deps.db, 'ev_ack_card_1');
    expect(row?.status).toBe('done');
    expect(JSON.parse(row!.response!)).toEqual(real);

    // Feishu repeats the press (same event_id): the stored answer, at once, not handled again.
    const again = await post(rig, 'card.action.trigger', event, 'ev_ack_card_1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(real);
    expect(again.ms).toBeLessThan(LATENCY);
    await rig.settle();
    expect(handled).toBe(1);
  });
});
