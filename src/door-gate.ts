/**
 * Door first. Work done after the response (handling stored messages, sending the outbox) runs
 * on the same JavaScript thread as the door and costs several times what acknowledging an event
 * does: left alone, it takes the CPU the door needs under load. So each step of such work (one
 * message handled, one message sent) asks this gate for a slot first.
 *
 * The gate watches how many requests the door takes per event-loop turn (a turn runs on
 * setImmediate, after the loop's I/O). While that is at least `heavyPerTurn` on average, the door
 * is the bottleneck: background work then gets `busyRate` slots a second, so it goes on under
 * any load, at a known pace. Once the rate has been lighter for `holdMs`, or no request has come
 * for `quietMs`, every waiting step may go at once. (Without the hold, a few light turns in the
 * middle of a burst let everything waiting go at once: in the bench's max phase that happened 3–8
 * times a second and gave background work as many steps again as the busy pace did.) Nothing is
 * dropped or reordered here: steps wait in the order they asked, and rows they stand for wait in
 * the database.
 */
export interface DoorGate {
  /** The door took a request. */
  knock(): void;
  /** Resolves when one background step may start. */
  slot(): Promise<void>;
  /**
   * Runs door work that is not a request of this thread's own (a card press handed over by the
   * door thread): while it is in hand, background steps go at the busy pace.
   */
  first<T>(work: () => Promise<T>): Promise<T>;
}

/** The shared memory a door thread's gate publishes into (`publish` / `door`): three float64s. */
export const DOOR_LOAD_BYTES = 3 * Float64Array.BYTES_PER_ELEMENT;

export interface DoorGateOptions {
  /** Background steps per second while the door is the bottleneck. */
  busyRate?: number;
  /** Requests per turn (a moving average) from which the door counts as the bottleneck. */
  heavyPerTurn?: number;
  /** How long the door stays the bottleneck after its last heavy turn. */
  holdMs?: number;
  quietMs?: number;
  /** Real elapsed time, ms (the same clock on every thread when `publish` or `door` is used). */
  monotonicMs?: () => number;
  /**
   * The door is on another thread (src/node/): this gate writes how busy the door is here
   * ([0] requests per turn, [1] when the last one came, [2] when a turn was last heavy; three
   * float64s) for that thread's gate to read.
   */
  publish?: Float64Array;
  /** …and this gate, on the bot's thread, reads it from here instead of being knocked. */
  door?: Float64Array;
}

const afterIo = (fn: () => void): void => {
  if (typeof setImmediate === 'function') setImmediate(fn);
  else setTimeout(fn, 0);
};

export function createDoorGate(opts: DoorGateOptions = {}): DoorGate {
  const busyRate = opts.busyRate ?? 1000;
  const heavyPerTurn = opts.heavyPerTurn ?? 4;
  const holdMs = opts.holdMs ?? 50;
  const quietMs = opts.quietMs ?? 10;
  // performance.now() counts from each thread's own start; with timeOrigin it is one clock.
  const clock = opts.monotonicMs ?? (() => performance.timeOrigin + performance.now());
  const { publish, door } = opts;
  /** Slots a busy stretch may save up (a long turn does not turn into a burst). */
  const maxCredit = Math.max(1, busyRate / 100);
  let waiters: (() => void)[] = [];
  let head = 0;
  let knocks = 0;
  let seen = 0;
  let lastKnockAt = -Infinity;
  let heavyAt = -Infinity;
  if (publish) publish[1] = publish[2] = -Infinity;
  /** Requests per turn in which requests came, as a moving average. */
  let load = 0;
  /** Slots earned while busy and not yet given. */
  let credit = 0;
  let creditAt = clock();
  let scheduled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** Door work in hand (`first`). */
  let urgent = 0;

  const waiting = () => waiters.length - head;
  const doorLoad = door ? () => door[0]! : () => load;
  const lastKnock = door ? () => door[1]! : () => lastKnockAt;
  const lastHeavy = door ? () => door[2]! : () => heavyAt;
  const doorFree = (now: number) => (doorLoad() < heavyPerTurn && now - lastHeavy() >= holdMs) || now - lastKnock() >= quietMs;
  const free = (now: number) => urgent === 0 && doorFree(now);

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    afterIo(turn);
  }

  function release(n: number): void {
    for (; n > 0 && head < waiters.length; n--) waiters[head++]!();
    if (head === waiters.length) {
      waiters = [];
      head = 0;
    }
  }

  function turn(): void {
    scheduled = false;
    const now = clock();
    const came = knocks - seen;
    seen = knocks;
    if (came > 0) {
      load += (came - load) / 8;
      if (load >= heavyPerTurn) heavyAt = now;
      if (publish) {
        publish[0] = load;
        publish[2] = heavyAt;
      }
    }
    credit = Math.min(maxCredit, credit + ((now - creditAt) * busyRate) / 1000);
    creditAt = now;
    if (waiting() === 0) return;
    if (free(now)) {
      release(waiting());
      return;
    }
    const n = Math.floor(credit);
    credit -= n;
    release(n);
    if (waiting() === 0 || timer) return;
    // Still busy: come back when the next slot is earned (or the door has gone quiet, or light
    // for long enough).
    const nextSlotMs = ((1 - credit) * 1000) / busyRate;
    const lightFor = doorLoad() < heavyPerTurn ? holdMs - (now - lastHeavy()) : Infinity;
    timer = setTimeout(() => {
      timer = undefined;
      schedule();
    }, Math.max(1, Math.ceil(Math.min(nextSlotMs, quietMs - (now - lastKnock()), lightFor))));
  }

  return {
    knock() {
      knocks++;
      lastKnockAt = clock();
      if (publish) publish[1] = lastKnockAt;
      schedule();
    },
    slot() {
      if (waiting() === 0 && free(clock())) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        schedule();
      });
    },
    async first(work) {
      urgent++;
      try {
        return await work();
      } finally {
        urgent--;
        schedule();
      }
    },
  };
}
