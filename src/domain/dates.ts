/** Calendar helpers. Dates are 'YYYY-MM-DD' strings in the deployment's time zone. */

interface Zone {
  format: Intl.DateTimeFormat;
  /** The UTC minute `offsetMs` was read for (NaN: not yet). */
  minute: number;
  offsetMs: number;
}

const zones = new Map<string, Zone>();

/**
 * How far `timeZone`'s clocks are ahead of UTC at `at`, in ms. Intl is slow here: making a
 * formatter costs ~100 µs (it loads the zone's rules) and formatToParts ~6 µs, and a card press
 * that says what to do next reads today's date every time (the bench's profile: a quarter of the
 * bot thread's CPU went to making formatters). So one formatter per zone (zones are few: the
 * deployment's, a sandbox's), and its offset is kept for the UTC minute it was read in: every
 * offset change since 1973 falls on a whole minute (checked against every zone to 2040).
 */
function offsetMs(at: Date, timeZone: string): number {
  const ms = at.getTime();
  const minute = Math.floor(ms / 60_000);
  let zone = zones.get(timeZone);
  if (!zone) {
    const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zones.set(timeZone, (zone = { format, minute: NaN, offsetMs: 0 }));
  }
  if (zone.minute === minute) return zone.offsetMs;
  const w: Record<string, number> = {};
  for (const p of zone.format.formatToParts(at)) w[p.type] = Number(p.value);
  const offset = utc(w.year!, w.month! - 1, w.day!, w.hour!, w.minute!, w.second!) - Math.floor(ms / 1000) * 1000;
  // Before 1973 local mean times (offsets with seconds) changed in the middle of a minute.
  if (ms >= SINCE_1973) Object.assign(zone, { minute, offsetMs: offset });
  return offset;
}

const SINCE_1973 = Date.UTC(1973, 0, 1);

/** Date.UTC, but years 0–99 are those years (Date.UTC reads them as 1900–1999). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const t = new Date(0);
  t.setUTCFullYear(year, month, day);
  t.setUTCHours(hour, minute, second, 0);
  return t.getTime();
}

/** `at` as `timeZone`'s clocks read it, to be read with the getUTC… methods. */
function wallClock(at: Date, timeZone: string): Date {
  return new Date(at.getTime() + offsetMs(at, timeZone));
}

const two = (n: number) => String(n).padStart(2, '0');

export function localDate(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${String(w.getUTCFullYear()).padStart(4, '0')}-${two(w.getUTCMonth() + 1)}-${two(w.getUTCDate())}`;
}

export function localYear(at: Date, timeZone: string): number {
  return Number(localDate(at, timeZone).slice(0, 4));
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** A real calendar day (no 02-30). */
export function isValidDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

export function isValidMonth(s: string): boolean {
  const m = MONTH.exec(s);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/**
 * Feishu's date_picker sends "2027-03-31 +0800"; people type 2027/3/31 or 2027年3月31日.
 * Returns 'YYYY-MM-DD' or undefined.
 */
export function normalizeDate(input: string): string | undefined {
  const t = input.trim().replace(/\s*[+-]\d{4}$/, '');
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(t);
  if (!m) return undefined;
  const s = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  return isValidDate(s) ? s : undefined;
}

export function normalizeMonth(input: string): string | undefined {
  const t = input.trim().replace(/\s*[+-]\d{4}$/, '');
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]\s*\d{1,2}\s*日?)?$/.exec(t);
  if (!m) return undefined;
  const s = `${m[1]}-${m[2]!.padStart(2, '0')}`;
  return isValidMonth(s) ? s : undefined;
}

/** Whole days from `from` to `to` (both 'YYYY-MM-DD'; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** 'YYYY-MM-DD' `n` days after `date`. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** 2027-01-20 → 2027年1月20日 */
export function chineseDate(s: string): string {
  const m = DATE.exec(s);
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : s;
}

export function chineseDateTime(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  return `${w.getUTCFullYear()}年${w.getUTCMonth() + 1}月${w.getUTCDate()}日 ${two(w.getUTCHours())}:${two(w.getUTCMinutes())}`;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** How far `timeZone` is ahead of UTC at `at`, in minutes (Asia/Shanghai: 480). */
export function zoneOffsetMinutes(at: Date, timeZone: string): number {
  return Math.round(offsetMs(at, timeZone) / 60_000);
}

/**
 * An ISO 8601 date or date-time typed by an operator (`tick --at`). Without `Z` or an offset it
 * is wall-clock time in `timeZone` (the bot's, not the machine's); a date alone is its midnight.
 * Impossible dates (2027-02-30, 24:00) are refused rather than rolled over. Undefined if invalid.
 */
export function parseInstant(text: string, timeZone: string): Date | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', ms = '0', zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))] as const;
  const wall = Date.UTC(...fields);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== fields[0] || check.getUTCMonth() !== fields[1] || check.getUTCDate() !== fields[2] || check.getUTCHours() !== fields[3] || check.getUTCMinutes() !== fields[4] || check.getUTCSeconds() !== fields[5]) {
    return undefined;
  }
  if (zone === 'Z') return check;
  if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    if (Math.abs(offset) > 14 * 60 || Number(digits.slice(2)) >= 60) return undefined;
    return new Date(wall - offset * 60_000);
  }
  // The zone's offset at that wall time (checked twice: it may differ across a DST change).
  const first = wall - zoneOffsetMinutes(new Date(wall), timeZone) * 60_000;
  return new Date(wall - zoneOffsetMinutes(new Date(first), timeZone) * 60_000);
}
