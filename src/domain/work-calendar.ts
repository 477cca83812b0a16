import { addDays, normalizeDate } from './dates.js';

/**
 * China's work calendar: Monday to Friday are working days, Saturday and Sunday are not, except
 * the days the State Council's yearly holiday notice (国务院办公厅关于部分节假日安排的通知)
 * names — statutory holidays (放假) on weekdays, and make-up working days (调休上班) on weekends.
 * Those exceptions are what an admin imports each year (`npm run admin -- calendar import`);
 * nothing about a year's holidays is built in, since the notice is only published each November.
 */
export type DayKind = 'holiday' | 'workday';

/** The imported exceptions, day ('YYYY-MM-DD') → kind. */
export type CalendarExceptions = ReadonlyMap<string, DayKind>;

export function isWorkingDay(day: string, exceptions: CalendarExceptions): boolean {
  const set = exceptions.get(day);
  if (set) return set === 'workday';
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The longest run of days off looked past: the longest holiday with its weekends is 9 days. */
export const LOOK_AHEAD_DAYS = 31;

/** `day` if it is a working day, else the nearest one after it (`step` 1) or before it (-1); `day` itself past LOOK_AHEAD_DAYS. */
export function nearestWorkingDay(day: string, exceptions: CalendarExceptions, step: 1 | -1 = 1): string {
  for (let d = day, i = 0; i <= LOOK_AHEAD_DAYS; d = addDays(d, step), i++) if (isWorkingDay(d, exceptions)) return d;
  return day;
}

/**
 * The day a deadline set on `day` falls due. A day off moves it to the next working day (顺延),
 * as periods in Chinese law do (民事诉讼法 §85: 期间届满的最后一日是法定休假日的，以法定休假日后的
 * 第一日为期间届满的日期): later, so nobody who planned for the announced day is late by the move —
 * unless that leaves the period it belongs to (`window`: a quarterly report is due before its
 * quarter ends, and 2028-09-30 is a Saturday before the National Day holiday), when it moves to
 * the last working day before it instead (提前).
 */
export function workingDeadline(day: string, window: { from: string; to: string }, exceptions: CalendarExceptions): string {
  const later = nearestWorkingDay(day, exceptions, 1);
  if (later <= window.to) return later;
  const earlier = nearestWorkingDay(day, exceptions, -1);
  return earlier >= window.from ? earlier : day;
}

export interface CalendarRow {
  line: number;
  day: string;
  kind: DayKind;
  name: string;
}

export interface CalendarProblem {
  line: number;
  message: string;
}

const KIND_WORDS: Record<string, DayKind> = {
  holiday: 'holiday',
  off: 'holiday',
  休: 'holiday',
  放假: 'holiday',
  假: 'holiday',
  workday: 'workday',
  work: 'workday',
  班: 'workday',
  上班: 'workday',
  调休上班: 'workday',
};
const MAX_NAME = 20;

/**
 * A calendar file (`date,kind,name`): every problem with its line number, before anything is
 * written. A day marked as it already is (a weekday as a workday, a weekend day as a holiday)
 * is accepted: the notice lists whole holidays, weekends included.
 */
export function validateCalendar(table: { header: string[]; records: { line: number; values: Record<string, string> }[] }): {
  rows: CalendarRow[];
  problems: CalendarProblem[];
} {
  const problems: CalendarProblem[] = [];
  for (const h of ['date', 'kind']) if (!table.header.includes(h)) problems.push({ line: 1, message: `缺少列 ${h}（列为 date,kind,name）` });
  if (problems.length) return { rows: [], problems };
  const rows: CalendarRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, values: v } of table.records) {
    const p = (message: string) => problems.push({ line, message });
    const raw = (v.date ?? '').trim();
    const day = normalizeDate(raw);
    const word = (v.kind ?? '').trim().toLowerCase();
    const kind = Object.hasOwn(KIND_WORDS, word) ? KIND_WORDS[word] : undefined;
    const name = (v.name ?? '').trim();
    if (!raw) p('缺少日期（date）');
    else if (!day) p(`date「${raw.slice(0, 20)}」不是有效日期，应写成 2027-10-01（或 2027/10/1、2027年10月1日）`);
    if (!word) p('缺少类型（kind）：休 或 班');
    else if (!kind) p(`kind「${(v.kind ?? '').slice(0, 20)}」无效，应为 休（holiday，放假）或 班（workday，调休上班）`);
    if (name.length > MAX_NAME) p(`name 最长 ${MAX_NAME} 个字`);
    if (day) {
      const earlier = seen.get(day);
      if (earlier !== undefined) p(`${day} 与第 ${earlier} 行重复`);
      else seen.set(day, line);
    }
    if (day && kind && name.length <= MAX_NAME) rows.push({ line, day, kind, name });
  }
  return { rows: problems.length ? [] : rows, problems };
}
