import { chineseDate } from './dates.js';

/** A deadline as set, and the working day it falls due on (they differ when it is set on a day off). */
export interface Deadline {
  set: string;
  due: string;
}

/** Which way a deadline set on a day off moved (work-calendar.ts workingDeadline). */
const moveWord = (d: Deadline): string => (d.due > d.set ? '顺延' : '提前');

/** 2027年1月25日, or 2027年1月25日（原定1月23日，遇休息日顺延）; the year of the date set is kept when it differs. */
export function deadlineText(d: Deadline): string {
  if (d.due === d.set) return chineseDate(d.due);
  const set = d.set.slice(0, 4) === d.due.slice(0, 4) ? chineseDate(d.set).replace(/^\d+年/, '') : chineseDate(d.set);
  return `${chineseDate(d.due)}（原定${set}，遇休息日${moveWord(d)}）`;
}

/**
 * Cycles and deadlines. A cycle is a year; each level of the tree may set an earlier deadline
 * than its parent (the seed: the university collects the 2011 pledge by 01-20, the province at
 * the end of January). Quarterly reports are due before each quarter ends.
 */
export const DEADLINE_KINDS = ['pledge', 'q1', 'q2', 'q3', 'q4'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export const DEADLINE_LABELS: Record<DeadlineKind, string> = {
  pledge: '公开承诺书',
  q1: '第一季度践诺',
  q2: '第二季度践诺',
  q3: '第三季度践诺',
  q4: '第四季度践诺',
};

/** Defaults when no level set one: the seed's 01-20 for the pledge, quarter ends for reports. */
export function defaultDeadline(year: number, kind: DeadlineKind): string {
  switch (kind) {
    case 'pledge':
      return `${year}-01-20`;
    case 'q1':
      return `${year}-03-31`;
    case 'q2':
      return `${year}-06-30`;
    case 'q3':
      return `${year}-09-30`;
    case 'q4':
      return `${year}-12-31`;
  }
}

export interface SetDeadline {
  orgId: number;
  dueDate: string;
}

/**
 * The deadline in force for an organization: the earliest set by it or any level above (a
 * lower level may tighten, never loosen, its parent's date), else the default.
 * `set` holds the deadlines of the path's organizations.
 */
export function effectiveDeadline(year: number, kind: DeadlineKind, set: SetDeadline[]): string {
  const dates = set.map((s) => s.dueDate).sort();
  return dates[0] ?? defaultDeadline(year, kind);
}

/**
 * A deadline must fall in its kind's window (deadlineWindow); a level may not set a later date
 * than the one its parent is bound by; and given `today` ('YYYY-MM-DD' in the deployment's time
 * zone — the caller reads the clock) it may not be past.
 */
export function checkNewDeadline(
  year: number,
  dueDate: string,
  /** The parent's deadline in force: the date set, and (when that is a day off) the day it falls due. */
  parent: { date: string; due?: string; name: string } | undefined,
  rules: { kind: DeadlineKind; today?: string },
): string | undefined {
  if (rules.today && dueDate < rules.today) return `${chineseDate(dueDate)}已经过去（今天是 ${chineseDate(rules.today)}），截止日期须是今天或以后的日期。`;
  const w = deadlineWindow(year, rules.kind);
  if (dueDate < w.from || dueDate > w.to) {
    const why = rules.kind === 'pledge' ? '（11 月 1 日起填报下一年度的承诺书）' : '：季度践诺情况在季度结束前上报';
    return `${year} 年度${DEADLINE_LABELS[rules.kind]}的截止日期须在 ${chineseDate(w.from)} 至 ${chineseDate(w.to)} 之间${why}。`;
  }
  if (parent && dueDate > parent.date) {
    // A lower level is held to the date set, not to the working day it moved to, which is what everyone sees: said so.
    const moved = parent.due && parent.due !== parent.date ? `该日是休息日，实际${moveWord({ set: parent.date, due: parent.due })}到 ${chineseDate(parent.due)} 到期；` : '';
    return `不能晚于上级「${parent.name}」规定的截止日期 ${chineseDate(parent.date)}（${moved}下级只能设在 ${chineseDate(parent.date)} 或更早）。`;
  }
  return undefined;
}

/**
 * The dates a deadline may take. A quarter's report is due before the quarter ends (the seed:
 * 在每季度结束前…报送本季度…落实推进情况), so within the quarter. A year's pledge is filed from
 * 11-01 of the year before (NEXT_CYCLE_OPENS; the seed collects the 2010 pledge by 12-25), and
 * may be due as late as the end of its own year.
 */
export function deadlineWindow(year: number, kind: DeadlineKind): { from: string; to: string } {
  switch (kind) {
    case 'pledge':
      return { from: `${year - 1}-${NEXT_CYCLE_OPENS}`, to: `${year}-12-31` };
    case 'q1':
      return { from: `${year}-01-01`, to: `${year}-03-31` };
    case 'q2':
      return { from: `${year}-04-01`, to: `${year}-06-30` };
    case 'q3':
      return { from: `${year}-07-01`, to: `${year}-09-30` };
    case 'q4':
      return { from: `${year}-10-01`, to: `${year}-12-31` };
  }
}

/**
 * The year a deadline set without one is for: a quarter's, the date's year; a pledge's, the year
 * being filed on that date (from 11-01 the next one: 2026-12-20 is the 2027 pledge's).
 */
export function deadlineYearFor(kind: DeadlineKind, dueDate: string): number {
  return kind === 'pledge' ? pledgeYearFor(dueDate) : Number(dueDate.slice(0, 4));
}

/**
 * Filing for next year's pledge opens on 11-01: the seed collects the 2010 pledge by 12-25 and
 * the 2011 one by 01-20, so November–December belong to the coming year's drafting.
 */
export const NEXT_CYCLE_OPENS = '11-01';

/** Which cycle a secretary files for on `today` ('YYYY-MM-DD'). */
export function pledgeYearFor(today: string): number {
  const year = Number(today.slice(0, 4));
  return today.slice(5) >= NEXT_CYCLE_OPENS ? year + 1 : year;
}

/**
 * Whether a pledge of `year` may still be written on `today` (filed, revised, items marked done):
 * the year being filed and the one before it (to finish or revise it). An older one is the record.
 * Undefined when it may; else why not, and what may be done instead.
 */
export function closedYearReason(year: number, today: string): string | undefined {
  const filing = pledgeYearFor(today);
  if (year === filing || year === filing - 1) return undefined;
  return year > filing
    ? `现在可以填写 ${filing} 年度（或补填 ${filing - 1} 年度）的承诺书。`
    : `${year} 年度的承诺书已归档，不能再修改。现在可以填写 ${filing} 年度（或补填 ${filing - 1} 年度）的承诺书。`;
}

/**
 * The pledge years a request without a year may mean on `today`, newest first. From 11-01 that
 * is the coming year (being filed) and this one (still carried out, reported on and appraised
 * until it ends); the rest of the year, only this one.
 */
export function yearsInView(today: string): number[] {
  const inForce = Number(today.slice(0, 4));
  const filing = pledgeYearFor(today);
  return filing === inForce ? [inForce] : [filing, inForce];
}

/** Example deadlines for a demo: the seed's 01-20, or two weeks from today when that has passed. */
export function demoPledgeDeadline(year: number, today: string): string {
  const seedDate = `${year}-01-20`;
  if (today < seedDate) return seedDate;
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 14);
  const soon = d.toISOString().slice(0, 10);
  return soon.startsWith(`${year}-`) ? soon : `${year}-12-31`;
}

const KIND_WORDS: Record<string, DeadlineKind> = {
  pledge: 'pledge', 承诺: 'pledge', 承诺书: 'pledge',
  q1: 'q1', 一季度: 'q1', 第一季度: 'q1',
  q2: 'q2', 二季度: 'q2', 第二季度: 'q2',
  q3: 'q3', 三季度: 'q3', 第三季度: 'q3',
  q4: 'q4', 四季度: 'q4', 第四季度: 'q4',
};

export function parseDeadlineKind(word: string): DeadlineKind | undefined {
  const w = word.trim().toLowerCase();
  return Object.hasOwn(KIND_WORDS, w) ? KIND_WORDS[w] : undefined;
}
