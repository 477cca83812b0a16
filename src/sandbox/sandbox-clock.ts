import { zoneOffsetMinutes } from '../domain/dates.js';
import type { SandboxStore } from './sandbox-store.js';

/**
 * The sandbox's clock: real time plus an offset the user moves forward from the chat page.
 * The bot is given `now` (createDeps), so the door, the outbox and the scheduler all live in
 * sandbox time. The offset is kept in sandbox_settings and survives a restart.
 */
export interface SandboxClock {
  now(): Date;
  offsetMs(): number;
  /** Moves the clock to `at`; refuses to go back (time in the sandbox only moves forward). */
  moveTo(at: Date): Promise<void>;
}

const KEY = 'clock_offset_ms';

export async function createSandboxClock(store: SandboxStore, realNow: () => number = Date.now): Promise<SandboxClock> {
  let offset = Number((await store.getSetting(KEY)) ?? 0) || 0;
  return {
    now: () => new Date(realNow() + offset),
    offsetMs: () => offset,
    async moveTo(at) {
      const next = at.getTime() - realNow();
      if (next < offset) throw new RangeError('沙盒时间只能向前拨。');
      offset = next;
      await store.setSetting(KEY, String(offset));
    },
  };
}

/** "+0800": how Feishu's date picker suffixes the dates it sends. */
export function zoneOffsetLabel(at: Date, timeZone: string): string {
  const m = zoneOffsetMinutes(at, timeZone);
  const abs = Math.abs(m);
  return `${m < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** "2027-01-19T09:00" read as a wall-clock time in `timeZone`; undefined when malformed. */
export function wallTimeToDate(local: string, timeZone: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(local.trim());
  if (!m) return undefined;
  const [y, mo, d, h = '9', mi = '0'] = m.slice(1);
  const guess = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  if (Number.isNaN(guess)) return undefined;
  // Two passes settle the offset even next to a daylight-saving change.
  let at = guess - zoneOffsetMinutes(new Date(guess), timeZone) * 60_000;
  at = guess - zoneOffsetMinutes(new Date(at), timeZone) * 60_000;
  return new Date(at);
}
