import { sentWithKeyPrefix } from '../../../db/repos/outbox.js';
import type { Card } from '../../../cards/card-kit.js';
import type { Deps } from '../deps.js';

/**
 * Every sent copy of one logical message (outbox keys starting with `prefix`: each reviewer's
 * review card, each group's publication) replaced by `card` — a PATCH in its recipient's scope;
 * our cards are update_multi, so everyone in a group sees the new one. Keyed by `keyOf(message
 * id)`, so a step run again replaces nothing twice.
 */
export async function replaceSent(deps: Deps, prefix: string, card: Card, keyOf: (messageId: string) => string): Promise<void> {
  for (const s of await sentWithKeyPrefix(deps.db, prefix)) {
    if (!s.result_message_id || !s.receive_id) continue;
    const to = s.receive_id_type === 'open_id' ? { openId: s.receive_id } : { chatId: s.receive_id };
    await deps.outbox.enqueue({ key: keyOf(s.result_message_id), patch: { messageId: s.result_message_id, to }, card });
  }
}
