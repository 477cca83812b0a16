import type { JournalPosition } from './journal-format.js';

/** Bytes of the SharedArrayBuffer a JournalSignal lives in. */
export const JOURNAL_SIGNAL_BYTES = 16;

/**
 * How far the door has written its journal, in memory both threads share, and whether the bot
 * thread is asleep waiting for more. Under load the door writes in every turn of its event loop
 * (2,000–3,000 a second in the bench): a message to the bot thread each time was a wake-up of
 * that thread, more of them than it had card presses to answer. Now the door stores the position,
 * and the bot thread reads it when it wants more; only a bot thread that has read everything and
 * gone to sleep is woken, by one message.
 *
 * No wake-up is lost: the bot thread says it sleeps and then looks once more; the door stores the
 * position and then takes the flag. Atomics are sequentially consistent, so either the door sees
 * the flag (and wakes it) or the bot thread's last look sees the new position.
 */
export interface JournalSignal {
  /** Door: the journal is written up to `p`. True when the bot thread slept and must be woken. */
  publish(p: JournalPosition): boolean;
  /** Bot thread: how far the door has written (undefined before it first said). */
  read(): JournalPosition | undefined;
  /** Bot thread: it has read everything; the next publish wakes it (look once more after this). */
  sleep(): void;
}

export function journalSignal(buffer: SharedArrayBuffer): JournalSignal {
  // One 64-bit word, so the two halves are never read torn: the segment above, the end below.
  const position = new BigInt64Array(buffer, 0, 1);
  const asleep = new Int32Array(buffer, 8, 1);
  return {
    publish(p) {
      // Segments are 8 MB and numbered from 1: neither limit is reached unless the disk refuses
      // new segments for 4 GB of one. This runs at the end of the door's turn, where a throw
      // would end the process: past the limit the bot thread reads up to it, and the rest waits
      // in the file for the next start.
      const segment = Math.min(Math.max(1, Math.trunc(p.segment)), 0x7fffffff);
      const end = Math.min(Math.max(0, Math.trunc(p.end)), 0xffffffff);
      Atomics.store(position, 0, (BigInt(segment) << 32n) | BigInt(end));
      return Atomics.exchange(asleep, 0, 0) === 1;
    },
    read() {
      const v = Atomics.load(position, 0);
      return v === 0n ? undefined : { segment: Number(v >> 32n), end: Number(v & 0xffffffffn) };
    },
    sleep() {
      Atomics.store(asleep, 0, 1);
    },
  };
}
