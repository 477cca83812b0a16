import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { yearsInView } from '../src/domain/cycle.js';
import { buttonValue, cardOf, cardText } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { FORM, LEADER, privateChat, SEC } from './helpers/pledge.js';

/**
 * From 1 November secretaries file the coming year's pledge, while this year's is still carried
 * out: a request without a year must not jump to a year that has only drafts in it.
 */
describe('which year a request without one means, in November and December', () => {
  const JUNE = new Date('2026-06-01T02:00:00Z');
  const DECEMBER = new Date('2026-12-10T02:00:00Z');
  let now = JUNE;
  let h: Harness;
  const chat = privateChat(() => h);
  const say = async (openId: string, text: string) => {
    await chat.say(openId, text);
    return textOf(chat.last(openId).content);
  };
  /** The names of the files sent to someone privately, oldest first. */
  const filesTo = (openId: string) =>
    h.emu.inChat(P2P(openId)).filter((m) => m.msgType === 'file').map((m) => h.emu.files.get((JSON.parse(m.content) as { file_key: string }).file_key)?.name ?? '');
  const formFor = (year: number) => ({ ...FORM, item_1_due: `${year}-12-31` });
  /** `承诺` (this moment's filing year), submitted from its form; approved by the leader if asked. */
  const file = async (year: number, approve: boolean) => {
    await say(SEC, '承诺');
    await chat.press(SEC, { ...buttonValue(chat.lastCard(SEC), '预览并提交'), mode: undefined }, formFor(year));
    if (approve) await chat.press(LEADER, buttonValue(chat.lastCard(LEADER), '审定通过'), { opinion: '同意' });
  };

  beforeEach(async () => {
    now = JUNE;
    h = await startHarness({ now: () => now });
    await importExamples(h.deps);
  });
  afterEach(async () => {
    await h.close();
  });

  it('yearsInView: the coming year first from 11-01, then the one in force', () => {
    expect(yearsInView('2026-10-31')).toEqual([2026]);
    expect(yearsInView('2026-11-01')).toEqual([2027, 2026]);
    expect(yearsInView('2027-01-01')).toEqual([2027]);
  });

  it('导出 台账 stays on the year being carried out and offers the coming one', async () => {
    await file(2026, true);
    now = DECEMBER;
    await file(2027, false);
    const reply = await say(LEADER, '导出 台账');
    expect(reply).toContain('2026年度承诺台账');
    expect(reply).toContain('1 项承诺');
    expect(reply).toContain('导出 台账 HENU-WXY 2027');
    expect(filesTo(LEADER).at(-1)).toContain('2026');
    expect(await say(LEADER, '导出 台账 HENU-WXY 2027')).toContain('2027年度承诺台账');
  });

  it('导出 承诺书 with nothing approved in view gives the newest draft to its secretary', async () => {
    now = DECEMBER;
    await file(2027, false);
    const reply = await say(SEC, '导出 承诺书');
    expect(filesTo(SEC).at(-1)).toBe('2027年度公开承诺书-文学院中文系党支部（待审定）.docx'); // submitted, not yet approved
    // Not the 公开承诺书 to print and post: said so, and no 一式四份.
    expect(reply).toContain('这一版未经上级审定（待审定）：仅供核对，不能公示或报送。');
    expect(reply).not.toContain('一式四份');
    expect(await say('ou_demo_member', '导出 承诺书 HENU-WXY-ZW')).toContain('还未经上级审定');
  });

  it('a first filing past its deadline says how late it is on the form', async () => {
    // June 2026: the 2026 pledge (due in January, the default) is five months late.
    await say(SEC, '承诺');
    const form = cardText(chat.lastCard(SEC));
    expect(form).toMatch(/截止：2026年1月20日<font color='red'>（已逾期 \d+ 天）<\/font>/);
    // Submitted, and sent back: it was filed, so its form is not marked late.
    await chat.press(SEC, { ...buttonValue(chat.lastCard(SEC), '预览并提交'), mode: undefined }, formFor(2026));
    await chat.press(LEADER, buttonValue(chat.lastCard(LEADER), '退回修改'), { opinion: '请补充' });
    expect(cardText(chat.lastCard(SEC))).toContain('已退回');
    expect(cardText(chat.lastCard(SEC))).not.toContain('已逾期');
    // In December the 2027 pledge is not due yet: no such note.
    now = DECEMBER;
    await say(SEC, '承诺');
    expect(cardText(chat.lastCard(SEC))).not.toContain('已逾期');
  });

  it('导出 台账 gives the coming year when the subtree has nothing of this one (a bot started in November)', async () => {
    now = DECEMBER;
    // Nothing of either year yet: the year being filed is named, not the one ending.
    expect(await say(LEADER, '导出 台账')).toBe('「文学院党委」及下级还没有 2027 年度的承诺书，没有可导出的台账。');
    await file(2027, false);
    const reply = await say(LEADER, '导出 台账');
    expect(reply).toContain('2027年度承诺台账');
    expect(reply).toContain('1 项承诺');
    expect(reply).not.toContain('导出 台账 HENU-WXY 2026'); // nothing of 2026 to offer
  });

  it('导出 承诺书 gives the newest approved pledge, not next year\'s draft; a group bound in December gets the one in force', async () => {
    await file(2026, true);
    now = DECEMBER;
    await file(2027, false);
    const approve2027 = buttonValue(chat.lastCard(LEADER), '审定通过');
    // A member may not read next year's draft: this year's approved pledge, not a refusal.
    expect(await say('ou_demo_member', '导出 承诺书 HENU-WXY-ZW')).toContain('已生成');
    expect(filesTo('ou_demo_member').at(-1)).toContain('2026');
    // Nor does a leader, who may read it, or the secretary get it to print for 公示 by default…
    await say(LEADER, '导出 承诺书 HENU-WXY-ZW');
    expect(filesTo(LEADER).at(-1)).toContain('2026');
    await say(SEC, '导出 承诺书');
    expect(filesTo(SEC).at(-1)).toContain('2026');
    // …but the secretary gets the draft when asking for its year.
    await say(SEC, '导出 承诺书 2027');
    expect(filesTo(SEC).at(-1)).toContain('2027');

    const mentions = [{ openId: h.emu.botOpenId, name: '践诺助手' }];
    await h.say({ openId: LEADER, chatId: 'oc_g_new', chatType: 'group', text: '@_user_1 绑定 HENU-WXY-ZW', mentions });
    await h.settle();
    const published = h.emu.inChat('oc_g_new').filter((m) => m.msgType === 'interactive' && textOf(m.content).includes('公示'));
    expect(published).toHaveLength(1);
    expect(cardText(cardOf(published[0]!))).toContain('2026');

    // Once next year's is approved, it is the one members get.
    await chat.press(LEADER, approve2027, { opinion: '同意' });
    await say('ou_demo_member', '导出 承诺书 HENU-WXY-ZW');
    expect(filesTo('ou_demo_member').at(-1)).toContain('2027');
  });

  it('an old card does not reopen a year that is the record: revise, mark done, save and submit are refused', async () => {
    await file(2026, true);
    const status = chat.lastCard(SEC);
    const revise = buttonValue(status, '修订承诺');
    const form = (await chat.press(SEC, revise)).card!.data; // a 2026 revision drafted in June…
    const save = buttonValue(form, '保存草稿');
    const versions = () => h.deps.db.selectFrom('pledge_versions').select(['version_no', 'status', 'revision']).orderBy('id').execute();
    const before = await versions();
    now = new Date('2028-01-10T02:00:00Z'); // …and its cards pressed in 2028, when 2028 is filed and 2027 may be finished
    const closed = '2026 年度的承诺书已归档，不能再修改。现在可以填写 2028 年度（或补填 2027 年度）的承诺书。';
    expect((await chat.press(SEC, revise)).toast?.content).toBe(closed);
    expect((await chat.press(SEC, save, formFor(2026))).toast?.content).toBe(closed);
    expect((await chat.press(SEC, buttonValue(form, '预览并提交'), formFor(2026))).toast?.content).toBe(closed);
    const done = buttonValue(status, '标记第 1 项完成');
    expect((await chat.press(SEC, done)).toast?.content).toBe(closed);
    expect(await versions()).toEqual(before);
    expect(await h.deps.db.selectFrom('item_states').select('item_key').execute()).toEqual([]);
    expect(await say(SEC, '承诺 2026')).toBe(closed);
  });
});
