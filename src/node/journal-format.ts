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

/**
 * A line is the delivery's fields as a JSON array, a tab, then the payload as received: it is
 * JSON text already, and escaping it into a JSON string again cost the door more than writing it
 * (bench/). The array ends with the payload's length, so a line cut short is seen as damaged.
 * A payload with a raw newline in it (JSON may have one between tokens) is written the first way
 * instead: all in the array, escaped. (That is also how every line was written before; both
 * are read.) JSON.stringify leaves no raw tab in the array, so the first tab ends it.
 */
const Fields = [z.array(z.string().min(1)).min(1), z.string().min(1), z.string().nullable(), z.string().min(1)] as const;
const Head = z.tuple([...Fields, z.number().int().nonnegative()]);
const Whole = z.tuple([...Fields, z.string()]);

export function encodeLine(d: DoorDelivery): string {
  const at = d.receivedAt.toISOString();
  if (d.payload.includes('\n')) return `${JSON.stringify([d.keys, d.type, d.chatId, at, d.payload])}\n`;
  return `${JSON.stringify([d.keys, d.type, d.chatId, at, d.payload.length])}\t${d.payload}\n`;
}

/** One line back into a delivery; undefined when it is not one (a damaged file). */
export function decodeLine(line: string): DoorDelivery | undefined {
  const tab = line.indexOf('\t');
  let parsed: unknown;
  try {
    parsed = JSON.parse(tab < 0 ? line : line.slice(0, tab));
  } catch {
    return undefined;
  }
  let fields: [string[], string, string | null, string, string];
  if (tab < 0) {
    const r = Whole.safeParse(parsed);
    if (!r.success) return undefined;
    fields = r.data;
  } else {
    const r = Head.safeParse(parsed);
    const payload = line.slice(tab + 1);
    if (!r.success || payload.length !== r.data[4]) return undefined;
    fields = [r.data[0], r.data[1], r.data[2], r.data[3], payload];
  }
  const [keys, type, chatId, at, payload] = fields;
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
