import { z } from 'zod';
import type { DoorDelivery } from '../door.js';

/**
 * The door's journal on Node: what the door accepted, one JSON line per delivery, appended to
 * numbered segment files (`000000000001.jsonl`, …) in one directory. The door thread writes it;
 * the bot thread moves each line into SQLite (claimDelivery) and deletes a segment once all of it
 * is there and the door has moved on to a later one.
 */
export interface JournalPosition {
  /** The segment the door writes to. */
  segment: number;
  /** Bytes in it that are written in full. */
  end: number;
}

const Line = z.tuple([z.array(z.string().min(1)).min(1), z.string().min(1), z.string().nullable(), z.string().min(1), z.string()]);

export function encodeLine(d: DoorDelivery): string {
  return `${JSON.stringify([d.keys, d.type, d.chatId, d.receivedAt.toISOString(), d.payload])}\n`;
}

/** One line back into a delivery; undefined when it is not one (a damaged file). */
export function decodeLine(line: string): DoorDelivery | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = Line.safeParse(parsed);
  if (!r.success) return undefined;
  const [keys, type, chatId, at, payload] = r.data;
  const receivedAt = new Date(at);
  if (Number.isNaN(receivedAt.getTime())) return undefined;
  return { keys, type, chatId, receivedAt, payload };
}

const NAME = /^(\d{12})\.jsonl$/;

export const segmentName = (n: number): string => `${String(n).padStart(12, '0')}.jsonl`;

export function segmentNumber(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}
