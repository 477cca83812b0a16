import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DoorDelivery } from '../door.js';
import { encodeLine, segmentName, type JournalPosition } from './journal-format.js';
import { listSegments } from './journal-reader.js';

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
  /** How far the journal is written: at the end of each turn in which it was written to (a new segment's start included). */
  onWritten?: (p: JournalPosition) => void;
  /** Runs `fn` at the end of this event-loop turn (setImmediate). */
  endOfTurn?: (fn: () => void) => void;
}

/**
 * Each delivery is one write(2) of its line, done before `append` resolves, so its 200 can go
 * out at once. (Gathering a turn's lines into one write, as the SQLite dialect gathers commits,
 * costs fewer system calls but holds every answer to the end of the turn; the callers, Feishu's
 * connections, then wait in step with each other instead of overlapping: the bench measured it.)
 * Written, not fsynced: like SQLite's WAL with synchronous=NORMAL (open-sqlite.ts), it survives
 * the process dying, not the machine losing power. A new segment on every start: the bot
 * thread reads what earlier runs left as finished files.
 */
export function openJournalWriter(opts: JournalWriterOptions): JournalWriter {
  const maxBytes = opts.maxSegmentBytes ?? 8 * 1024 * 1024;
  const endOfTurn = opts.endOfTurn ?? setImmediate;
  mkdirSync(opts.dir, { recursive: true });
  let segment = (listSegments(opts.dir).at(-1) ?? 0) + 1;
  let fd = openSync(join(opts.dir, segmentName(segment)), 'wx');
  let end = 0;
  let told = true;
  let closed = false;

  const tell = () => {
    told = true;
    opts.onWritten?.({ segment, end });
  };

  /** A write failed part-way and its line could not be ended: the next line starts with '\n'. */
  let cut = false;

  function write(line: string): void {
    const buf = Buffer.from(cut ? `\n${line}` : line, 'utf8');
    let at = 0;
    try {
      while (at < buf.length) at += writeSync(fd, buf, at, buf.length - at);
    } catch (err) {
      // Not acknowledged. A part already written would be a broken line in the middle of the
      // file: the next line starts after it, and the reader skips it as damaged.
      if (at > 0) {
        end += at;
        try {
          end += writeSync(fd, '\n');
          cut = false;
        } catch {
          cut = true; // ended by the next line's write, so that line is not glued to this one
        }
      }
      throw err;
    }
    cut = false;
    end += buf.length;
    if (told) {
      told = false;
      endOfTurn(tell);
    }
    if (end >= maxBytes) rotate();
  }

  /**
   * The next segment is opened before this one is closed: if that fails (a full disk, no file
   * handles left), writing goes on in this one and the next write tries again. (Closing first
   * left `fd` naming a closed descriptor that the next accepted socket could reuse.)
   */
  function rotate(): void {
    let next: number;
    try {
      next = openSync(join(opts.dir, segmentName(segment + 1)), 'wx');
    } catch {
      return;
    }
    closeSync(fd);
    fd = next;
    segment++;
    end = 0;
  }

  return {
    append(d) {
      if (closed) return Promise.reject(new Error('journal closed'));
      try {
        write(encodeLine(d));
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    position: () => ({ segment, end }),
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
