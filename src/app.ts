import { Hono } from 'hono';
import { toast, type CardResponse } from '../cards/card-kit.js';
import { claimDelivery, deliveryByKey, finishDelivery } from '../db/repos/inbound.js';
import { onCardAction, type CardActionTable } from '../handlers/on-card-action.js';
import type { MessageRoutes } from '../handlers/on-message.js';
import { createDoorGate, type DoorGate } from './door-gate.js';
import { createInboxQueue, type InboxQueue } from './inbox-queue.js';
import { drainSoon } from './lark/drain-soon.js';
import { Envelope, MessageReceived } from './lark/envelopes.js';
import { aesKeyOf } from './lark/crypto.js';
import { headerReader, readBody } from './lark/read-body.js';
import { verifyRequest, type DoorSecrets } from './lark/verify-request.js';
import type { Deps } from './usecases/deps.js';

export interface AppOptions {
  deps: Deps;
  secrets: DoorSecrets;
  routes: MessageRoutes;
  actions: CardActionTable;
  /** Runs work after the response (Node: a floating promise; Workers: ctx.waitUntil). */
  defer: (task: () => Promise<unknown>) => void;
  /** Work after the response yields to the door through this gate; by default one of the app's own. */
  gate?: DoorGate;
  /** Where stored messages wait to be handled; by default a queue of the app's own, behind `gate`. */
  inbox?: InboxQueue;
  /** Extra routes mounted by the entry (the sandbox). */
  mount?: (app: Hono) => void;
  /** Card callbacks must answer within 3 s; past this we answer "processing" and finish later. */
  cardTimeoutMs?: number;
}

const ACK = { code: 0 };
const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(opts: AppOptions): Hono {
  const { deps, secrets, routes, actions, defer } = opts;
  const app = new Hono();
  // The AES key is derived from the Encrypt Key once, not for every event.
  const doorSecrets: DoorSecrets = { ...secrets, aesKey: aesKeyOf(secrets.encryptKey) };

  app.get('/healthz', async (c) => {
    await deps.db.selectFrom('settings').select('key').limit(1).execute();
    return c.json({ ok: true });
  });

  const kick = drainSoon(deps.outbox, defer);
  // Stored messages are handled after the response, behind the door (src/inbox-queue.ts), and
  // what they queued is sent. The queue lives outside `door`, so waiting work does not keep a
  // request and its body alive.
  const gate = opts.gate ?? createDoorGate();
  const inbox = opts.inbox ?? createInboxQueue({ deps, routes, gate, defer, afterHandled: kick });

  const door = async (c: import('hono').Context) => {
    gate.knock();
    const header = headerReader(c);
    // Feishu's events are a few KB; a bigger body is refused before it is read into memory.
    const raw = await readBody(c.req, header, MAX_BODY_BYTES);
    if (raw === undefined) return c.json({ error: 'body too large' }, 413);
    const verdict = verifyRequest(raw, header, doorSecrets, deps.now().getTime());
    if (!verdict.ok) {
      deps.logger.warn({ path: c.req.path, status: verdict.status, reason: verdict.reason }, 'refused at the door');
      return c.json({ error: verdict.reason }, verdict.status);
    }
    if (verdict.kind === 'challenge') return c.json({ challenge: verdict.challenge });

    const env = Envelope.safeParse(verdict.body);
    if (!env.success) return c.json({ error: 'not a schema 2.0 event' }, 400);
    const { event_id: eventId, event_type: type } = env.data.header;
    // Stored as it came (decrypted), not parsed and serialized again.
    const payload = verdict.text;

    if (type === 'card.action.trigger') {
      const fresh = await claimDelivery(deps.db, [eventId], type, payload, deps.now());
      if (!fresh) {
        const prior = await deliveryByKey(deps.db, eventId);
        if (prior?.response) return c.json(JSON.parse(prior.response) as CardResponse);
        return c.json(toast('info', '正在处理，请稍候'));
      }
      const work = onCardAction(deps, actions, env.data.event, eventId)
        .catch((err: unknown) => {
          deps.logger.error({ eventId, err: err instanceof Error ? err.message : String(err) }, 'card action failed');
          return toast('error', '处理失败，请稍后再试；多次失败请联系管理员。');
        })
        .then(async (res) => {
          await finishDelivery(deps.db, eventId, 'done', deps.now(), undefined, JSON.stringify(res));
          kick();
          return res;
        });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<CardResponse>((resolve) => {
        timer = setTimeout(() => resolve(toast('info', '已收到，正在处理…')), opts.cardTimeoutMs ?? 2500);
      });
      const res = await Promise.race([work, timeout]);
      clearTimeout(timer);
      defer(() => work);
      return c.json(res);
    }

    let keys = [eventId];
    let chatId: string | null = null;
    if (type === 'im.message.receive_v1') {
      const msg = MessageReceived.safeParse(env.data.event);
      if (!msg.success) return c.json({ error: 'malformed message event' }, 400);
      keys = [eventId, `msg:${msg.data.message.message_id}`];
      chatId = msg.data.message.chat_id;
    }
    const fresh = await claimDelivery(deps.db, keys, type, payload, deps.now(), chatId);
    // Acknowledge now (Feishu retries after 3 s); the stored delivery survives a crash.
    if (fresh) inbox.push(eventId, chatId);
    return c.json(ACK);
  };

  app.post('/lark/events', door);
  app.post('/lark/card', door);
  opts.mount?.(app);
  return app;
}
