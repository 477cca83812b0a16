import { randomBytes, randomUUID } from 'node:crypto';
import { encryptEvent, signBody } from '../lark/crypto.js';

/**
 * Builds events exactly as Feishu sends them: schema 2.0 envelope, encrypted with the Encrypt
 * Key, signed over the raw body. Used by the sandbox emulator, the tests and the bench.
 */
export interface EventSecrets {
  encryptKey: string;
  verificationToken: string;
  appId: string;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function envelope(secrets: EventSecrets, eventType: string, event: unknown, opts: { eventId?: string; createTimeMs?: number } = {}) {
  return {
    schema: '2.0',
    header: {
      event_id: opts.eventId ?? randomUUID().replace(/-/g, ''),
      event_type: eventType,
      create_time: String(opts.createTimeMs ?? Date.now()),
      token: secrets.verificationToken,
      app_id: secrets.appId,
      tenant_key: 'sandbox-tenant',
    },
    event,
  };
}

/** Encrypts and signs a plain body; `nowMs` is the signing time (X-Lark-Request-Timestamp). */
export function sealEvent(secrets: EventSecrets, plain: unknown, nowMs: number = Date.now()): SignedRequest {
  const body = JSON.stringify({ encrypt: encryptEvent(JSON.stringify(plain), secrets.encryptKey) });
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(8).toString('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': signBody(timestamp, nonce, secrets.encryptKey, body),
    },
  };
}

export interface MessageEventInput {
  openId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  text: string;
  messageId?: string;
  /** open_ids @-mentioned, in order: the text refers to them as @_user_1, @_user_2 … */
  mentions?: { openId: string; name: string }[];
}

export function messageEvent(m: MessageEventInput) {
  return {
    sender: { sender_id: { open_id: m.openId, union_id: `on_${m.openId}`, user_id: null }, sender_type: 'user', tenant_key: 'sandbox-tenant' },
    message: {
      message_id: m.messageId ?? `om_${randomUUID().replace(/-/g, '')}`,
      create_time: String(Date.now()),
      chat_id: m.chatId,
      chat_type: m.chatType,
      message_type: 'text',
      content: JSON.stringify({ text: m.text }),
      mentions: (m.mentions ?? []).map((x, i) => ({
        key: `@_user_${i + 1}`,
        id: { open_id: x.openId, union_id: `on_${x.openId}`, user_id: null },
        name: x.name,
        tenant_key: 'sandbox-tenant',
      })),
    },
  };
}

export interface CardActionInput {
  openId: string;
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  messageId?: string;
  chatId?: string;
  token?: string;
}

export function cardActionEvent(a: CardActionInput) {
  return {
    operator: { open_id: a.openId, union_id: `on_${a.openId}`, tenant_key: 'sandbox-tenant' },
    token: a.token ?? `c-${randomUUID()}`,
    action: {
      value: a.value,
      tag: a.formValue ? 'button' : 'button',
      ...(a.formValue ? { form_value: a.formValue, name: 'submit' } : {}),
    },
    host: 'im_message',
    context: { open_message_id: a.messageId, open_chat_id: a.chatId },
  };
}

export function botAddedEvent(chatId: string, operatorOpenId: string, name = '测试群') {
  return { chat_id: chatId, operator_id: { open_id: operatorOpenId }, name, external: false, operator_tenant_key: 'sandbox-tenant' };
}
