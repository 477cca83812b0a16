import { ROUTES } from './compose.js';
import { dueOutbox } from '../db/repos/outbox.js';
import { recoverable, recoverDeliveries, RECOVER_AFTER_MS } from './process-delivery.js';
import type { Deps } from './usecases/deps.js';

export interface TickReport {
  at: string;
  recovered: number;
  sent: number;
  retried: number;
  failed: number;
  deferred: number;
  planned: string[];
}

/**
 * One scheduler pass as of `at` (node-cron every minute, Workers Cron Triggers, or
 * `npm run admin -- tick --at`): finish deliveries a crash left behind, then drain the outbox.
 * Feature jobs (reminders) plan their messages here too; dry-run lists without sending.
 * `recover: false` leaves the first part to an inbox queue that polls the database itself (the
 * Node server's): two handlers taking one chat's waiting messages side by side could answer
 * them out of order (never twice: each is leased).
 */
export async function tick(deps: Deps, opts: { dryRun?: boolean; maxMs?: number; recover?: boolean } = {}): Promise<TickReport> {
  const at = deps.now().toISOString();
  if (opts.dryRun) return { at, recovered: 0, sent: 0, retried: 0, failed: 0, deferred: 0, planned: await plan(deps, opts.recover !== false) };
  const maxMs = opts.maxMs ?? 50_000;
  let recovered = 0;
  if (opts.recover !== false) {
    // Recovery takes at most half the pass, and its failure does not cost the outbox its drain
    // (on Workers one delivery can use up the invocation's queries).
    try {
      recovered = await recoverDeliveries(deps, ROUTES, RECOVER_AFTER_MS, maxMs / 2);
    } catch (err) {
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'tick: recovery stopped');
    }
  }
  const drained = await deps.outbox.drain({ maxMs });
  return { at, recovered, ...drained, planned: [] };
}

/** What a pass would do now, read only: the deliveries it would recover, the sends due. */
async function plan(deps: Pick<Deps, 'db' | 'now'>, recover: boolean): Promise<string[]> {
  const stale = recover ? await recoverable(deps) : [];
  const due = await dueOutbox(deps.db, deps.now(), 500);
  return [
    ...stale.map((d) => `处理积压事件 (recover) ${d.key}`),
    ...due.map((r) => `发送 (send) #${r.id} ${r.op} → ${r.receive_id ?? ''}${r.attempts ? `（第 ${r.attempts + 1} 次）` : ''}`),
  ];
}
