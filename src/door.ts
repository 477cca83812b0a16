import type { Context } from 'hono';
import type { CardResponse } from '../cards/card-kit.js';
import { BotAdded, CardAction, Envelope, MessageReceived } from './lark/envelopes.js';
import { eventDecrypter } from './lark/crypto.js';
import { headerReader, readBody, type HeaderReader } from './lark/read-body.js';
import { verifyRequest, type DoorSecrets } from './lark/verify-request.js';
import type { Logger } from './logger.js';

/** A verified event other than a card press, as the door hands it on to be stored. */
export interface DoorDelivery {
  /** event_id first; `msg:<message_id>` too for messages (Feishu may send one message twice). */
  keys: string[];
  type: string;
  /** The event's JSON as received (decrypted), not parsed and serialized again. */
  payload: string;
  /** Messages: their chat, so each chat is handled in order. */
  chatId: string | null;
  receivedAt: Date;
}

/** Where the door puts what it accepted. */
export interface DoorIntake {
  /** Stores the delivery durably: once this resolves it survives a crash, and the 200 goes out. */
  store(delivery: DoorDelivery): Promise<void>;
  /** Answers a verified card press (Feishu waits at most 3 s for it). */
  card(eventId: string, event: unknown, payload: string): Promise<CardResponse>;
}

export interface DoorOptions {
  secrets: DoorSecrets;
  intake: DoorIntake;
  logger: Logger;
  now: () => Date;
  /** Told of every request, before anything else (the door gate). */
  knock?: () => void;
}

/** What the door answers: a status and the JSON body. */
export interface DoorAnswer {
  status: 200 | 400 | 401;
  json: unknown;
}

/** One request as the door sees it, whichever server received it. */
export interface DoorRequest {
  path: string;
  header: HeaderReader;
  /** The raw body, or `undefined` when it is over `maxBytes`. */
  body(maxBytes: number): Promise<string | undefined>;
}

const ACK = { code: 0 };
const MAX_BODY_BYTES = 1024 * 1024;
const refuse = (status: 400 | 401, error: string): DoorAnswer => ({ status, json: { error } });

/**
 * `POST /lark/events` and `/lark/card`: everything Feishu sends comes through here. Checked on the
 * raw body (lark/verify-request.ts), then a message is stored before the 200 (Feishu retries after
 * 3 s; the stored delivery survives a crash) and a card press is answered. Where "stored" and
 * "answered" happen is the intake's business: in this process (app.ts) or, on Node, a journal on
 * this thread and the bot on another (src/node/). No web framework here: the Node door thread
 * calls it straight from node:http (node/door-listener.ts), everything else through `createDoor`.
 */
export function createDoorCheck(opts: DoorOptions): (req: DoorRequest) => Promise<DoorAnswer> {
  const { intake, logger, now } = opts;
  // The decrypter (its AES key, its cipher) is made once, not for every event.
  const secrets: DoorSecrets = { ...opts.secrets, decrypt: eventDecrypter(opts.secrets.encryptKey) };
  return async (req) => {
    opts.knock?.();
    // Feishu's events are a few KB; a bigger body is refused before it is read into memory, with
    // the contract's 400 for a malformed body (DESIGN.md: refused with 401/400), not 413.
    const raw = await req.body(MAX_BODY_BYTES);
    if (raw === undefined) return refuse(400, 'body too large');
    const at = now();
    const verdict = verifyRequest(raw, req.header, secrets, at.getTime());
    if (!verdict.ok) {
      logger.warn({ path: req.path, status: verdict.status, reason: verdict.reason }, 'refused at the door');
      return refuse(verdict.status, verdict.reason);
    }
    if (verdict.kind === 'challenge') return { status: 200, json: { challenge: verdict.challenge } };

    const env = Envelope.safeParse(verdict.body);
    if (!env.success) return refuse(400, 'not a schema 2.0 event');
    const { event_id: eventId, event_type: type } = env.data.header;
    // The events the bot acts on are checked here: a malformed one is refused, not stored.
    if (type === 'card.action.trigger') {
      if (!CardAction.safeParse(env.data.event).success) return refuse(400, 'malformed card action');
      return { status: 200, json: await intake.card(eventId, env.data.event, verdict.text) };
    }
    if ((type === 'im.chat.member.bot.added_v1' || type === 'im.chat.member.bot.deleted_v1') && !BotAdded.safeParse(env.data.event).success) {
      return refuse(400, 'malformed bot membership event');
    }

    let keys = [eventId];
    let chatId: string | null = null;
    if (type === 'im.message.receive_v1') {
      const msg = MessageReceived.safeParse(env.data.event);
      if (!msg.success) return refuse(400, 'malformed message event');
      keys = [eventId, `msg:${msg.data.message.message_id}`];
      chatId = msg.data.message.chat_id;
    }
    await intake.store({ keys, type, payload: verdict.text, chatId, receivedAt: at });
    return { status: 200, json: ACK };
  };
}

/** The door as a Hono handler (app.ts: the Worker, and Node's one-thread tests and sandbox). */
export function createDoor(opts: DoorOptions): (c: Context) => Promise<Response> {
  const check = createDoorCheck(opts);
  return async (c) => {
    const header = headerReader(c);
    const answer = await check({ path: c.req.path, header, body: (max) => readBody(c.req, header, max) });
    return c.json(answer.json, answer.status);
  };
}
