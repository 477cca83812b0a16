import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { DoorDelivery } from '../door.js';
import { decodeLine, segmentName, segmentNumber } from './journal-format.js';

/** The segment numbers in `dir`, oldest first. */
export function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map(segmentNumber)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

export interface JournalChunk {
  deliveries: DoorDelivery[];
  /** Where the next read starts (after the last whole line read). */
  next: number;
  /** Lines that were not deliveries (a damaged file): skipped. */
  damaged: number;
  /** Bytes after the last whole line, up to `to` (a line still being written, or cut short). */
  rest: number;
}

/**
 * Reads whole lines of one segment from byte `from` up to `to` (its size if not given), at most
 * about `maxBytes` at a time (at least one line).
 */
export function readChunk(dir: string, segment: number, from: number, to: number | undefined, maxBytes = 1024 * 1024): JournalChunk {
  const fd = openSync(join(dir, segmentName(segment)), 'r');
  try {
    const limit = to ?? fstatSync(fd).size;
    const deliveries: DoorDelivery[] = [];
    let damaged = 0;
    let next = from;
    let want = Math.min(maxBytes, limit - from);
    while (want > 0) {
      const buf = Buffer.allocUnsafe(want);
      const got = readSync(fd, buf, 0, want, from);
      const lastNl = buf.lastIndexOf(0x0a, got - 1);
      if (lastNl < 0) {
        // No whole line within `want` bytes: a line longer than maxBytes, read it whole.
        if (from + got >= limit) break;
        want = Math.min(limit - from, want * 2);
        continue;
      }
      for (const line of buf.toString('utf8', 0, lastNl).split('\n')) {
        const d = decodeLine(line);
        if (d) deliveries.push(d);
        else damaged++;
      }
      next = from + lastNl + 1;
      break;
    }
    return { deliveries, next, damaged, rest: limit - next };
  } finally {
    closeSync(fd);
  }
}
