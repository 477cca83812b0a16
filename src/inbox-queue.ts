import { pendingDeliveries } from '../db/repos/inbound.js';
import type { DoorGate } from './door-gate.js';
import { processDelivery, type DeliveryOutcome, type DeliveryRoutes } from './process-delivery.js';
import type { Deps, OneCommit } from './usecases/deps.js';

/**
 * Stored messages, handled after the acknowledgement and behind the door:
 *
 * - Each delivery waits for a slot from the door gate (door-gate.ts) before it starts, so under
 *   load handling goes on at a set pace and the door comes first; at most `concurrency` are in
 *   hand at once.
 * - Each chat's messages are handled one at a time, in the order they came (a lane per chat).
 * - At most `capacity` keys wait in memory. Past that the rows simply wait in the database,
 *   where claimDelivery stored them before the 200, and are read back in arrival order once the
 *   queue has worked down what it holds (`poll` asks for the same, e.g. every few seconds).
 * - Every delivery is leased before it is handled (processDelivery), so this queue, tick's
 *   recovery and another instance never handle one row twice.
 */
export interface InboxQueueOptions {
  deps: Deps;
  routes: DeliveryRoutes;
  gate: DoorGate;
  /** Keeps the queue's work alive after the response (Node: tracked promises; Workers: waitUntil). */
  defer: (task: () => Promise<unknown>) => void;
  /** After a delivery was tried (e.g. send what it queued). */
  afterHandled?: (outcome: DeliveryOutcome) => void;
  /** Node: a delivery's writes (lease, handling, outcome) wait for one commit, not one each. */
  oneCommit?: OneCommit;
  concurrency?: number;
  /** Slots asked for at once (the outbox asks with 8 senders). */
  asks?: number;
  capacity?: number;
  /** How many rows one read from the database takes. */
  batch?: number;
  /**
   * After a chat's message is handled, look in the database for the next one of that chat, up to
   * this many in all (unlimited by default). On Workers each invocation's queue holds only its own
   * message: one that came while an older one of its chat was in another invocation's hands is
   * left waiting behind it, and without this would wait for the minute's recovery; the Worker
   * caps it by its budget (the rest is recovered). Node's bot thread, the one queue on its
   * database, has every message in memory (or reads it back itself) and sets 0.
   */
  followChats?: number;
}

export interface InboxQueue {
  /** A delivery was stored (claimDelivery): handle it after the ones before it in `lane`. */
  push(key: string, lane: string | null): void;
  /** Also look in the database for pending rows nobody holds (after a restart, retries due). */
  poll(): void;
  /** Resolves when nothing is queued, in hand or being read. */
  idle(): Promise<void>;
  stats(): { queued: number; inHand: number; spilled: boolean };
}

interface Item {
  key: string;
  lane: string;
}

export function createInboxQueue(opts: InboxQueueOptions): InboxQueue {
  const { deps, routes, gate, defer } = opts;
  const concurrency = opts.concurrency ?? 32;
  const asks = Math.min(opts.asks ?? 8, concurrency);
  const capacity = opts.capacity ?? 10_000;
  const batch = Math.min(opts.batch ?? 1000, capacity);
  let followsLeft = opts.followChats ?? Infinity;

  /** Arrival order; `head` is the next to look at (shifting a long array is O(n)). */
  let ready: Item[] = [];
  let head = 0;
  /** Lanes with a delivery in hand, and what waits behind it in each, in order. */
  const held = new Map<string, Item[]>();
  /** The next in line of a lane whose delivery just finished: they go before `ready`. */
  const unblocked: Item[] = [];
  /** Every key in memory (ready, waiting in a lane, in hand). */
  const known = new Set<string>();
  let inHand = 0;
  /** Taken in order, waiting for their slot. */
  let asking = 0;
  /** Rows wait in the database that are not in memory. */
  let spilled = false;
  let pumping = false;
  /** Wakes the pump when a delivery in hand finishes (it waits while `concurrency` are). */
  let freed: (() => void) | undefined;
  /** The deferred task that spans the queue's activity, and how to end it. */
  let active: { done: () => void; promise: Promise<void> } | undefined;

  const hasWork = () => unblocked.length > 0 || head < ready.length || spilled;

  function wake(): void {
    if (!active) {
      let done!: () => void;
      const promise = new Promise<void>((resolve) => (done = resolve));
      active = { done, promise };
      defer(() => promise);
    }
    if (!pumping) void pump();
  }

  function settleIfIdle(): void {
    if (!pumping && inHand === 0 && asking === 0 && known.size === 0 && !hasWork() && active) {
      const a = active;
      active = undefined;
      a.done();
    }
  }

  /** The next delivery that may start, if any: a lane's next in line first, then arrival order. */
  function next(): Item | undefined {
    for (;;) {
      const u = unblocked.shift();
      if (u) return u; // it already holds its lane
      if (head >= ready.length) return undefined;
      const item = ready[head++]!;
      if (head > 1024 && head * 2 > ready.length) {
        ready = ready.slice(head);
        head = 0;
      }
      const waiting = held.get(item.lane);
      if (!waiting) {
        held.set(item.lane, []);
        return item;
      }
      // Its chat has a message in hand: it goes after it (and after any already waiting).
      waiting.push(item);
    }
  }

  /**
   * One loop at a time: takes deliveries in order and asks the gate for a slot for each, up to
   * `asks` at once (the outbox's senders ask side by side too, so both get their share under
   * load); each starts when its slot comes, in the order asked.
   */
  async function pump(): Promise<void> {
    pumping = true;
    try {
      for (;;) {
        if (inHand + asking >= concurrency || asking >= asks) {
          await new Promise<void>((resolve) => (freed = resolve));
          continue;
        }
        const item = next();
        if (!item) {
          if (!spilled) break;
          await readBack();
          continue;
        }
        asking++;
        void gate.slot().then(() => {
          asking--;
          start(item);
          notify();
        });
      }
    } catch (err) {
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'inbox queue stopped');
    } finally {
      pumping = false;
      settleIfIdle();
    }
  }

  function notify(): void {
    const f = freed;
    freed = undefined;
    f?.();
  }

  const handlerDeps = opts.oneCommit?.deps ?? deps;
  const mark = opts.oneCommit?.mark ?? (() => 0);
  const committed = opts.oneCommit?.committed ?? (() => Promise.resolve());
  /** Handles one delivery; its outcome counts once it is committed. */
  async function handle(key: string): Promise<DeliveryOutcome> {
    const since = mark(); // its writes span turns: the wait covers every commit from here
    const outcome = await processDelivery(handlerDeps, routes, key);
    // If a commit since the mark failed, some of its writes were undone: it is not counted
    // handled; a row left pending is taken again by a later poll (or recovery, past its lease).
    await committed(since);
    return outcome;
  }

  /** A chat's lane is free: its next message, wherever it was stored, comes next. */
  async function follow(chatId: string): Promise<void> {
    try {
      const [next] = await pendingDeliveries(deps.db, deps.now(), 1, { chatId });
      if (next && !known.has(next.key) && followsLeft > 0) {
        followsLeft--;
        push(next.key, chatId);
      }
    } catch (err) {
      // It stays pending: a poll or the minute's recovery finds it.
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'inbox queue: reading the chat\'s next message failed');
    }
  }

  function push(key: string, lane: string | null): void {
    if (spilled || known.size >= capacity) {
      spilled = true;
    } else if (!known.has(key)) {
      known.add(key);
      ready.push({ key, lane: lane ?? key });
    }
    wake();
  }

  function start(item: Item): void {
    inHand++;
    handle(item.key)
      .then(
        async (outcome) => {
          opts.afterHandled?.(outcome);
          if (followsLeft > 0 && item.lane !== item.key && (outcome === 'done' || outcome === 'failed')) await follow(item.lane);
        },
        (err: unknown) => deps.logger.error({ key: item.key, err: err instanceof Error ? err.message : String(err) }, 'inbox queue: handling failed'),
      )
      .finally(() => {
        inHand--;
        known.delete(item.key);
        const waiting = held.get(item.lane);
        const following = waiting?.shift();
        if (following) unblocked.push(following); // it keeps the lane: it is next in it
        else held.delete(item.lane);
        notify();
        if (hasWork()) wake();
        settleIfIdle();
      });
  }

  /**
   * Reads pending rows back from the database, oldest first, once memory is worked down. Keys
   * pushed meanwhile are newer than every row it returns, unless the read was cut short by
   * `batch`: then they wait in the database behind the rest and come with a later read.
   */
  async function readBack(): Promise<void> {
    spilled = false;
    const before = new Set(known); // in hand or waiting in a lane: not read again
    // Enough rows that `batch` of them are new even if every key in memory is among them.
    const limit = batch + before.size;
    try {
      const rows = await pendingDeliveries(deps.db, deps.now(), limit);
      const fresh: Item[] = [];
      for (const r of rows) {
        if (before.has(r.key)) continue;
        known.add(r.key);
        fresh.push({ key: r.key, lane: r.chat_id ?? r.key });
      }
      const got = new Set(fresh.map((f) => f.key));
      const meanwhile = ready.slice(head).filter((it) => !got.has(it.key));
      if (rows.length >= limit) {
        for (const it of meanwhile) known.delete(it.key);
        ready = fresh;
        spilled = true;
      } else {
        ready = [...fresh, ...meanwhile];
      }
      head = 0;
    } catch (err) {
      // The rows stay pending: the next poll (or tick's recovery) finds them.
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'inbox queue: reading pending deliveries failed');
    }
  }

  return {
    push,
    poll() {
      spilled = true;
      wake();
    },
    idle() {
      return active?.promise ?? Promise.resolve();
    },
    stats() {
      const waiting = [...held.values()].reduce((n, w) => n + w.length, 0);
      return { queued: ready.length - head + unblocked.length + waiting, inHand, spilled };
    },
  };
}
