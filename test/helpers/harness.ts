import { serve, type ServerType } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { openSqlite, type OpenedSqlite } from '../../db/open-sqlite.js';
import { createApp } from '../../src/app.js';
import { createBotApp, createDeps, ROUTES } from '../../src/compose.js';
import type { CardActionTable } from '../../handlers/on-card-action.js';
import type { LarkCredentials } from '../../src/config.js';
import type { DrainResult } from '../../src/lark/outbox.js';
import { silentLogger } from '../../src/logger.js';
import { tick, type TickReport } from '../../src/tick.js';
import type { Deps } from '../../src/usecases/deps.js';
import type { EmulatorUser, OpenApiEmulator } from '../../src/sandbox/open-api-emulator.js';
import { startEmulatorServer } from './emulator-server.js';
import {
  cardActionEvent,
  envelope,
  messageEvent,
  sealEvent,
  type CardActionInput,
  type MessageEventInput,
  type SignedRequest,
} from '../../src/sandbox/feishu-events.js';

let appSeq = 0;

const SaidMessage = z.object({ message: z.object({ message_id: z.string(), chat_id: z.string() }) });

function listen(fetch: (r: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

export interface HarnessOptions {
  /** People the emulator's contact API knows (batch_get_id by mobile/email). */
  users?: EmulatorUser[];
  /** A clock of your own; without it the harness clock (real time + `advance`) is used. */
  now?: () => Date;
  dir?: string;
  keepDb?: boolean;
  /** Every Open API answer waits this long (the emulator's latency). */
  latencyMs?: number;
  /** Card actions beside the real table (e.g. one that takes a while). */
  actions?: CardActionTable;
}

export interface Harness {
  url: string;
  emu: OpenApiEmulator;
  /** When the emulator answered each request, in order. */
  answered: { path: string; at: number }[];
  creds: LarkCredentials;
  deps: Deps;
  sqlite: OpenedSqlite;
  dbPath: string;
  /** The bot's clock: real time shifted by `advance` (unless `now` was given). */
  clock: { now(): Date; advance(ms: number): void };
  /** Waits until all work deferred after responses has finished. */
  settle(): Promise<void>;
  /** An event enveloped, encrypted and signed as Feishu does, at the bot's clock time (or nowMs). */
  seal(eventType: string, event: unknown, opts?: { eventId?: string; nowMs?: number }): SignedRequest;
  /** Posts exactly these bytes and headers (default /lark/events). */
  send(req: { body: string; headers: Record<string, string> }, path?: string): Promise<Response>;
  /** Posts a sealed (encrypted + signed) event to /lark/events. */
  post(eventType: string, event: unknown, opts?: { eventId?: string; path?: string; nowMs?: number }): Promise<Response>;
  say(m: MessageEventInput, opts?: { eventId?: string }): Promise<Response>;
  press(a: CardActionInput, opts?: { eventId?: string; path?: string }): Promise<{ status: number; body: unknown }>;
  /** One outbox drain, as the entry's drainer does. */
  drain(budget?: { maxSends?: number; maxMs?: number }): Promise<DrainResult>;
  /** One scheduler pass (crash recovery, then the outbox). */
  tick(): Promise<TickReport>;
  /** The next `times` requests to the emulator whose URL contains `path` die without a response. */
  dropConnections(path: string, times?: number): void;
  /** Row counts of the tables a refused request must not touch. */
  counts(): Promise<{ inbound: number; outbox: number; audit: number }>;
  /** Restarts the bot process on the same database file (a crash + restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pledge-bot-'));
  const dbPath = join(dir, 'bot.sqlite');
  const appId = `cli_test_${process.pid}_${++appSeq}`;
  const emuServer = await startEmulatorServer({ appId, appSecret: 'secret', users: opts.users, latencyMs: opts.latencyMs });
  const { emu } = emuServer;
  const creds: LarkCredentials = { appId, appSecret: 'secret', encryptKey: 'test-encrypt-key', verificationToken: 'test-verification-token', domain: emuServer.url };

  let offset = 0;
  const clock = {
    now: opts.now ?? (() => new Date(Date.now() + offset)),
    advance(ms: number) {
      offset += ms;
    },
  };

  let pending = new Set<Promise<unknown>>();
  const defer = (task: () => Promise<unknown>) => {
    const p: Promise<unknown> = task().catch(() => undefined).finally(() => pending.delete(p));
    pending.add(p);
  };

  const boot = async () => {
    const sqlite = openSqlite(dbPath);
    const deps = createDeps({ db: sqlite.db, lark: creds, logger: silentLogger, timeZone: 'Asia/Shanghai', now: clock.now, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) });
    const secrets = { encryptKey: creds.encryptKey, verificationToken: creds.verificationToken };
    const app = opts.actions ? createApp({ deps, secrets, routes: { ...ROUTES, actions: { ...ROUTES.actions, ...opts.actions } }, defer }) : createBotApp(deps, creds, defer);
    const bot = await listen(app.fetch);
    return { sqlite, deps, bot };
  };
  let cur = await boot();

  const count = async (table: 'inbound_events' | 'outbox' | 'audit_log') =>
    Number((await h.deps.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  const h: Harness = {
    url: cur.bot.url,
    emu,
    answered: emuServer.answered,
    creds,
    deps: cur.deps,
    sqlite: cur.sqlite,
    dbPath,
    clock,
    async settle() {
      for (let i = 0; i < 50 && pending.size > 0; i++) await Promise.allSettled([...pending]);
    },
    seal(eventType, event, o = {}) {
      return sealEvent({ ...creds }, envelope({ ...creds }, eventType, event, { eventId: o.eventId, createTimeMs: clock.now().getTime() }), o.nowMs ?? clock.now().getTime());
    },
    send(req, path = '/lark/events') {
      return fetch(`${h.url}${path}`, { method: 'POST', headers: req.headers, body: req.body });
    },
    post(eventType, event, o = {}) {
      const said = eventType === 'im.message.receive_v1' ? SaidMessage.safeParse(event) : undefined;
      if (said?.success) emuServer.saidIn(said.data.message.message_id, said.data.message.chat_id);
      return h.send(h.seal(eventType, event, o), o.path);
    },
    say(m, o) {
      return h.post('im.message.receive_v1', messageEvent({ ...m, messageId: m.messageId ?? `om_${randomUUID().replace(/-/g, '')}` }), o);
    },
    async press(a, o) {
      const res = await h.post('card.action.trigger', cardActionEvent(a), o);
      return { status: res.status, body: await res.json() };
    },
    drain(budget) {
      return h.deps.outbox.drain(budget);
    },
    tick() {
      return tick(h.deps, { maxMs: 10_000 });
    },
    dropConnections(path, times) {
      emuServer.dropConnections(path, times);
    },
    async counts() {
      return { inbound: await count('inbound_events'), outbox: await count('outbox'), audit: await count('audit_log') };
    },
    async restart() {
      await h.settle();
      cur.bot.server.close();
      await cur.sqlite.close();
      pending = new Set();
      cur = await boot();
      h.url = cur.bot.url;
      h.deps = cur.deps;
      h.sqlite = cur.sqlite;
    },
    async close() {
      await h.settle();
      cur.bot.server.close();
      emuServer.close();
      await cur.sqlite.close();
      if (!opts.keepDb && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export { textOf } from './message-text.js';

/** The message sends (POST im/v1/messages) the emulator has received, in order. */
export const messageSends = (h: Harness) => h.emu.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages');
