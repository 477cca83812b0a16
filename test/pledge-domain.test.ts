import { describe, expect, it } from 'vitest';
import { checkNewDeadline, defaultDeadline, demoPledgeDeadline, effectiveDeadline, parseDeadlineKind, pledgeYearFor } from '../src/domain/cycle.js';
import { chineseDate, isValidDate, normalizeDate, normalizeMonth } from '../src/domain/dates.js';
import { pledgeChanges } from '../src/domain/pledge-changes.js';
import { errorSummary, readPledgeForm, validatePledge } from '../src/domain/pledge-form.js';
import { canComment, canFile, canRead, canReview } from '../src/domain/pledge-rules.js';
import type { Grant } from '../src/domain/roles.js';

const profile = { name: '张明', gender: '男', birth_month: '1978-05', position: '书记', term_start: '2020-09-01', contact: '138' };

describe('cycle', () => {
  it('files next year from November on', () => {
    expect(pledgeYearFor('2026-10-31')).toBe(2026);
    expect(pledgeYearFor('2026-11-01')).toBe(2027);
    expect(pledgeYearFor('2027-01-05')).toBe(2027);
  });
  it('a lower level tightens, never loosens', () => {
    expect(effectiveDeadline(2027, 'pledge', [])).toBe(defaultDeadline(2027, 'pledge'));
    expect(effectiveDeadline(2027, 'pledge', [{ orgId: 1, dueDate: '2027-01-31' }, { orgId: 2, dueDate: '2027-01-20' }])).toBe('2027-01-20');
    expect(checkNewDeadline(2027, '2027-01-25', { date: '2027-01-20', name: '河南大学党委' }, { kind: 'pledge' })).toContain('不能晚于');
    expect(checkNewDeadline(2027, '2026-10-25', undefined, { kind: 'pledge' })).toContain('2026年11月1日 至 2027年12月31日');
    expect(checkNewDeadline(2027, '2027-01-15', { date: '2027-01-20', name: '河南大学党委' }, { kind: 'pledge' })).toBeUndefined();
  });
  it('demo deadlines stay around today', () => {
    expect(demoPledgeDeadline(2027, '2026-11-26')).toBe('2027-01-20');
    expect(demoPledgeDeadline(2027, '2027-03-01')).toBe('2027-03-15');
    expect(demoPledgeDeadline(2027, '2027-12-25')).toBe('2027-12-31');
  });
  it('reads deadline kinds in Chinese and English', () => {
    expect(parseDeadlineKind('一季度')).toBe('q1');
    expect(parseDeadlineKind('PLEDGE')).toBe('pledge');
    expect(parseDeadlineKind('五季度')).toBeUndefined();
  });
});

describe('dates', () => {
  it('normalizes what people and date pickers send', () => {
    expect(normalizeDate('2027-03-31 +0800')).toBe('2027-03-31');
    expect(normalizeDate('2027/3/1')).toBe('2027-03-01');
    expect(normalizeDate('2027年3月1日')).toBe('2027-03-01');
    expect(normalizeDate('2027-02-30')).toBeUndefined();
    expect(normalizeMonth('1978年5月')).toBe('1978-05');
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(chineseDate('2027-01-20')).toBe('2027年1月20日');
  });
});

describe('pledge form', () => {
  it('keeps item keys by slot and drops emptied items', () => {
    const d = readPledgeForm({ ...profile, item_1: '', item_1_standard: '', item_1_due: '', item_2: 'B', item_2_standard: 's', item_2_due: '2027-05-01 +0800' }, [
      { key: 'k1', content: 'A', standard: 's', due: '2027-01-01' },
      { key: 'k2', content: 'B0', standard: 's', due: '2027-01-01', follows: 'k0' },
    ]);
    expect(d.items).toEqual([{ key: 'k2', follows: 'k0', content: 'B', standard: 's', due: '2027-05-01' }]);
  });
  it('clearing the content removes the item, though its date picker still sends the date', () => {
    const slot = { key: 'k1', content: 'A', standard: 's', due: '2027-05-01' };
    expect(readPledgeForm({ ...profile, item_1: '', item_1_standard: 's', item_1_due: '2027-05-01 +0800' }, [slot]).items).toEqual([]);
    expect(readPledgeForm({ ...profile, item_1: '  \n ', item_1_standard: '', item_1_due: '2027-05-01 +0800' }, [slot]).items).toEqual([]);
  });
  it('keeps over-long text to say how much to cut, but no field longer than a whole pledge may be, and no due date longer than one', () => {
    const d = readPledgeForm({ name: '张'.repeat(400_000), item_1: '事'.repeat(200_000), item_1_standard: '标'.repeat(5000), item_1_due: 'x'.repeat(1000) }, []);
    expect(d.profile.name).toHaveLength(100);
    expect(d.items[0]!.content).toHaveLength(3000);
    expect(d.items[0]!.standard).toHaveLength(3000);
    expect(d.items[0]!.due).toHaveLength(20);
    expect(validatePledge(d, 2027, '2027-01-05')).toMatchObject({ name: '姓名最多 30 个字', item_1: expect.stringContaining('300') });
  });

  it('reports each problem at its field', () => {
    const e = validatePledge({ profile: { ...profile, name: '', gender: '不详', term_start: '2030-01-01' }, items: [{ content: 'x'.repeat(301), standard: '', due: '2026-12-31' }] }, 2027, '2027-01-05');
    expect(Object.keys(e).sort()).toEqual(['gender', 'item_1', 'item_1_due', 'item_1_standard', 'name', 'term_start']);
    expect(validatePledge({ profile, items: [] }, 2027, '2027-01-05').item_1).toContain('至少');
    // A number in the name field (the phone typed one field up) is not a name.
    expect(validatePledge({ profile: { ...profile, name: '13800000001' }, items: [] }, 2027, '2027-01-05').name).toBe('姓名请填写承诺人的名字');
    expect(validatePledge({ profile: { ...profile, name: 'Zhang Ming' }, items: [] }, 2027, '2027-01-05').name).toBeUndefined();
    expect(validatePledge({ profile, items: [{ content: 'a', standard: 'b', due: '2027-06-30' }] }, 2027, '2027-01-05')).toEqual({});
  });
  it('says what is wrong with a birth month in plain words: the month, or how to write it', () => {
    const month = (birth_month: string) => validatePledge({ profile: { ...profile, birth_month }, items: [{ content: 'a', standard: 'b', due: '2027-06-30' }] }, 2027, '2027-01-05').birth_month;
    expect(month('1985-13')).toBe('出生年月的月份应在 1–12 之间，例如 1978-05');
    expect(month('1985年0月')).toBe('出生年月的月份应在 1–12 之间，例如 1978-05');
    expect(month('八五年')).toBe('出生年月请写成年-月，例如 1978-05');
  });
  it('sums up where the problems are, by the form\'s labels', () => {
    expect(errorSummary({ position: 'x', item_1_due: 'y' })).toBe('请修改：职务、第 1 项完成时限');
    expect(errorSummary({ name: 'x', item_2: 'y', item_2_standard: 'z', items_size: 'w', contact: 'v' })).toBe('请修改：姓名、第 2 项承诺内容、第 2 项标准、总字数 等 5 处');
  });
});

describe('what a revision changed', () => {
  const profile = { name: '张明', gender: '男', birth_month: '1978-05', position: '党支部书记', term_start: '2020-09-01', contact: '138' };
  const item = (key: string, content: string, standard = '标准', due = '2027-12-31') => ({ key, content, standard, due });
  it('matches items by key; removals first (old numbers), then items (new numbers, one line each), then the profile', () => {
    const before = { profile, items: [item('a', '主题党日'), item('b', '党课'), item('c', '谈心谈话')] };
    // The second item deleted: the third keeps its key and becomes the second.
    const after = { profile: { ...profile, position: '党总支书记' }, items: [item('a', '主题党日'), item('c', '谈心谈话（每月）', '每月一次'), item('d', '志愿服务', '标准', '2027-06-30')] };
    expect(pledgeChanges(before, after)).toEqual([
      { kind: 'removed', n: 2, content: '党课' },
      { kind: 'changed', n: 2, diffs: [{ label: '承诺内容', before: '谈心谈话', after: '谈心谈话（每月）' }, { label: '标准', before: '标准', after: '每月一次' }] },
      { kind: 'added', n: 3, content: '志愿服务' },
      { kind: 'field', label: '职务', value: '党总支书记' },
    ]);
    expect(pledgeChanges(before, before)).toEqual([]);
  });
});

describe('who may do what', () => {
  const org = { id: 9, path: '/1/5/9/', parentId: 5 };
  const g = (role: Grant['role'], orgId: number, orgPath: string): Grant => ({ role, orgId, orgPath });
  it('files: only the organization\'s own secretary', () => {
    expect(canFile([g('secretary', 9, '/1/5/9/')], org)).toBe(true);
    expect(canFile([g('secretary', 5, '/1/5/')], org)).toBe(false);
  });
  it('reviews: leaders of the direct parent, admins above, never itself', () => {
    expect(canReview([g('leader', 5, '/1/5/')], org)).toBe(true);
    expect(canReview([g('leader', 1, '/1/')], org)).toBe(false);
    expect(canReview([g('admin', 1, '/1/')], org)).toBe(true);
    expect(canReview([g('admin', 9, '/1/5/9/')], org)).toBe(false);
    expect(canReview([g('leader', 5, '/1/5/')], { id: 1, path: '/1/', parentId: null })).toBe(false);
  });
  it('reads and comments within the tree', () => {
    expect(canRead([g('member', 9, '/1/5/9/')], org)).toBe(true);
    expect(canRead([g('member', 5, '/1/5/')], org)).toBe(false);
    expect(canRead([g('leader', 1, '/1/')], org)).toBe(true);
    expect(canComment([g('member', 5, '/1/5/')], org)).toBe(true);
    expect(canComment([g('member', 7, '/1/7/')], org)).toBe(false);
  });
});
