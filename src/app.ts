import { Hono } from 'hono';
import { claimDelivery } from '../db/repos/inbound.js';
import { createCardAnswerer } from './answer-card.js';
import { createDoor, type DoorIntake } from './door.js';
import { createDoorGate, type DoorGate } from './door-gate.js';
import { createInboxQueue, type InboxQueue } from './inbox-queue.js';
import { drainSoon } from './lark/drain-soon.js';
import type { DeliveryRoutes } from './process-delivery.js';
import type { DoorSecrets } from './lark/verify-request.js';
import type { Deps } from './usecases/deps.js';

export interface AppOptions {
  deps: Deps;
  secrets: DoorSecrets;
  /** Commands and dialogs for messages, actions for card presses. */
  routes: DeliveryRoutes;
  /** Runs work after the response (Node: a floating promise; Workers: ctx.waitUntil). */
  defer: (task: () => Promise<unknown>) => void;
  /** Work after the response yields to the door through this gate; by default one of the app's own. */
  gate?: DoorGate;
  /** Where stored messages wait to be handled; by default a queue of the app's own, behind `gate`. */
  inbox?: InboxQueue;
  /** For the app's own queue: how many of a chat's waiting messages it takes up (inbox-queue.ts). */
  followChats?: number;
  /** Extra routes mounted by the entry (the sandbox). */
  mount?: (app: Hono) => void;
  /** Card callbacks must answer within 3 s; past this we answer "processing" and finish later. */
  cardTimeoutMs?: number;
}

/**
 * The whole bot as one Hono app: the door, stored messages handled after the response, card
 * presses answered, /healthz. Workers and the tests run it as is; on Node the door runs on its
 * own thread in front of it (src/node/).
 */
export function createApp(opts: AppOptions): Hono {
  const { deps, secrets, routes, defer } = opts;
  const app = new Hono();

  app.get('/healthz', async (c) => {
    await deps.db.selectFrom('settings').select('key').limit(1).execute();
    return c.json({ ok: true });
  });

  const kick = drainSoon(deps.outbox, defer);
  // Stored messages are handled after the response, behind the door (src/inbox-queue.ts), and
  // what they queued is sent. The queue lives outside the door, so waiting work does not keep a
  // request and its body alive.
  const gate = opts.gate ?? createDoorGate();
  const inbox = opts.inbox ?? createInboxQueue({ deps, routes, gate, defer, afterHandled: kick, followChats: opts.followChats });
  const intake: DoorIntake = {
    async store(d) {
      if (await claimDelivery(deps.db, d.keys, d.type, d.payload, d.receivedAt, d.chatId)) inbox.push(d.keys[0]!, d.chatId);
    },
    card: createCardAnswerer(deps, { actions: routes.actions, defer, afterHandled: kick, timeoutMs: opts.cardTimeoutMs }),
  };
  const door = createDoor({ secrets, intake, logger: deps.logger, now: deps.now, knock: () => gate.knock() });

  app.post('/lark/events', door);
  app.post('/lark/card', door);
  opts.mount?.(app);
  return app;
}
