import { cardActionEvent, envelope, messageEvent, sealEvent, type EventSecrets } from '../src/sandbox/feishu-events.js';
import { openIdOf, p2pChatOf } from './config.js';

/** One sealed delivery, ready to send as Feishu would (raw body + signature headers). */
export interface Delivery {
  kind: 'message' | 'card';
  eventId: string;
  /** A repeat of an earlier delivery (same event_id, new signature): must not be handled again. */
  repeat: boolean;
  path: '/lark/events' | '/lark/card';
  headers: Record<string, string>;
  body: Buffer;
}

export interface Slice {
  deliveries: Delivery[];
  /** Distinct events in the slice (deliveries minus repeats). */
  unique: number;
  messages: number;
  cards: number;
}

export interface WorkloadOptions {
  /** Distinct users (and their private chats) the events come from, round-robin. */
  users: number;
  /** Every `cardEvery`-th event is a card.action.trigger `me.show` press; the rest are 帮助 (0: no presses). */
  cardEvery: number;
  /** Every `repeatEvery`-th delivery repeats an event sent a little earlier (Feishu re-delivery). */
  repeatEvery: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { users: 5000, cardEvery: 10, repeatEvery: 100 };

/**
 * Seals `count` deliveries whose events are unique across the whole run (`from` numbers them).
 * Mostly 帮助 in private chats from many users, so the 5/s per-chat limit does not dominate.
 */
export function buildSlice(secrets: EventSecrets, from: number, count: number, opts: WorkloadOptions = DEFAULT_WORKLOAD): Slice {
  const deliveries: Delivery[] = [];
  const plains: { kind: Delivery['kind']; eventId: string; plain: unknown }[] = [];
  let messages = 0;
  let cards = 0;
  const nowMs = Date.now();
  for (let k = 0; k < count; k++) {
    const n = from + k;
    const back = 37;
    if (k % opts.repeatEvery === opts.repeatEvery - 1 && plains.length > back) {
      const prior = plains[plains.length - back]!;
      deliveries.push(seal(secrets, prior.kind, prior.eventId, prior.plain, true, nowMs));
      continue;
    }
    const user = n % opts.users;
    const eventId = `ev_bench_${n}`;
    let kind: Delivery['kind'];
    let plain: unknown;
    if (opts.cardEvery > 0 && n % opts.cardEvery === opts.cardEvery - 1) {
      kind = 'card';
      cards++;
      const event = cardActionEvent({ openId: openIdOf(user), value: { action: 'me.show' }, messageId: `om_help_${user}`, chatId: p2pChatOf(user) });
      plain = envelope(secrets, 'card.action.trigger', event, { eventId, createTimeMs: nowMs });
    } else {
      kind = 'message';
      messages++;
      const event = messageEvent({ openId: openIdOf(user), chatId: p2pChatOf(user), chatType: 'p2p', text: '帮助', messageId: `om_bench_${n}` });
      plain = envelope(secrets, 'im.message.receive_v1', event, { eventId, createTimeMs: nowMs });
    }
    plains.push({ kind, eventId, plain });
    deliveries.push(seal(secrets, kind, eventId, plain, false, nowMs));
  }
  return { deliveries, unique: plains.length, messages, cards };
}

function seal(secrets: EventSecrets, kind: Delivery['kind'], eventId: string, plain: unknown, repeat: boolean, nowMs: number): Delivery {
  const sealed = sealEvent(secrets, plain, nowMs);
  return {
    kind,
    eventId,
    repeat,
    path: kind === 'card' ? '/lark/card' : '/lark/events',
    headers: { ...sealed.headers, 'content-length': String(Buffer.byteLength(sealed.body)) },
    body: Buffer.from(sealed.body),
  };
}
