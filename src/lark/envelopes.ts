import { z } from 'zod';

/** Schema-2.0 event envelopes we act on. Unknown fields pass through; unknown events are acked. */
export const EventHeader = z.object({
  event_id: z.string().min(1),
  event_type: z.string().min(1),
  token: z.string(),
  create_time: z.string().optional(),
  app_id: z.string().optional(),
  tenant_key: z.string().optional(),
});

export const Envelope = z.object({ schema: z.literal('2.0'), header: EventHeader, event: z.unknown() });
export type Envelope = z.infer<typeof Envelope>;

const UserId = z.object({ open_id: z.string().min(1) }).passthrough();

export const Mention = z.object({
  key: z.string(),
  id: z.object({ open_id: z.string().optional() }).passthrough(),
  name: z.string().optional(),
});

export const MessageReceived = z.object({
  sender: z.object({ sender_id: UserId, sender_type: z.string().optional() }),
  message: z.object({
    message_id: z.string().min(1),
    chat_id: z.string().min(1),
    chat_type: z.string(), // p2p | group
    message_type: z.string(),
    content: z.string(),
    create_time: z.string().optional(),
    mentions: z.array(Mention).optional(),
    root_id: z.string().optional(),
    parent_id: z.string().optional(),
  }),
});
export type MessageReceived = z.infer<typeof MessageReceived>;

export const CardAction = z.object({
  operator: UserId,
  token: z.string().optional(),
  action: z.object({
    value: z.record(z.string(), z.unknown()).default({}),
    tag: z.string().optional(),
    name: z.string().optional(),
    option: z.string().optional(),
    form_value: z.record(z.string(), z.unknown()).optional(),
  }),
  context: z
    .object({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() })
    .default({}),
});
export type CardAction = z.infer<typeof CardAction>;

export const BotAdded = z.object({
  chat_id: z.string().min(1),
  operator_id: z.object({ open_id: z.string().optional() }).passthrough().optional(),
  name: z.string().optional(),
});
export type BotAdded = z.infer<typeof BotAdded>;

/** im.chat.member.bot.deleted_v1 (the bot removed from a group, or the group dissolved): the same shape. */
export const BotRemoved = BotAdded;

export const TextContent = z.object({ text: z.string() });
