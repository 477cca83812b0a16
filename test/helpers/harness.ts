import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, type OpenedSqlite } from '../../db/open-sqlite.js';
import { createBotApp, createDeps } from '../../src/compose.js';
import type { LarkCredentials } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { Deps } from '../../src/usecases/deps.js';
import { createOpenApiEmulator, type EmulatorUser, type OpenApiEmulator } from '../../src/sandbox/open-api-emulator.js';
import { cardActionEvent, envelope, messageEvent, sealEvent, type CardActionInput, type MessageEventInput } from '../../src/sandbox/feishu-events.js';

let appSeq = 0;

function listen(fetch: (r: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

export interface Harness {
  url: string;
  emu: OpenApiEmulator;
  creds: LarkCredentials;
  deps: Deps;
  sqlite: OpenedSqlite;
  dbPath: string;
  /** Waits until all work deferred after responses has finished. */
  settle(): Promise<void>;
  /** Posts a sealed (encrypted + signed) event to /lark/events. */
  post(eventType: string, event: unknown, opts?: { eventId?: string; path?: string; nowMs?: number }): Promise<Response>;
  say(m: MessageEventInput, opts?: { eventId?: string }): Promise<Response>;
  press(a: CardActionInput, opts?: { eventId?: string; path?: string }): Promise<{ status: number; body: unknown }>;
  /** Restarts the bot process on the same database file (a crash + restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(opts: { users?: EmulatorUser[]; now?: () => Date; dir?: string; keepDb?: boolean } = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pledge-bot-'));
  const dbPath = join(dir, 'bot.sqlite');
  const appId = `cli_test_${process.pid}_${++appSeq}`;
  const emu = createOpenApiEmulator({ appId, appSecret: 'secret', users: opts.users });
  const emuServer = await listen(emu.app.fetch);
  const creds: LarkCredentials = { appId, appSecret: 'secret', encryptKey: 'test-encrypt-key', verificationToken: 'test-verification-token', domain: emuServer.url };

  let pending = new Set<Promise<unknown>>();
  const defer = (task: () => Promise<unknown>) => {
    const p: Promise<unknown> = task().catch(() => undefined).finally(() => pending.delete(p));
    pending.add(p);
  };

  const boot = async () => {
    const sqlite = openSqlite(dbPath);
    const deps = createDeps({ db: sqlite.db, lark: creds, logger: silentLogger, timeZone: 'Asia/Shanghai', now: opts.now, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) });
    const app = createBotApp(deps, creds, defer);
    const bot = await listen(app.fetch);
    return { sqlite, deps, bot };
  };
  let cur = await boot();

  const h: Harness = {
    url: cur.bot.url,
    emu,
    creds,
    deps: cur.deps,
    sqlite: cur.sqlite,
    dbPath,
    async settle() {
      for (let i = 0; i < 50 && pending.size > 0; i++) await Promise.allSettled([...pending]);
    },
    async post(eventType, event, o = {}) {
      const sealed = sealEvent({ ...creds }, envelope({ ...creds }, eventType, event, { eventId: o.eventId }), o.nowMs ?? Date.now());
      return fetch(`${h.url}${o.path ?? '/lark/events'}`, { method: 'POST', headers: sealed.headers, body: sealed.body });
    },
    say(m, o) {
      return h.post('im.message.receive_v1', messageEvent(m), o);
    },
    async press(a, o) {
      const res = await h.post('card.action.trigger', cardActionEvent(a), o);
      return { status: res.status, body: await res.json() };
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
      emuServer.server.close();
      await cur.sqlite.close();
      if (!opts.keepDb && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Text of a text message, or the concatenated markdown/plain texts of a card. */
export function textOf(content: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === 'content' || k === 'text') && typeof x === 'string' ? out.push(x) : walk(x);
  };
  walk(JSON.parse(content));
  return out.join('\n');
}
