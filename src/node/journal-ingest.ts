import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { claimDelivery } from '../../db/repos/inbound.js';
import type { DoorGate } from '../door-gate.js';
import type { InboxQueue } from '../inbox-queue.js';
import type { Deps } from '../usecases/deps.js';
import { segmentName, type JournalPosition } from './journal-format.js';
import { listSegments, readChunk } from './journal-reader.js';

export interface JournalIngest {
  /** The door wrote more: read up to `position()`. */
  wake(): void;
  /** Resolves when everything written so far is in the database (or after `stop`, when it stopped). */
  idle(): Promise<void>;
  /** No more reading or retrying (what is left stays in the journal for the next start). */
  stop(): void;
}

export interface JournalIngestOptions {
  dir: string;
  /** How far the door has written (it writes nothing before its segment any more); undefined: not yet known. */
  position: () => JournalPosition | undefined;
  /** Called when everything written is read, before one last look: the next write should wake this (journal-signal.ts). */
  asleep?: () => void;
  deps: Pick<Deps, 'db' | 'logger'>;
  inbox: Pick<InboxQueue, 'push'>;
  /** Each chunk waits for a slot: while the door is busy, this goes at the gate's pace. */
  gate?: Pick<DoorGate, 'slot'>;
  /** Bytes read and claimed at a time. */
  chunkBytes?: number;
  retryMs?: number;
}

/**
 * The bot thread's side of the door's journal (journal-writer.ts): every line becomes a stored
 * delivery (claimDelivery, which also drops repeats: the door acknowledges a repeat like any
 * event and it ends here), in order, and what is new goes to the inbox queue. A segment is
 * deleted once all of it is in the database and the door writes a later one; until then a crash
 * just means reading it again (claiming twice is harmless). Segments older than the door's
 * current one are leftovers of an earlier run and are read first.
 */
export function createJournalIngest(opts: JournalIngestOptions): JournalIngest {
  const { dir, deps, inbox } = opts;
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  const retryMs = opts.retryMs ?? 1000;
  let cursor: { segment: number; offset: number } | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function claimAll(chunk: ReturnType<typeof readChunk>): Promise<void> {
    // Issued together so they share one commit (better-sqlite-dialect.ts); pushed in file order.
    const fresh = await Promise.all(chunk.deliveries.map((d) => claimDelivery(deps.db, d.keys, d.type, d.payload, d.receivedAt, d.chatId)));
    chunk.deliveries.forEach((d, i) => {
      if (fresh[i]) inbox.push(d.keys[0]!, d.chatId);
    });
  }

  /** One step; false when there is nothing more to do for now. */
  async function step(): Promise<boolean> {
    const k = opts.position();
    if (!k) return false;
    if (!cursor) {
      const first = listSegments(dir)[0];
      if (first === undefined) return false;
      cursor = { segment: first, offset: 0 };
    }
    const current = cursor.segment >= k.segment;
    if (current && cursor.offset >= k.end) return false;
    await opts.gate?.slot();
    const chunk = readChunk(dir, cursor.segment, cursor.offset, current ? k.end : undefined, chunkBytes);
    if (chunk.damaged) deps.logger.warn({ segment: cursor.segment, lines: chunk.damaged }, 'journal: damaged lines skipped');
    await claimAll(chunk);
    cursor.offset = chunk.next;
    if (chunk.deliveries.length > 0 || chunk.damaged > 0) return true;
    if (current) return false;
    // An earlier segment, read to its end: all of it is in the database.
    if (chunk.rest > 0) deps.logger.warn({ segment: cursor.segment, bytes: chunk.rest }, 'journal: a cut-short last line skipped');
    rmSync(join(dir, segmentName(cursor.segment)), { force: true });
    const later = listSegments(dir).find((n) => n > cursor!.segment);
    cursor = later === undefined ? undefined : { segment: later, offset: 0 };
    return cursor !== undefined;
  }

  async function run(): Promise<void> {
    for (;;) {
      again = false;
      try {
        while (!stopped && (await step()));
        // Caught up: ask to be woken by the next write, then look once more, for a write made
        // after the last look and before the ask.
        opts.asleep?.();
        if (!stopped && (await step())) again = true;
      } catch (err) {
        if (stopped) return;
        // Left in the journal: tried again after a pause (the door keeps writing meanwhile).
        deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'journal: moving deliveries into the database failed');
        await new Promise((r) => setTimeout(r, retryMs));
        again = true;
      }
      if (!again || stopped) return;
    }
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
    });
  }

  return {
    wake: kick,
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
    },
  };
}
