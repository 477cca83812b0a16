import { deliveryByKey, finishDelivery, pendingDeliveries } from '../db/repos/inbound.js';
import { onBotAdded } from '../handlers/on-bot-added.js';
import { onMessage, type MessageRoutes } from '../handlers/on-message.js';
import { Envelope } from './lark/envelopes.js';
import type { Deps } from './usecases/deps.js';

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
    deps.logger.error({ key, err: err instanceof Error ? err.message : String(err) }, 'delivery failed');
    await finishDelivery(deps.db, key, 'failed', deps.now(), err instanceof Error ? err.message : String(err));
  }
}

/** Deliveries acknowledged but not handled (the process died in between): handle them now. */
export async function recoverDeliveries(deps: Deps, routes: MessageRoutes, olderThanMs = 30_000): Promise<number> {
  const rows = await pendingDeliveries(deps.db, new Date(deps.now().getTime() - olderThanMs), 500);
  for (const r of rows) await processDelivery(deps, routes, r.key);
  return rows.length;
}
