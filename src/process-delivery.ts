import { finishDelivery, leaseDelivery, pendingDeliveries, retryDeliveryLater } from '../db/repos/inbound.js';
import { onBotAdded } from '../handlers/on-bot-added.js';
import { onBotRemoved } from '../handlers/on-bot-removed.js';
import { onCardAction, type CardActionTable } from '../handlers/on-card-action.js';
import { onMessage, type MessageRoutes } from '../handlers/on-message.js';
import { Envelope } from './lark/envelopes.js';
import type { Deps } from './usecases/deps.js';

/** Tries per delivery (the first, then one per retry) before it is recorded failed. */
export const MAX_DELIVERY_ATTEMPTS = 5;
/** How long one handler holds a delivery: past this (a crash mid-handling) another may take it. */
export const DELIVERY_LEASE_MS = 60_000;
/** After a try failed for a passing reason, the next waits this long. */
export const DELIVERY_RETRY_MS = 30_000;

export type DeliveryOutcome = 'done' | 'retry' | 'failed' | 'taken';

/** What a stored delivery may be: a message (commands, dialogs) or a card press (actions). */
export interface DeliveryRoutes extends MessageRoutes {
  actions: CardActionTable;
}

/**
 * Handles one stored delivery (message, bot added, a card press nobody finished) and records done,
 * failed or a later retry.
 * It first leases the row, so the live queue, tick's recovery and any other instance never
 * handle one delivery twice: 'taken' means it was done already or is in someone else's hands.
 */
export async function processDelivery(deps: Deps, routes: DeliveryRoutes, key: string): Promise<DeliveryOutcome> {
  const row = await leaseDelivery(deps.db, key, deps.now(), DELIVERY_LEASE_MS);
  if (!row) return 'taken';
  if (row.attempts > MAX_DELIVERY_ATTEMPTS) {
    // Its tries began and never ended (the process died in each, or a Worker ran out of
    // queries): trying again would only do the same.
    const message = `gave up: ${MAX_DELIVERY_ATTEMPTS} tries never finished`;
    deps.logger.error({ key, attempts: row.attempts - 1 }, 'delivery given up: its tries never finished');
    await finishDelivery(deps.db, key, 'failed', deps.now(), message);
    return 'failed';
  }
  try {
    const env = Envelope.parse(JSON.parse(row.payload));
    /** A card press's answer, kept for a repeat of it. */
    let answer: string | undefined;
    switch (env.header.event_type) {
      case 'im.message.receive_v1':
        await onMessage(deps, routes, env.event);
        break;
      case 'im.chat.member.bot.added_v1':
        await onBotAdded(deps, env.event, env.header.event_id);
        break;
      case 'im.chat.member.bot.deleted_v1':
        await onBotRemoved(deps, env.event);
        break;
      case 'card.action.trigger':
        // A press is answered as it is handled (answer-card.ts), under a lease; it is found here
        // only if that never finished (the process died, its answer was "已收到，正在处理…").
        answer = JSON.stringify(await onCardAction(deps, routes.actions, env.event, key));
        break;
      default:
        break;
    }
    await finishDelivery(deps.db, key, 'done', deps.now(), undefined, answer);
    return 'done';
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A passing failure (the Open API down while looking up the bot's id, a busy database) must
    // not lose the message: Feishu's own retries are deduped, so it is tried again here.
    // row.attempts counts this try already (leaseDelivery).
    const giveUp = row.attempts >= MAX_DELIVERY_ATTEMPTS;
    deps.logger.error({ key, attempts: row.attempts, giveUp, err: message }, 'delivery failed');
    if (giveUp) {
      await finishDelivery(deps.db, key, 'failed', deps.now(), message);
      return 'failed';
    }
    await retryDeliveryLater(deps.db, key, message, new Date(deps.now().getTime() + DELIVERY_RETRY_MS));
    return 'retry';
  }
}

/** Recovery leaves deliveries younger than this to the live queue. */
export const RECOVER_AFTER_MS = 30_000;

/** What recovery would take now: pending rows nobody holds, older than `olderThanMs`, oldest first. */
export function recoverable(deps: Pick<Deps, 'db' | 'now'>, olderThanMs = RECOVER_AFTER_MS) {
  const now = deps.now();
  return pendingDeliveries(deps.db, now, 500, { receivedBefore: new Date(now.getTime() - olderThanMs) });
}

/**
 * Deliveries acknowledged but not handled (the process died in between, or a try failed and is
 * due again): handle them now, oldest first, for at most `maxMs`. Rows younger than `olderThanMs`
 * are left to the live queue; rows in someone's hands are skipped (and processDelivery leases
 * each before handling).
 */
export async function recoverDeliveries(deps: Deps, routes: DeliveryRoutes, olderThanMs = RECOVER_AFTER_MS, maxMs = Infinity): Promise<number> {
  const rows = await recoverable(deps, olderThanMs);
  // Real elapsed time, not deps.now (a test's or the sandbox's clock may stand still).
  const until = performance.now() + maxMs;
  let handled = 0;
  for (const r of rows) {
    if (performance.now() > until) break; // the rest waits for the next pass
    if ((await processDelivery(deps, routes, r.key)) !== 'taken') handled++;
  }
  return handled;
}
