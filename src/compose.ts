import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { getSetting, setSetting } from '../db/repos/settings.js';
import type { Database } from '../db/schema.js';
import { ACTION_TABLE } from '../handlers/actions/index.js';
import { COMMAND_TABLE } from '../handlers/commands/index.js';
import { DIALOG_TABLE } from '../handlers/dialog-table.js';
import { createApp } from './app.js';
import type { LarkCredentials } from './config.js';
import type { DoorGate } from './door-gate.js';
import { feishuLimits, RateLimiter, type BucketSpec } from './domain/rate-limiter.js';
import { createLarkClient } from './lark/client.js';
import { createLarkApi, type LarkApi } from './lark/open-api.js';
import type { InboxQueue } from './inbox-queue.js';
import { createOutbox, type OutgoingMessage } from './lark/outbox.js';
import type { Logger } from './logger.js';
import type { CommitWait, Deps, OneCommit } from './usecases/deps.js';
import type { DeliveryRoutes } from './process-delivery.js';

export interface RuntimeOptions {
  db: Kysely<Database>;
  lark: LarkCredentials;
  logger: Logger;
  timeZone: string;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** For tests: a ready LarkApi instead of the node-sdk one. */
  larkApi?: LarkApi;
  /** Outbound rate limits; Feishu's by default. The bench raises the per-app one against the emulator. */
  limits?: (key: string) => BucketSpec;
  /** The outbox yields to the door through this gate (the Node entry shares one with the app). */
  gate?: DoorGate;
  /** Other processes send from this database too (Workers): see src/lark/shared-drain.ts. */
  sharedOutbox?: boolean;
}

export const ROUTES: DeliveryRoutes = { commands: COMMAND_TABLE, dialogs: DIALOG_TABLE, actions: ACTION_TABLE };

/** Wires the pieces every entry shares: Open API client, outbox, deps. */
export function createDeps(opts: RuntimeOptions): Deps {
  const now = opts.now ?? (() => new Date());
  const lark = opts.larkApi ?? createLarkApi(createLarkClient(opts.lark));
  const outbox = createOutbox({
    db: opts.db,
    lark,
    limiter: new RateLimiter(opts.limits ?? feishuLimits),
    now,
    logger: opts.logger,
    sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    random: Math.random,
    gate: opts.gate,
    shared: opts.sharedOutbox,
  });
  let botId: Promise<string> | undefined;
  const botOpenId = () => {
    botId ??= (async () => {
      const key = `bot_open_id:${opts.lark.appId}`;
      const cached = await getSetting(opts.db, key);
      if (cached) return cached;
      const id = await lark.botOpenId();
      await setSetting(opts.db, key, id);
      return id;
    })().catch((err: unknown) => {
      botId = undefined;
      throw err;
    });
    return botId;
  };
  return { db: opts.db, outbox, lark, now, logger: opts.logger, timeZone: opts.timeZone, botOpenId };
}

/**
 * The same deps writing through `early` (a better-sqlite-dialect handle whose writes do not wait
 * for their commits; open-sqlite.ts), the outbox's enqueue included, and the wait for the commit.
 */
export function oneCommitDeps(deps: Deps, early: CommitWait & { db: Kysely<Database> }): OneCommit {
  const outbox = { ...deps.outbox, enqueue: (msg: OutgoingMessage) => deps.outbox.enqueue(msg, early.db) };
  return { deps: { ...deps, db: early.db, outbox }, mark: early.mark, committed: early.committed };
}

export function createBotApp(
  deps: Deps,
  lark: LarkCredentials,
  defer: (t: () => Promise<unknown>) => void,
  mount?: (app: Hono) => void,
  background: { gate?: DoorGate; inbox?: InboxQueue; followChats?: number } = {},
): Hono {
  return createApp({
    deps,
    secrets: { encryptKey: lark.encryptKey, verificationToken: lark.verificationToken },
    routes: ROUTES,
    defer,
    mount,
    ...background,
  });
}
