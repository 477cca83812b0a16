import type { Card } from '../cards/card-kit.js';
import type { Deps } from '../src/usecases/deps.js';

/** Where a message came from, and how to answer it. */
export interface MessageContext {
  openId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  messageId: string;
  args: string[];
  text: string;
}

/**
 * Answers a message through the outbox. In a group the answer is a reply (threaded under the
 * question); in a private chat a plain message to the person. `part` keeps several answers to
 * one message distinct and each idempotent.
 */
export async function answer(deps: Deps, ctx: MessageContext, body: { text: string } | { card: Card }, part = 0): Promise<void> {
  const key = `ans:${ctx.messageId}:${part}`;
  if (ctx.chatType === 'group') {
    await deps.outbox.enqueue({ key, replyTo: { messageId: ctx.messageId, chatId: ctx.chatId }, ...body });
  } else {
    // A private chat is the person's: answered by open_id, like every direct message to them, so
    // Feishu's 5/s per user is counted in one place (the outbox's scope) and their messages keep
    // one order. Feishu puts it in the same chat.
    await deps.outbox.enqueue({ key, to: { openId: ctx.openId }, ...body });
  }
}

/** "发送「帮助」": in a group the bot hears only what @-mentions it, so there a hint says so. */
export const sendWord = (chatType: 'p2p' | 'group'): string => (chatType === 'group' ? '@我 发送' : '发送');
