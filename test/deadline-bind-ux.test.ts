import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orgByCode } from '../db/repos/directory.js';
import { checkNewDeadline, deadlineWindow, deadlineYearFor } from '../src/domain/cycle.js';
import { parseCsv, tableToRecords } from '../src/domain/csv.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { importExamples, P2P } from './helpers/directory.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { LEADER, SEC } from './helpers/pledge.js';

const ADMIN = 'ou_demo_admin'; // admin of HENU (and its office)
const MEMBER = 'ou_demo_member'; // member of 文学院中文系党支部 (HENU-WXY-ZW)
const OUTSIDER = 'ou_demo_sec_js1'; // secretary in 计算机学院: not of 文学院
/** 2026-11-27 11:00 in Shanghai: filing for the 2027 pledge is open. */
const NOV_27 = new Date('2026-11-27T03:00:00Z');

describe('期限 and 绑定: what the UX review found', () => {
  let h: Harness;
  let now = NOV_27;
  const say = async (openId: string, text: string): Promise<string> => {
    await h.say({ openId, chatId: P2P(openId), chatType: 'p2p', text });
    await h.settle();
    return textOf(h.emu.inChat(P2P(openId)).at(-1)!.content);
  };
  const inGroup = async (openId: string, chatId: string, text: string): Promise<string> => {
    await h.say({ openId, chatId, chatType: 'group', text: `@_user_1 ${text}`, mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });
    await h.settle();
    return textOf(h.emu.inChat(chatId).at(-1)!.content);
  };
  const deadlines = () => h.deps.db.selectFrom('cycle_deadlines').innerJoin('organizations', 'organizations.id', 'cycle_deadlines.org_id').select(['organizations.code', 'cycle_deadlines.year', 'cycle_deadlines.kind', 'cycle_deadlines.due_date']).orderBy('due_date').execute();

  beforeEach(async () => {
    now = NOV_27;
    h = await startHarness({ now: () => now });
    await importExamples(h.deps);
  });
  afterEach(async () => {
    await h.close();
  });

  it('期限 in a bound group shows that group\'s organization, not the asker\'s own', async () => {
    // The university admin, in the college's group: the college's dates (its own, 01-10, is earlier than the university's).
    await say(ADMIN, '期限 承诺 2027-01-11 HENU-WXY');
    const reply = await inGroup(ADMIN, 'oc_demo_wxy', '期限');
    expect(reply).toContain('文学院党委 2027 年度截止日期：\n公开承诺书：2027年1月11日');
  });

  describe('setting a deadline', () => {
    it('refuses a pledge deadline already past, naming today, and sets nothing', async () => {
      const reply = await say(ADMIN, '期限 承诺 2026-11-01 HENU-WXY');
      expect(reply).toContain('2026年11月1日已经过去');
      expect(reply).toContain('今天是 2026年11月27日');
      expect(reply).not.toContain('已设置');
      expect(await deadlines()).toEqual([]);
    });

    it('"today" is the day in Shanghai, not in UTC', async () => {
      now = new Date('2026-11-26T17:30:00Z'); // 2026-11-27 01:30 in Shanghai
      expect(await say(ADMIN, '期限 承诺 2026-11-26 HENU')).toContain('今天是 2026年11月27日');
      expect(await say(ADMIN, '期限 承诺 2026-11-27 HENU')).toContain('已设置');
    });

    it('files a December pledge deadline under the year being filed and says which year', async () => {
      const reply = await say(ADMIN, '期限 承诺 2026-12-18 HENU');
      expect(reply.split('\n').slice(0, 2)).toEqual(['已设置：河南大学党委 2027 年度公开承诺书截止 2026年12月18日。', '下级组织的日期须不晚于 2026年12月18日。']);
      expect(await deadlines()).toEqual([{ code: 'HENU', year: 2027, kind: 'pledge', due_date: '2026-12-18' }]);
      // January is the same year's; a later change names the date it replaces.
      expect(await say(ADMIN, '期限 承诺 2027-01-05 HENU')).toContain('已设置：河南大学党委 2027 年度公开承诺书截止 2027年1月5日。此前是 2026年12月18日。');
      // The same date again: nothing to change, and no audit row for a change that is none.
      const audits = async () => (await h.sqlite.db.selectFrom('audit_log').select('id').where('action', '=', 'deadline.set').execute()).length;
      const logged = await audits();
      expect(await say(ADMIN, '期限 承诺 2027-01-05 HENU')).toMatch(/^河南大学党委 2027 年度公开承诺书的截止日期已是 2027年1月5日，没有改动。(\n|$)/);
      expect(await audits()).toBe(logged);
      // A lower level may not set a later one than its parent's: the parent is named, the date in Chinese.
      expect(await say(ADMIN, '期限 承诺 2027-01-11 HENU-WXY')).toBe('不能晚于上级「河南大学党委」规定的截止日期 2027年1月5日（下级只能设在 2027年1月5日 或更早）。');
      // An explicit year outside the date's window is refused with the window.
      expect(await say(ADMIN, '期限 承诺 2027-01-05 HENU 2026')).toContain('2026 年度公开承诺书的截止日期须在 2025年11月1日 至 2026年12月31日 之间');
    });

    it('refuses a quarter deadline outside its quarter, saying the allowed range', async () => {
      const reply = await say(ADMIN, '期限 一季度 2027-04-20 HENU');
      expect(reply).toContain('2027 年度第一季度践诺的截止日期须在 2027年1月1日 至 2027年3月31日 之间');
      expect(await say(ADMIN, '期限 四季度 2027-09-30 HENU')).toContain('2027年10月1日 至 2027年12月31日');
      expect(await deadlines()).toEqual([]);
      expect(await say(ADMIN, '期限 一季度 2027-03-25 HENU')).toContain('已设置：河南大学党委 2027 年度第一季度践诺截止 2027年3月25日。');
      expect(await say(ADMIN, '期限 四季度 2026-12-25 HENU')).toContain('已设置：河南大学党委 2026 年度第四季度践诺截止');
    });

    it('tells a leader or member that only admins set deadlines, not how to', async () => {
      const only = '只有管理员可以设置截止日期。发送「期限」查看本组织的截止日期。';
      expect(await say(LEADER, '期限 承诺 2027-01-05')).toBe(only);
      expect(await say(MEMBER, '期限 承诺 2027-01-05')).toBe(only);
      expect(await say(SEC, '期限 一季度 2027-03-20')).toBe(only);
      expect(await deadlines()).toEqual([]);
    });
  });

  describe('showing deadlines', () => {
    it('期限 〈组织编码〉 shows that organization\'s deadlines to whoever may read it', async () => {
      expect(await say(ADMIN, '期限 承诺 2027-01-11 HENU-WXY')).toContain('已设置');
      const leader = await say(LEADER, '期限 HENU-WXY-ZW');
      expect(leader).toContain('文学院中文系党支部 2027 年度截止日期');
      expect(leader).toContain('公开承诺书：2027年1月11日'); // the college's, in force below it
      expect(await say(MEMBER, '期限 HENU-WXY-ZW')).toContain('文学院中文系党支部 2027 年度截止日期');
      expect(await say(LEADER, '期限 HENU-WXY-ZW 2026')).toContain('文学院中文系党支部 2026 年度截止日期');
      const outsider = await say(OUTSIDER, '期限 HENU-WXY-ZW');
      expect(outsider).toContain('你不能查看「文学院中文系党支部」的截止日期');
      expect(outsider).not.toContain('2027年1月11日');
      expect(await say(LEADER, '期限 NOPE')).toContain('没有编码为「NOPE」的组织');
    });
  });

  describe('organization codes typed in another case', () => {
    it('绑定 henu-wxy-yjs binds the group to HENU-WXY-YJS', async () => {
      const reply = await inGroup(ADMIN, 'oc_g_yjs', '绑定 henu-wxy-yjs');
      expect(reply).toContain('本群已绑定到「文学院研究生党支部」（HENU-WXY-YJS）');
    });

    it('a bare 绑定 lists what this person may bind the group to, each with the command; a member is told who may', async () => {
      const reply = await inGroup(LEADER, 'oc_g_bare', '绑定');
      expect(reply).toContain('请写明把本群绑定到哪个组织');
      expect(reply).toContain('· 文学院党委：发送「@践诺助手 绑定 HENU-WXY」');
      expect(reply).toContain('· 文学院中文系党支部：发送「@践诺助手 绑定 HENU-WXY-ZW」');
      expect(reply).not.toContain('HENU-JSJ'); // not theirs
      expect(await inGroup(MEMBER, 'oc_g_bare', '绑定')).toContain('只有组织的管理员或领导可以绑定群');
    });

    it('other commands taking a code match it too', async () => {
      expect(await say(LEADER, '期限 henu-wxy-zw')).toContain('文学院中文系党支部 2027 年度截止日期');
      expect(await say(ADMIN, '期限 承诺 2027-01-11 henu-wxy')).toContain('已设置：文学院党委');
    });

    it('an exact code wins, and two codes differing only by case are never guessed between', async () => {
      // The demo directory again, plus one code that differs from HENU-WXY-YJS only by case.
      const read = (f: string) => readFileSync(new URL(`../examples/${f}`, import.meta.url), 'utf8');
      const orgs = tableToRecords(parseCsv(`${read('orgs.csv').trimEnd()}\nhenu-wxy-yjs,小写编码党支部,HENU-WXY,党支部,\n`));
      const r = await importDirectory(h.deps, { orgs, people: tableToRecords(parseCsv(read('people.csv'))), actor: 'test' });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect((await orgByCode(h.deps.db, 'HENU-WXY-YJS'))?.name).toBe('文学院研究生党支部');
      expect((await orgByCode(h.deps.db, 'henu-wxy-yjs'))?.name).toBe('小写编码党支部');
      expect(await orgByCode(h.deps.db, 'Henu-Wxy-Yjs')).toBeUndefined();
      expect((await orgByCode(h.deps.db, 'henu-wxy-zw'))?.code).toBe('HENU-WXY-ZW');
    });
  });
});

describe('deadline rules (domain, clock-free)', () => {
  it('windows: a quarter within itself; a pledge from 11-01 of the year before', () => {
    expect(deadlineWindow(2027, 'q1')).toEqual({ from: '2027-01-01', to: '2027-03-31' });
    expect(deadlineWindow(2027, 'q4')).toEqual({ from: '2027-10-01', to: '2027-12-31' });
    expect(deadlineWindow(2027, 'pledge')).toEqual({ from: '2026-11-01', to: '2027-12-31' });
  });
  it('the year a date is for', () => {
    expect(deadlineYearFor('pledge', '2026-10-31')).toBe(2026);
    expect(deadlineYearFor('pledge', '2026-11-01')).toBe(2027);
    expect(deadlineYearFor('q4', '2026-12-20')).toBe(2026);
  });
  it('past dates and dates outside the window are refused; today is fine', () => {
    expect(checkNewDeadline(2027, '2026-11-26', undefined, { kind: 'pledge', today: '2026-11-27' })).toContain('已经过去');
    expect(checkNewDeadline(2027, '2026-11-27', undefined, { kind: 'pledge', today: '2026-11-27' })).toBeUndefined();
    expect(checkNewDeadline(2027, '2027-04-20', undefined, { kind: 'q1', today: '2026-11-27' })).toContain('2027年3月31日');
    expect(checkNewDeadline(2027, '2027-01-25', { date: '2027-01-20', name: '河南大学党委' }, { kind: 'pledge', today: '2026-11-27' })).toContain('不能晚于');
  });
});
