import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { dueOutbox } from '../../db/repos/outbox.js';
import { lastOutboxId, releaseDrainer, takeDrainer, triedSince } from '../../db/repos/outbox-drainer.js';
import type { Database } from '../../db/schema.js';
import { recipientScope, type RateLimiter } from '../domain/rate-limiter.js';
import type { Logger } from '../logger.js';
import type { DrainResult } from './outbox.js';

/**
 * The outbox where other processes send from the same database (Workers: every invocation has
 * an outbox and a rate limiter of its own). Limits kept per process would let two invocations
 * side by side, or one just after another, send a chat twice Feishu's 5 a second. So:
 *
 * - one drainer at a time, under a lease in the database (0005_shared_outbox.sql);
 * - each round's limiter starts from the database: every try of the last minute (the app's
 *   1000/min is the longest window) and an app-wide pause Feishu asked for;
 * - a drainer that finds the outbox taken waits for it while anything is due: the holder sends
 *   what is due when it looks, and looks again after each pass, but may end first (its budget)
 *   and leave our rows. Rows queued while a round ran get another round after the release (the
 *   holder checks for rows newer than its start; a waiter gets in once the holder is gone).
 *
 * The app's 1000 a minute counts each row's last try only (a row tried twice within a minute
 * counts once); the 5 and 50 a second are exact, a row's tries being at least a second apart.
 */
export interface SharedDrainDeps {
  db: Kysely<Database>;
  limiter: RateLimiter;
  now: () => Date;
  /** The limiter's clock. */
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
}

type Budget = { maxSends?: number; maxMs?: number };

/**
 * Past the drain's own budget, the lease covers a send still in flight. Short, because a holder
 * that dies (a Worker cut off, out of queries) keeps everyone else waiting until it runs out.
 */
const LEASE_SLACK_MS = 5000;
/** A drain with no time budget still holds the outbox no longer than this per round. */
const ROUND_MAX_MS = 60_000;
const WAIT_FIRST_MS = 100;
const WAIT_MAX_MS = 2000;
const LONGEST_WINDOW_MS = 60_000;

export async function drainShared(deps: SharedDrainDeps, budget: Budget, round: (b: Budget) => Promise<DrainResult>): Promise<DrainResult> {
  const { db, now, clock } = deps;
  const started = clock();
  const maxMs = budget.maxMs ?? Infinity;
  let sendsLeft = budget.maxSends ?? Infinity;
  const total: DrainResult = { sent: 0, retried: 0, failed: 0, deferred: 0 };
  let wait = WAIT_FIRST_MS;
  for (;;) {
    const msLeft = maxMs - (clock() - started);
    if (msLeft <= 0 || sendsLeft <= 0) break;
    const holder = randomUUID();
    const roundMs = Math.min(msLeft, ROUND_MAX_MS);
    const taken = await takeDrainer(db, holder, now(), new Date(now().getTime() + roundMs + LEASE_SLACK_MS));
    if (!taken) {
      if (wait > msLeft) break; // the holder, or the next drain, sends them
      if ((await dueOutbox(db, now(), 1)).length === 0) break; // nothing to wait for
      await deps.sleep(wait);
      wait = Math.min(wait * 2, WAIT_MAX_MS);
      continue;
    }
    wait = WAIT_FIRST_MS;
    let upTo: number;
    let r: DrainResult;
    try {
      upTo = await lastOutboxId(db);
      await readLimits(deps, taken.appPausedUntil);
      r = await round({ maxSends: sendsLeft, maxMs: roundMs });
    } finally {
      // A failed release must not hide the round's own error; the lease then runs out by itself.
      await releaseDrainer(db, holder).catch((err: unknown) => deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'outbox: letting go of the drainer lease failed'));
    }
    total.sent += r.sent;
    total.retried += r.retried;
    total.failed += r.failed;
    total.deferred = r.deferred;
    sendsLeft -= r.sent + r.retried + r.failed;
    if ((await dueOutbox(db, now(), 1, upTo)).length === 0) break;
  }
  return total;
}

/** The limiter as the database tells it: what was tried lately (by anyone), and a pause. */
async function readLimits(deps: SharedDrainDeps, appPausedUntil: string | null): Promise<void> {
  const { db, limiter, now, clock } = deps;
  const wall = now().getTime();
  const mono = clock();
  limiter.reset();
  for (const t of await triedSince(db, new Date(wall - LONGEST_WINDOW_MS))) {
    limiter.record(['app', recipientScope(t.receive_id_type, t.receive_id)], mono - (wall - Date.parse(t.tried_at ?? '')));
  }
  const paused = appPausedUntil ? Date.parse(appPausedUntil) - wall : 0;
  if (paused > 0) limiter.drain('app', mono, paused);
}
