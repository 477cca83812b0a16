import { closeSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DoorDelivery } from '../door.js';
import { encodeLine, segmentName, segmentNumber, type JournalPosition } from './journal-format.js';

export interface JournalWriter {
  /** Resolves once the delivery is written to the file (it then survives a crash of this process). */
  append(d: DoorDelivery): Promise<void>;
  position(): JournalPosition;
  close(): void;
}

export interface JournalWriterOptions {
  dir: string;
  /** A segment this big is closed and the next one started. */
  maxSegmentBytes?: number;
  /** After each write (and after starting a new segment): how far the journal is written. */
  onWritten?: (p: JournalPosition) => void;
  /** Runs `fn` at the end of this event-loop turn (setImmediate). */
  endOfTurn?: (fn: () => void) => void;
}

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

/**
 * Group commit, as db/better-sqlite-dialect.ts does it for SQLite: the deliveries the door
 * accepts in one event-loop turn are written together in one write(2) at the end of the turn,
 * and each `append` resolves after it. Written, not fsynced: like SQLite's WAL with
 * synchronous=NORMAL (open-sqlite.ts), it survives the process dying, not the machine losing power.
 * Always a new segment on start: the bot thread reads what earlier runs left as finished files.
 */
export function openJournalWriter(opts: JournalWriterOptions): JournalWriter {
  const maxBytes = opts.maxSegmentBytes ?? 8 * 1024 * 1024;
  const endOfTurn = opts.endOfTurn ?? setImmediate;
  mkdirSync(opts.dir, { recursive: true });
  const existing = readdirSync(opts.dir).map(segmentNumber).filter((n): n is number => n !== undefined);
  let segment = existing.reduce((a, b) => Math.max(a, b), 0) + 1;
  let fd = openSync(join(opts.dir, segmentName(segment)), 'wx');
  let end = 0;
  let lines: string[] = [];
  let waiters: Waiter[] = [];
  let closed = false;

  function flush(): void {
    if (lines.length === 0) return;
    const batch = lines;
    const waiting = waiters;
    lines = [];
    waiters = [];
    try {
      const buf = Buffer.from(batch.join(''), 'utf8');
      for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at);
      end += buf.length;
    } catch (err) {
      // Nothing of this batch is acknowledged; a partial line left behind is skipped by the reader.
      for (const w of waiting) w.reject(err);
      return;
    }
    for (const w of waiting) w.resolve();
    opts.onWritten?.({ segment, end });
    if (end >= maxBytes) {
      closeSync(fd);
      segment++;
      fd = openSync(join(opts.dir, segmentName(segment)), 'wx');
      end = 0;
      opts.onWritten?.({ segment, end });
    }
  }

  return {
    append(d) {
      if (closed) return Promise.reject(new Error('journal closed'));
      if (lines.length === 0) endOfTurn(flush);
      lines.push(encodeLine(d));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    position: () => ({ segment, end }),
    close() {
      if (closed) return;
      if (lines.length) flush();
      closed = true;
      closeSync(fd);
    },
  };
}
