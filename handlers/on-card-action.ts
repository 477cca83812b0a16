import { z } from 'zod';
import { toast, type CardResponse } from '../cards/card-kit.js';
import { CardAction } from '../src/lark/envelopes.js';
import type { Deps } from '../src/usecases/deps.js';

/** A pressed button or submitted form, after parsing. Nothing in it is trusted but the operator. */
export interface CardActionContext {
  /** Who pressed (from Feishu's signed event, not from the card). */
  openId: string;
  messageId: string | undefined;
  chatId: string | undefined;
  /** The button's callback value: client-side data, validate before use. */
  value: Record<string, unknown>;
  formValue: Record<string, unknown>;
  eventId: string;
}

export interface CardActionHandler<V extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Schema of the callback value (besides `action`). */
  value: V;
  handle(deps: Deps, ctx: CardActionContext, value: z.infer<V>): Promise<CardResponse>;
}

export type CardActionTable = Record<string, CardActionHandler>;

export function defineAction<V extends z.ZodTypeAny>(h: CardActionHandler<V>): CardActionHandler {
  return h as unknown as CardActionHandler;
}

const ActionValue = z.object({ action: z.string().min(1) }).passthrough();

/** card.action.trigger → the registered handler's answer (toast and/or replacement card). */
export async function onCardAction(deps: Deps, table: CardActionTable, event: unknown, eventId: string): Promise<CardResponse> {
  const parsed = CardAction.safeParse(event);
  if (!parsed.success) return toast('error', '无法识别这次操作，请重新发送命令获取新卡片。');
  const { operator, action, context } = parsed.data;
  const id = ActionValue.safeParse(action.value);
  const handler = id.success ? table[id.data.action] : undefined;
  if (!id.success || !handler) return toast('error', '这个按钮已失效，请重新发送命令获取新卡片。');
  const value = handler.value.safeParse(action.value);
  if (!value.success) return toast('error', '卡片数据不完整，请重新发送命令获取新卡片。');
  return handler.handle(
    deps,
    {
      openId: operator.open_id,
      messageId: context.open_message_id,
      chatId: context.open_chat_id,
      value: action.value,
      formValue: action.form_value ?? {},
      eventId,
    },
    value.data,
  );
}
