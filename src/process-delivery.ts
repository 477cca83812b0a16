import { deliveryByKey, finishDelivery, pendingDeliveries, retryDeliveryLater } from '../db/repos/inbound.js';
import { onBotAdded } from '../handlers/on-bot-added.js';
import { onMessage, type MessageRoutes } from '../handlers/on-message.js';
import { Envelope } from './lark/envelopes.js';
import type { Deps } from './usecases/deps.js';

/** Tries per delivery (the first, then one per recovery pass) before it is recorded failed. */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** Handles one stored delivery (message, bot added); records done or failed. */
export async function processDelivery(deps: Deps, routes: MessageRoutes, key: string): Promise<void> {
  const row = await deliveryByKey(deps.db, key);
  if (!row || row.status !== 'pending') return;
  try {
    const env = Envelope.parse(JSON.parse(row.payload));
    switch (env.header.event_type) {
      case 'im.message.receive_v1':
        await onMessage(deps, routes, env.event);
        break;
      case 'im.chat.member.bot.added_v1':
        await onBotAdded(deps, env.event, env.header.event_id);
        break;
      default:
        break;
    }
    await finishDelivery(deps.db, key, 'done', deps.now());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A passing failure (the Open API down while looking up the bot's id, a busy database) must
    // not lose the message: Feishu's own retries are deduped, so recovery tries it again.
    const giveUp = row.attempts + 1 >= MAX_DELIVERY_ATTEMPTS;
    deps.logger.error({ key, attempts: row.attempts + 1, giveUp, err: message }, 'delivery failed');
    if (giveUp) await finishDelivery(deps.db, key, 'failed', deps.now(), message);
    else await retryDeliveryLater(deps.db, key, message);
  }
}

/** Deliveries acknowledged but not handled (the process died in between): handle them now. */
export async function recoverDeliveries(deps: Deps, routes: MessageRoutes, olderThanMs = 30_000): Promise<number> {
  const rows = await pendingDeliveries(deps.db, new Date(deps.now().getTime() - olderThanMs), 500);
  for (const r of rows) await processDelivery(deps, routes, r.key);
  return rows.length;
}
