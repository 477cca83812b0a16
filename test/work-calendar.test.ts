import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tableToRecords, parseCsvWithLines } from '../src/domain/csv.js';
import { deadlineText, deadlineWindow, parseDeadlineKind } from '../src/domain/cycle.js';
import { isWorkingDay, validateCalendar, workingDeadline } from '../src/domain/work-calendar.js';
import { importCalendar } from '../src/usecases/import-calendar.js';
import { cardOf, cardText } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { SEC } from './helpers/pledge.js';

const table = (csv: string) => {
  const { rows, lines } = parseCsvWithLines(csv);
  return tableToRecords(rows, lines);
};

/** The 2027 Spring Festival as such a notice lists it (fictional dates for the test). */
const SPRING = `date,kind,name
2027-02-05,休,春节
2027-02-06,休,春节
2027-02-07,休,春节
2027-02-08,休,春节
2027-02-09,休,春节
2027-02-10,休,春节
2027-02-11,休,春节
2027-02-13,班,春节调休上班
`;

describe('work calendar (domain, clock-free)', () => {
  const none = new Map();
  it('Monday to Friday work, weekends do not, unless the notice says otherwise', () => {
    expect(isWorkingDay('2027-01-20', none)).toBe(true); // Wednesday
    expect(isWorkingDay('2027-01-23', none)).toBe(false); // Saturday
    expect(isWorkingDay('2027-01-24', none)).toBe(false); // Sunday
    const cal = new Map([['2027-01-20', 'holiday' as const], ['2027-01-23', 'workday' as const]]);
    expect(isWorkingDay('2027-01-20', cal)).toBe(false);
    expect(isWorkingDay('2027-01-23', cal)).toBe(true);
  });

  it('a deadline on a day off moves to the next working day, unless that leaves its period: then to the last one before', () => {
    const pledge2027 = deadlineWindow(2027, 'pledge');
    expect(workingDeadline('2027-01-20', pledge2027, none)).toBe('2027-01-20');
    expect(workingDeadline('2027-01-23', pledge2027, none)).toBe('2027-01-25');
    const spring = new Map(validateCalendar(table(SPRING)).rows.map((r) => [r.day, r.kind]));
    expect(workingDeadline('2027-02-05', pledge2027, spring)).toBe('2027-02-12'); // Friday after the holiday
    expect(workingDeadline('2027-02-13', pledge2027, spring)).toBe('2027-02-13'); // a make-up Saturday is a working day
    // Quarter ends on a weekend stay in their quarter (a report is due before the quarter ends).
    expect(workingDeadline('2028-09-30', deadlineWindow(2028, 'q3'), none)).toBe('2028-09-29'); // Saturday → Friday
    expect(workingDeadline('2028-12-31', deadlineWindow(2028, 'q4'), none)).toBe('2028-12-29'); // Sunday → Friday, not 2029
    expect(workingDeadline('2029-03-31', deadlineWindow(2029, 'q1'), none)).toBe('2029-03-30');
    // A pledge deadline set on the last day of the year before may move into its own year.
    expect(workingDeadline('2028-12-31', deadlineWindow(2029, 'pledge'), none)).toBe('2029-01-01');
    expect(deadlineText({ set: '2027-02-05', due: '2027-02-12' })).toBe('2027年2月12日（原定2月5日，遇休息日顺延）');
    expect(deadlineText({ set: '2028-09-30', due: '2028-09-29' })).toBe('2028年9月29日（原定9月30日，遇休息日提前）');
    expect(deadlineText({ set: '2028-12-31', due: '2029-01-01' })).toBe('2029年1月1日（原定2028年12月31日，遇休息日顺延）');
    expect(deadlineText({ set: '2027-01-20', due: '2027-01-20' })).toBe('2027年1月20日');
  });

  it('a calendar file: every problem with its line, nothing kept if one is wrong; 休/班 and English words', () => {
    const ok = validateCalendar(table('date,kind,name\n2027-10-01,holiday,国庆节\n2027/9/26,workday,\n2027年10月9日,上班,国庆节调休\n'));
    expect(ok.problems).toEqual([]);
    expect(ok.rows.map((r) => [r.day, r.kind])).toEqual([['2027-10-01', 'holiday'], ['2027-09-26', 'workday'], ['2027-10-09', 'workday']]);
    const bad = validateCalendar(table('date,kind,name\n2027-02-30,休,\n2027-10-01,放,国庆\n2027-10-02,休,国庆\n2027-10-02,休,国庆\n'));
    expect(bad.rows).toEqual([]);
    expect(bad.problems).toEqual([
      { line: 2, message: 'date「2027-02-30」不是有效日期，应写成 2027-10-01（或 2027/10/1、2027年10月1日）' },
      { line: 3, message: 'kind「放」无效，应为 休（holiday，放假）或 班（workday，调休上班）' },
      { line: 5, message: '2027-10-02 与第 4 行重复' },
    ]);
    // A word that is a property of every object is no kind (it would reach the insert and fail there).
    expect(validateCalendar(table('date,kind\n2027-10-01,constructor\n')).problems).toEqual([{ line: 2, message: 'kind「constructor」无效，应为 休（holiday，放假）或 班（workday，调休上班）' }]);
    expect(parseDeadlineKind('constructor')).toBeUndefined();
    expect(validateCalendar(table('date,kind\n,休\n2027-10-01,\n')).problems).toEqual([{ line: 2, message: '缺少日期（date）' }, { line: 3, message: '缺少类型（kind）：休 或 班' }]);
    expect(validateCalendar(table('day,kind\n2027-10-01,休\n')).problems).toEqual([{ line: 1, message: '缺少列 date（列为 date,kind,name）' }]);
  });
});

describe('deadlines on the work calendar, in the chat', () => {
  let h: Harness;
  const ADMIN = 'ou_demo_admin';
  const say = async (openId: string, text: string): Promise<string> => {
    await h.say({ openId, chatId: P2P(openId), chatType: 'p2p', text });
    await h.settle();
    return textOf(h.emu.inChat(P2P(openId)).at(-1)!.content);
  };

  beforeEach(async () => {
    h = await startHarness({ now: () => new Date('2027-01-26T03:00:00Z') });
    await importExamples(h.deps);
  });
  afterEach(async () => {
    await h.close();
  });

  it('a deadline set on a Saturday falls due on Monday: said when set, shown by 期限 and on the form, overdue counted from Monday', async () => {
    // 2027-01-23 is a Saturday (before "today", 01-26, so set by the CLI's rules: an operator may record one past).
    const { setDeadline } = await import('../src/usecases/pledge/set-deadline.js');
    const r = await setDeadline(h.deps, { actor: null, orgCode: 'HENU', year: 2027, kind: 'pledge', date: '2027-01-23' });
    expect(r).toMatchObject({ ok: true, date: '2027-01-23', due: '2027-01-25' });
    expect(await say(SEC, '期限')).toContain('公开承诺书：2027年1月25日（原定1月23日，遇休息日顺延）');
    await say(SEC, '承诺');
    const form = cardText(cardOf(h.emu.inChat(P2P(SEC)).at(-1)!));
    // Tuesday 01-26: one day past Monday, not three past Saturday.
    expect(form).toContain('截止：2027年1月25日（原定1月23日，遇休息日顺延）');
    expect(form).toContain('已逾期 1 天');
  });

  it('an imported holiday moves a weekday deadline; a make-up Saturday keeps one; importing again updates, with one audit entry', async () => {
    expect(await say(ADMIN, '期限 二季度 2027-06-11 HENU')).toContain('2027 年度第二季度践诺截止 2027年6月11日。');
    // An admin is told the year's holidays are not known yet; others are not bothered with it.
    expect(await say(ADMIN, '期限 HENU')).toContain('2027 年法定节假日尚未导入');
    const secretary = await say(SEC, '期限');
    expect(secretary).not.toContain('节假日');
    expect(secretary).toMatch(/\n\n发送「承诺」填写或查看本组织的承诺书。$/); // what to do next
    const first = await importCalendar(h.deps, { table: table('date,kind,name\n2027-06-11,休,端午节\n2027-06-12,休,端午节\n2027-06-13,休,端午节\n'), actor: 'test' });
    expect(first).toMatchObject({ ok: true, added: 3, changed: 0, unchanged: 0 });
    expect(await say(ADMIN, '期限 HENU')).toContain('第二季度践诺：2027年6月14日（原定6月11日，遇休息日顺延）');
    expect(await say(ADMIN, '期限 HENU')).not.toContain('尚未导入');
    // The notice corrected: the Saturday is a make-up working day.
    const again = await importCalendar(h.deps, { table: table('date,kind,name\n2027-06-11,休,端午节\n2027-06-12,班,端午节调休上班\n'), actor: 'test' });
    expect(again).toMatchObject({ ok: true, added: 0, changed: 1, unchanged: 1 });
    expect(await say(ADMIN, '期限 HENU')).toContain('第二季度践诺：2027年6月12日（原定6月11日，遇休息日顺延）');
    const audits = await h.sqlite.db.selectFrom('audit_log').select(['action', 'before', 'after']).where('action', '=', 'calendar.import').execute();
    expect(audits).toHaveLength(2);
    expect(JSON.parse(audits[1]!.before!)).toEqual({ '2027-06-12': { kind: 'holiday', name: '端午节' } });
    expect(JSON.parse(audits[1]!.after!)).toEqual({ '2027-06-12': { kind: 'workday', name: '端午节调休上班' } });
    // A bad file changes nothing.
    const bad = await importCalendar(h.deps, { table: table('date,kind,name\n2027-06-11,班,\n2027-13-01,休,\n'), actor: 'test' });
    expect(bad).toEqual({ ok: false, problems: [{ line: 3, message: 'date「2027-13-01」不是有效日期，应写成 2027-10-01（或 2027/10/1、2027年10月1日）' }] });
    expect(await say(ADMIN, '期限 HENU')).toContain('第二季度践诺：2027年6月12日（原定6月11日');
  });

  it("an admin is told of each year the deadlines fall in whose holidays are missing (a pledge's may fall in the December before)", async () => {
    const { setDeadline } = await import('../src/usecases/pledge/set-deadline.js');
    expect(await setDeadline(h.deps, { actor: null, orgCode: 'HENU', year: 2027, kind: 'pledge', date: '2026-12-18' })).toMatchObject({ ok: true });
    await importCalendar(h.deps, { table: table('date,kind,name\n2027-10-01,休,国庆节\n'), actor: 'test' });
    const shown = await say(ADMIN, '期限 HENU');
    expect(shown).toContain('公开承诺书：2026年12月18日');
    expect(shown).toContain('2026 年法定节假日尚未导入');
    expect(shown).not.toContain('2027 年法定节假日尚未导入');
  });

  it('a lower level is held to the date its parent set, not the day that date moved to', async () => {
    const set = await say(ADMIN, '期限 二季度 2027-06-12 HENU');
    expect(set).toContain('截止 2027年6月14日。你填的 2027年6月12日 是休息日，已顺延到其后第一个工作日。');
    expect(set).toContain('下级组织的日期须不晚于 2027年6月12日。');
    expect(set).toContain('2027 年法定节假日尚未导入，目前只避开了周末');
    expect(await say(ADMIN, '期限 二季度 2027-06-13 HENU-WXY')).toBe('不能晚于上级「河南大学党委」规定的截止日期 2027年6月12日（该日是休息日，实际顺延到 2027年6月14日 到期；下级只能设在 2027年6月12日 或更早）。');
    // A parent's earlier date: the lower levels' later ones stop counting, and the reply names them.
    expect(await say(ADMIN, '期限 二季度 2027-06-10 HENU-WXY')).toContain('已设置');
    expect(await say(ADMIN, '期限 二季度 2027-06-09 HENU')).toContain('下级已设的较晚日期不再生效：文学院党委 2027年6月10日。');
    // A word that is no deadline kind, before a date: which words are.
    expect(await say(ADMIN, '期限 春节 2027-01-16 HENU')).toMatch(/^「春节」不是可设置的期限，可写：承诺、一季度、二季度、三季度、四季度。/);
  });
});
