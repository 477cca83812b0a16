import { Kysely } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { createBotApp, createDeps } from './compose.js';
import { ConfigError, loadConfig, type Config, type LarkCredentials } from './config.js';
import { createLarkClient } from './lark/client.js';
import { createLarkApi, type LarkApi } from './lark/open-api.js';
import type { DrainResult, Outbox } from './lark/outbox.js';
import type { Logger } from './logger.js';
import { tick } from './tick.js';
import type { Deps } from './usecases/deps.js';

/**
 * Cloudflare Workers entry: the same Hono app (fetch) and the same scheduler tick (Cron
 * Triggers, UTC) as the Node entry, over D1 through kysely-d1. Work after the response runs in
 * ctx.waitUntil; the outbox is drained within a per-invocation budget (Workers cap subrequests
 * and D1 queries per invocation: 50 on the free plan) and the rest waits for the next tick;
 * one invocation drains at a time, with rate limits kept in D1 (src/lark/shared-drain.ts).
 */

/** The parts of the Workers runtime this entry uses (no @cloudflare/workers-types needed). */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}
export interface ScheduledInfo {
  scheduledTime: number;
  cron: string;
}
/** D1's binding, as far as kysely-d1 needs it. */
export interface D1Binding {
  prepare(query: string): unknown;
}
export type WorkerEnv = { DB: D1Binding } & Record<string, unknown>;

/** Worker-only settings ([vars] in wrangler.toml); the rest is the shared schema in config.ts. */
const WorkerVars = z.object({
  /** Open API sends per invocation. Each costs ~3 subrequests (lease, send, mark). */
  OUTBOX_MAX_SENDS: z.coerce.number({ message: 'OUTBOX_MAX_SENDS 须为数字' }).int().min(1).max(3000).default(10),
  /** Wall-clock budget of a drain after a response (waitUntil lasts about 30 s). */
  OUTBOX_MAX_MS: z.coerce.number({ message: 'OUTBOX_MAX_MS 须为数字' }).int().min(100).max(25_000).default(10_000),
  /** Wall-clock budget of one scheduled tick. */
  TICK_MAX_MS: z.coerce.number({ message: 'TICK_MAX_MS 须为数字' }).int().min(100).max(840_000).default(25_000),
});

interface WorkerConfig {
  config: Config;
  lark: LarkCredentials;
  budget: { maxSends: number; maxMs: number; tickMs: number };
}

const NO_CREDENTIALS =
  'Workers 模式必须设置 LARK_APP_ID、LARK_APP_SECRET、LARK_ENCRYPT_KEY、LARK_VERIFICATION_TOKEN' +
  '（wrangler secret put …）；Workers 上没有本地沙盒，沙盒请用 npm start。';

/** Parses vars and secrets with the same schema as the Node entry, plus the Worker budget. */
export function loadWorkerConfig(env: Record<string, unknown>): WorkerConfig {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') strings[k] = v;
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = loadConfig(strings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const vars = WorkerVars.safeParse(strings);
  if (!vars.success) problems.push(...vars.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  if (!config?.lark) problems.push(NO_CREDENTIALS);
  if (!config?.lark || !vars.success) throw new ConfigError(problems);
  return {
    config,
    lark: config.lark,
    budget: { maxSends: vars.data.OUTBOX_MAX_SENDS, maxMs: vars.data.OUTBOX_MAX_MS, tickMs: vars.data.TICK_MAX_MS },
  };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One JSON line per entry on the console (Workers Logs indexes the fields). */
function consoleLogger(level: Config['logLevel'], bindings: object = {}): Logger {
  const min = level === 'silent' ? Infinity : LEVELS.indexOf(level);
  const at = (lvl: (typeof LEVELS)[number]) => (obj: object, msg?: string) => {
    if (LEVELS.indexOf(lvl) < min) return;
    const line = JSON.stringify({ level: lvl, ...bindings, ...obj, msg });
    if (lvl === 'error' || lvl === 'fatal') console.error(line);
    else if (lvl === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => consoleLogger(level, { ...bindings, ...more }),
  };
}

/**
 * Caps every drain of one invocation together: the app may drain more than once per request
 * (after a card action, after a message), and the subrequest limit is per invocation.
 */
export function budgetedOutbox(outbox: Outbox, budget: { maxSends: number; maxMs: number }): Outbox {
  let left = budget.maxSends;
  return {
    enqueue: (msg, db) => outbox.enqueue(msg, db),
    async drain(b = {}): Promise<DrainResult> {
      if (left <= 0) return { sent: 0, retried: 0, failed: 0, deferred: 0 };
      const r = await outbox.drain({
        maxSends: Math.min(b.maxSends ?? left, left),
        maxMs: Math.min(b.maxMs ?? budget.maxMs, budget.maxMs),
      });
      left -= r.sent + r.retried + r.failed;
      return r;
    },
  };
}

// Per isolate: the Open API client, so its tenant token is fetched once per isolate rather than
// once per request. It holds plain values only (a token cache), nothing bound to one request.
let isolateLark: { key: string; api: LarkApi } | undefined;
function larkApiFor(lark: LarkCredentials): LarkApi {
  const key = JSON.stringify([lark.appId, lark.appSecret, lark.domain]);
  if (isolateLark?.key !== key) isolateLark = { key, api: createLarkApi(createLarkClient(lark)) };
  return isolateLark.api;
}

/** Per invocation: the database handle, the deps (with a budgeted outbox) and the logger. */
function invocation(env: WorkerEnv, wc: WorkerConfig, maxMs: number): { deps: Deps; logger: Logger } {
  const logger = consoleLogger(wc.config.logLevel);
  const db = new Kysely<Database>({ dialect: new D1Dialect({ database: env.DB }) });
  // Invocations run side by side, each with an outbox of its own: they share one drainer and the limits.
  const deps = createDeps({ db, lark: wc.lark, logger, timeZone: wc.config.timeZone, larkApi: larkApiFor(wc.lark), sharedOutbox: true });
  return { deps: { ...deps, outbox: budgetedOutbox(deps.outbox, { maxSends: wc.budget.maxSends, maxMs }) }, logger };
}

function configFailure(err: unknown): Response {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  return new Response(`${err.message}\n`, { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
    let wc: WorkerConfig;
    try {
      wc = loadWorkerConfig(env);
    } catch (err) {
      return configFailure(err);
    }
    const { deps, logger } = invocation(env, wc, wc.budget.maxMs);
    const defer = (task: () => Promise<unknown>) =>
      ctx.waitUntil(
        (async () => task())().catch((err: unknown) =>
          logger.error({ err: err instanceof Error ? err.message : String(err) }, 'deferred task failed'),
        ),
      );
    // A chat's messages that waited behind this one are handled here next, as many as the send
    // budget can answer; the rest go to the minute's recovery.
    return createBotApp(deps, wc.lark, defer, undefined, { followChats: wc.budget.maxSends }).fetch(request);
  },

  async scheduled(event: ScheduledInfo, env: WorkerEnv, _ctx: WorkerContext): Promise<void> {
    const wc = loadWorkerConfig(env);
    const { deps, logger } = invocation(env, wc, wc.budget.tickMs);
    const report = await tick(deps, { maxMs: wc.budget.tickMs });
    logger.info({ cron: event.cron, ...report }, 'tick');
  },
};
