import { orgOfChat } from '../db/repos/directory.js';
import { BotAdded } from '../src/lark/envelopes.js';
import type { Deps } from '../src/usecases/deps.js';

/** im.chat.member.bot.added_v1: say hello and explain how to bind the group. */
export async function onBotAdded(deps: Deps, event: unknown, eventId: string): Promise<void> {
  const parsed = BotAdded.safeParse(event);
  if (!parsed.success) return;
  const bound = await orgOfChat(deps.db, parsed.data.chat_id);
  const text = bound
    ? `大家好，我是践诺助手。本群已绑定「${bound.name}」，截止提醒和公示会发到这里。@我 发送「帮助」查看命令。`
    : '大家好，我是践诺助手。请本组织的管理员或领导在群里发送「@践诺助手 绑定」，按列出的命令把本群绑定到组织；之后截止提醒和承诺公示会发到这里。';
  await deps.outbox.enqueue({ key: `hello:${eventId}`, to: { chatId: parsed.data.chat_id }, text });
}
