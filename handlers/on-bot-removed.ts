import { appendAudit } from '../db/repos/audit.js';
import { orgOfChat } from '../db/repos/directory.js';
import { BotRemoved } from '../src/lark/envelopes.js';
import type { Deps } from '../src/usecases/deps.js';

/**
 * im.chat.member.bot.deleted_v1: the bot is no longer in the group, so the group is no longer
 * where its organization's reminders and publications go (they would fail there, and the group
 * would still count as "published in").
 */
export async function onBotRemoved(deps: Deps, event: unknown): Promise<void> {
  const parsed = BotRemoved.safeParse(event);
  if (!parsed.success) return;
  const chatId = parsed.data.chat_id;
  const bound = await orgOfChat(deps.db, chatId);
  if (!bound) return;
  await deps.db.deleteFrom('chat_bindings').where('chat_id', '=', chatId).execute();
  const actor = parsed.data.operator_id?.open_id ?? 'feishu';
  await appendAudit(deps.db, { actor, action: 'chat.unbind', entity: 'chat_binding', entityId: chatId, before: { org: bound.code }, after: null }, deps.now());
  deps.logger.info({ chatId, org: bound.code }, 'bot removed from a bound group: unbound');
}
