import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../logger.js';
import type { TickReport } from '../tick.js';
import { BOT_NAME, chatsOf, type ChatInfo } from './chat-directory.js';
import type { EventDelivery } from './event-delivery.js';
import { botAddedEvent, cardActionEvent, messageEvent } from './feishu-events.js';
import type { EmulatedMessage, OpenApiEmulator } from './open-api-emulator.js';
import type { SandboxClock } from './sandbox-clock.js';
import type { Mention, SandboxStore } from './sandbox-store.js';

/** What the people on the chat page do: type, press card buttons, make groups, move the clock. */
export interface SandboxWorld {
  db: Kysely<Database>;
  store: SandboxStore;
  emu: OpenApiEmulator;
  delivery: EventDelivery;
  clock: SandboxClock;
  timeZone: string;
  logger: Logger;
  /** One scheduler pass (src/tick.ts) as of the sandbox clock. */
  tick: () => Promise<TickReport>;
}

export type Outcome<T> = ({ ok: true } & T) | { ok: false; status: 400 | 403 | 404 | 502; error: string };

const BOT_MENTION = `@${BOT_NAME}`;

async function visibleChat(w: SandboxWorld, as: string, chatId: string): Promise<ChatInfo | undefined> {
  return (await chatsOf(w.db, w.store, as)).find((c) => c.chatId === chatId);
}

async function isPerson(w: SandboxWorld, openId: string): Promise<boolean> {
  return !!(await w.db.selectFrom('people').select('id').where('open_id', '=', openId).executeTakeFirst());
}

/** A message a person types: stored in the chat, then delivered to the bot as im.message.receive_v1. */
export async function sendUserMessage(w: SandboxWorld, input: { as: string; chatId: string; text: string }): Promise<Outcome<{ messageId: string }>> {
  if (!(await isPerson(w, input.as))) return { ok: false, status: 404, error: '没有这个人' };
  const chat = await visibleChat(w, input.as, input.chatId);
  if (!chat) return { ok: false, status: 403, error: '你不在这个群里' };
  const mentioned = input.text.includes(BOT_MENTION);
  // Feishu puts a placeholder where each @-mention was and lists the mentioned people.
  const text = mentioned ? input.text.split(BOT_MENTION).join('@_user_1') : input.text;
  const mentions: Mention[] = mentioned ? [{ key: '@_user_1', openId: w.emu.botOpenId, name: BOT_NAME }] : [];
  const now = w.clock.now().getTime();
  const msg: EmulatedMessage = {
    messageId: `om_usr_${randomUUID().replace(/-/g, '')}`,
    chatId: chat.chatId,
    receiveId: chat.chatId,
    receiveIdType: 'chat_id',
    msgType: 'text',
    content: JSON.stringify({ text }),
    uuid: undefined,
    replyTo: undefined,
    createdAt: now,
    updatedAt: now,
    version: 1,
    senderOpenId: input.as,
  };
  w.emu.messages.push(msg);
  await w.store.insertMessage(msg, mentions);
  const event = messageEvent({
    openId: input.as,
    chatId: chat.chatId,
    chatType: chat.type,
    text,
    messageId: msg.messageId,
    mentions: mentions.map((m) => ({ openId: m.openId, name: m.name })),
  });
  event.message.create_time = String(now);
  const res = await w.delivery.deliver('im.message.receive_v1', event);
  if (res.status !== 200) return { ok: false, status: 502, error: `机器人没有接收这条消息（HTTP ${res.status}）` };
  return { ok: true, messageId: msg.messageId };
}

const Toast = z.object({ type: z.string().default('info'), content: z.string() });
const CardReply = z
  .object({
    toast: Toast.optional(),
    card: z.object({ type: z.string(), data: z.unknown() }).optional(),
  })
  .passthrough();

/** A pressed card button or submitted form: card.action.trigger; the answer's card replaces the old. */
export async function pressCard(
  w: SandboxWorld,
  input: { as: string; messageId: string; value: Record<string, unknown>; formValue?: Record<string, unknown>; name?: string },
): Promise<Outcome<{ toast: z.infer<typeof Toast> | undefined; replaced: boolean }>> {
  if (!(await isPerson(w, input.as))) return { ok: false, status: 404, error: '没有这个人' };
  const msg = w.emu.messages.find((m) => m.messageId === input.messageId);
  if (!msg || msg.msgType !== 'interactive') return { ok: false, status: 404, error: '卡片不存在' };
  if (!(await visibleChat(w, input.as, msg.chatId))) return { ok: false, status: 403, error: '你不在这个群里' };
  const event = cardActionEvent({ openId: input.as, value: input.value, formValue: input.formValue, messageId: msg.messageId, chatId: msg.chatId });
  if (input.name) Object.assign(event.action, { name: input.name });
  const res = await w.delivery.deliver('card.action.trigger', event);
  if (res.status !== 200) return { ok: false, status: 502, error: `卡片回调失败（HTTP ${res.status}）` };
  const reply = CardReply.safeParse(res.body);
  if (!reply.success) return { ok: false, status: 502, error: '卡片回调的应答格式不对' };
  let replaced = false;
  const card = reply.data.card;
  if (card?.type === 'raw' && card.data && typeof card.data === 'object') {
    msg.content = JSON.stringify(card.data);
    msg.version++;
    msg.updatedAt = w.clock.now().getTime();
    await w.store.updateMessage(msg);
    replaced = true;
  }
  return { ok: true, toast: reply.data.toast, replaced };
}

/** A new group made on the page; the bot is added to it, as when someone adds the bot in Feishu. */
export async function createGroup(w: SandboxWorld, input: { as: string; name: string }): Promise<Outcome<{ chatId: string }>> {
  if (!(await isPerson(w, input.as))) return { ok: false, status: 404, error: '没有这个人' };
  const chatId = `oc_sbx_g${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await w.store.addChat({ chatId, name: input.name, orgCode: null, createdBy: input.as }, w.clock.now().getTime());
  const res = await w.delivery.deliver('im.chat.member.bot.added_v1', botAddedEvent(chatId, input.as, input.name));
  if (res.status !== 200) return { ok: false, status: 502, error: `机器人没有接收入群事件（HTTP ${res.status}）` };
  return { ok: true, chatId };
}

/** Moves the sandbox clock forward, then runs the scheduler as of the new time. */
export async function moveClock(w: SandboxWorld, to: Date): Promise<Outcome<{ now: string; report: TickReport }>> {
  if (Number.isNaN(to.getTime())) return { ok: false, status: 400, error: '时间无效' };
  if (to.getTime() < w.clock.now().getTime() - 60_000) return { ok: false, status: 400, error: '沙盒时间只能向前拨。' };
  await w.clock.moveTo(new Date(Math.max(to.getTime(), w.clock.now().getTime())));
  const report = await w.tick();
  w.logger.info({ now: w.clock.now().toISOString(), sent: report.sent }, 'sandbox clock moved');
  return { ok: true, now: w.clock.now().toISOString(), report };
}

/** The bot says hello in the demo groups, through the real bot-added event. */
export async function greetDemoGroups(w: SandboxWorld, chats: { chatId: string; name: string }[], operator: string): Promise<void> {
  for (const c of chats) await w.delivery.deliver('im.chat.member.bot.added_v1', botAddedEvent(c.chatId, operator, c.name));
}
