import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../src/worker.js';
import { cardActionEvent, envelope, messageEvent, sealEvent, type CardActionInput, type MessageEventInput } from '../../src/sandbox/feishu-events.js';
import type { EmulatedMessage, RecordedRequest } from '../../src/sandbox/open-api-emulator.js';

/** The secrets the test Worker runs with (vitest.workers.config.ts bindings). */
function secrets() {
  const s = (k: string) => {
    const v = env[k];
    if (typeof v !== 'string') throw new Error(`test binding ${k} missing`);
    return v;
  };
  return { appId: s('LARK_APP_ID'), encryptKey: s('LARK_ENCRYPT_KEY'), verificationToken: s('LARK_VERIFICATION_TOKEN') };
}

/** One request through the Worker's fetch handler, then everything it passed to waitUntil. */
export async function invoke(request: Request, bindings: Record<string, unknown> = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...bindings, DB: env.DB }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A sealed (encrypted + signed) event, exactly as Feishu posts it. */
export function sealed(eventType: string, event: unknown, opts: { eventId?: string; path?: string } = {}): Request {
  const s = secrets();
  const { body, headers } = sealEvent(s, envelope(s, eventType, event, { eventId: opts.eventId }));
  return new Request(`https://bot.example${opts.path ?? '/lark/events'}`, { method: 'POST', headers, body });
}

export const say = (m: MessageEventInput, opts?: { eventId?: string }) => sealed('im.message.receive_v1', messageEvent(m), opts);
export const press = (a: CardActionInput, opts?: { eventId?: string; path?: string }) => sealed('card.action.trigger', cardActionEvent(a), opts);

/** What the fake Open API received (it runs outside workerd, behind the outbound service). */
export async function sentTo(chatId: string): Promise<EmulatedMessage[]> {
  const all = (await (await fetch('http://open-api.test/__emu/messages')).json()) as EmulatedMessage[];
  return all.filter((m) => m.chatId === chatId);
}

export async function openApiRequests(): Promise<RecordedRequest[]> {
  return (await (await fetch('http://open-api.test/__emu/requests')).json()) as RecordedRequest[];
}

export async function rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]> {
  const stmt = env.DB.prepare(sql);
  return (await (params.length ? stmt.bind(...params) : stmt).all<T>()).results;
}

/** A unique suffix per test, so tests never see each other's rows or messages. */
export const unique = (prefix: string) => `${prefix}_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;

export { textOf } from '../helpers/message-text.js';
