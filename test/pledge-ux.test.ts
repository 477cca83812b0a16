import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonNamed, buttonTexts, buttonValue, cardOf, cardText, formSubmitButtons } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { loadPledgeContext } from '../src/usecases/pledge/pledge-context.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { FORM, GROUP, LEADER, privateChat, SEC } from './helpers/pledge.js';

type Json = Record<string, unknown>;

const ITEM_1 = '每月组织一次主题党日，围绕学院中心工作开展专题学习研讨和志愿服务活动，并形成书面记录在支部公示栏和群里公布';

describe('「标记第 N 项完成」: an action, confirmed, and only once the pledge year has begun', () => {
  let h: Harness;
  // December 2026, Beijing: the secretary files (and the leader approves) the 2027 pledge.
  let now = new Date('2026-12-01T02:00:00Z');
  const { say, press, lastCard } = privateChat(() => h);

  beforeAll(async () => {
    h = await startHarness({ now: () => now });
    await importExamples(h.deps);
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(lastCard(SEC), '预览并提交'), { ...FORM, item_1: ITEM_1 });
    expect((await press(SEC, buttonValue(preview.card!.data, '确认提交'))).toast?.type).toBe('success');
    expect((await press(LEADER, buttonValue(lastCard(LEADER), '审定通过'), { opinion: '同意' })).toast?.type).toBe('success');
  });
  afterAll(async () => {
    await h.close();
  });

  let status: Json;
  it('before its year, the status card offers no 标记完成 but says from when it can be marked', async () => {
    await say(SEC, '承诺 2027');
    const december = lastCard(SEC);
    expect(buttonTexts(december).filter((t) => t.includes('完成'))).toEqual([]);
    expect(JSON.stringify(december)).toContain('2027年1月1日起可逐项「标记完成」并再承诺');
    // Said once: the line above the buttons does not say it again.
    expect(JSON.stringify(december).match(/标记完成/g)).toHaveLength(1);
  });

  it('from the year\'s start the button is an action, and asks before marking', async () => {
    now = new Date('2026-12-31T16:30:00Z'); // 00:30 on 1 January 2027, Beijing
    await say(SEC, '承诺 2027');
    status = lastCard(SEC);
    expect(buttonTexts(status)).toContain('标记第 1 项完成');
    expect(buttonTexts(status)).not.toContain('第 1 项已完成');
    const b = buttonNamed(status, '标记第 1 项完成')!;
    const confirm = b.confirm as { title: Json; text: Json };
    expect(confirm.title).toEqual({ tag: 'plain_text', content: '标记第 1 项完成？' });
    expect(confirm.text.tag).toBe('plain_text');
    const text = String(confirm.text.content);
    expect(text).toContain(ITEM_1.slice(0, 40));
    expect(text).not.toContain(ITEM_1); // truncated
    expect(text).toContain('台账');
    expect(text).toContain('已完成');
  });

  it('a press before the year has begun (23:30 on 31 December, Beijing; a clock behind) is refused and changes nothing', async () => {
    now = new Date('2026-12-31T15:30:00Z');
    const before = await h.counts();
    const r = await press(SEC, buttonValue(status, '标记第 1 项完成'));
    expect(r.toast).toEqual({ type: 'error', content: '2027 年度尚未开始，不能标记完成。' });
    expect(r.card).toBeUndefined();
    expect(await h.sqlite.db.selectFrom('item_states').selectAll().execute()).toEqual([]);
    expect(await h.sqlite.db.selectFrom('audit_log').select('action').where('action', '=', 'pledge.item_done').execute()).toEqual([]);
    await h.drain();
    expect((await h.counts()).audit).toBe(before.audit);
    expect(lastCard(SEC)).toEqual(status); // no re-pledge offer
  });

  it('once the year has begun (00:30 on 1 January, Beijing), marking done works', async () => {
    now = new Date('2026-12-31T16:30:00Z');
    const r = await press(SEC, buttonValue(status, '标记第 1 项完成'));
    expect(r.toast?.type).toBe('success');
    expect(await h.sqlite.db.selectFrom('item_states').select(['status', 'done_by']).execute()).toEqual([{ status: 'done', done_by: SEC }]);
    expect(await h.sqlite.db.selectFrom('audit_log').select('action').where('action', '=', 'pledge.item_done').execute()).toHaveLength(1);
    expect(buttonTexts(r.card!.data)).not.toContain('标记第 1 项完成');
  });
});

describe('回头审诺: a revision asks first, says what it is each time it is opened, and can be abandoned', () => {
  let h: Harness;
  const { say, press, lastCard } = privateChat(() => h);
  beforeAll(async () => {
    h = await startHarness({ now: () => new Date('2027-01-05T02:00:00Z') });
    await importExamples(h.deps);
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(lastCard(SEC), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    await press(LEADER, buttonValue(lastCard(LEADER), '审定通过'), { opinion: '同意' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('from 修订承诺 (confirmed) to 放弃修订 (confirmed): the approved version stays, as if nothing had been started', async () => {
    await say(SEC, '承诺');
    const status = lastCard(SEC);
    expect((buttonNamed(status, '修订承诺')!.confirm as { title: Json }).title).toEqual({ tag: 'plain_text', content: '修订承诺？' });
    const form = (await press(SEC, buttonValue(status, '修订承诺'))).card!.data;
    expect(JSON.stringify(form)).toContain('修订第 2 版：审定前第 1 版继续有效');
    await say(SEC, '承诺'); // opened again later: still says what it is
    const reopened = lastCard(SEC);
    expect(JSON.stringify(reopened)).toContain('修订第 2 版：审定前第 1 版继续有效');
    expect(formSubmitButtons(reopened)).toContain('放弃修订');
    expect((buttonNamed(reopened, '放弃修订')!.confirm as { title: Json }).title).toEqual({ tag: 'plain_text', content: '放弃第 2 版修订？' });

    const abandon = buttonValue(reopened, '放弃修订');
    expect((await press('ou_demo_member', abandon, FORM)).toast?.content).toContain('现任书记'); // not theirs to abandon
    expect(await h.sqlite.db.selectFrom('pledge_versions').select('id').execute()).toHaveLength(2);
    const r = await press(SEC, abandon, FORM);
    expect(r.toast).toEqual({ type: 'success', content: '已放弃第 2 版修订，现行承诺书不变' });
    expect(buttonTexts(r.card!.data)).toContain('修订承诺');
    const versions = await h.sqlite.db.selectFrom('pledge_versions').select(['version_no', 'status']).execute();
    expect(versions).toEqual([{ version_no: 1, status: 'approved' }]);
    expect(await h.sqlite.db.selectFrom('audit_log').select('action').where('action', '=', 'pledge.revision_abandon').execute()).toHaveLength(1);
    expect((await press(SEC, abandon, FORM)).toast?.type).toBe('error'); // the same card again: nothing left to abandon

    await say(SEC, '承诺');
    expect(buttonTexts(lastCard(SEC))).toContain('修订承诺'); // back to the approved pledge's card
  });

  it('a revision once submitted and returned is withdrawn, not deleted: 撤回修订 keeps its record, the approved version stays', async () => {
    await say(SEC, '承诺');
    const form = (await press(SEC, buttonValue(lastCard(SEC), '修订承诺'))).card!.data;
    const preview = await press(SEC, buttonValue(form, '预览并提交'), { ...FORM, item_1_standard: '全年不少于15次' });
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    // Waiting for review it can be neither changed nor withdrawn.
    const waiting = await press(SEC, { ...buttonValue(form, '放弃修订'), rev: 2 });
    expect(waiting.toast?.content).toContain('正在等待上级审定，审定前不能撤回');
    await press(LEADER, buttonValue(lastCard(LEADER), '退回修改'), { opinion: '请写明每次的主题' });
    await say(SEC, '承诺');
    const returned = lastCard(SEC);
    expect(JSON.stringify(returned)).toContain('修订第 2 版：审定前第 1 版继续有效；不改了可点「撤回修订」。');
    expect(buttonTexts(returned)).not.toContain('放弃修订');
    expect((buttonNamed(returned, '撤回修订')!.confirm as { text: Json }).text).toEqual({ tag: 'plain_text', content: '这一版不再修改和提交（提交和退回的记录保留），第 1 版继续有效。' });
    const withdraw = buttonValue(returned, '撤回修订');
    const r = await press(SEC, withdraw, FORM);
    expect(r.toast).toEqual({ type: 'success', content: '已撤回第 2 版修订，现行承诺书不变' });
    expect(buttonTexts(r.card!.data)).toContain('修订承诺'); // the approved version's card again
    const versions = await h.sqlite.db.selectFrom('pledge_versions').select(['version_no', 'status', 'opinion']).orderBy('version_no').execute();
    expect(versions).toEqual([
      { version_no: 1, status: 'approved', opinion: '同意' },
      { version_no: 2, status: 'withdrawn', opinion: '请写明每次的主题' },
    ]);
    const audit = await h.sqlite.db.selectFrom('audit_log').select(['action', 'before', 'after']).where('action', '=', 'pledge.revision_withdraw').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.before).toContain('全年不少于15次'); // what the row holds, kept with the record
    // Its history says it was returned and withdrawn; its return is not a 审定意见 (the Word file's box).
    await press(SEC, buttonValue(r.card!.data, '历史与意见'));
    expect(cardText(lastCard(SEC))).toMatch(/\*\*第 2 版\*\* · 修订已撤回\n<font color='grey'>提交 [^　]+　退回 [^<]+<\/font>\n退回意见：请写明每次的主题/);
    const v2 = await h.sqlite.db.selectFrom('pledge_versions').select('id').where('version_no', '=', 2).executeTakeFirstOrThrow();
    expect((await loadPledgeContext(h.deps, v2.id))!.view.review).toBeNull();
    // The old form is closed: saving, submitting and withdrawing again change nothing more.
    expect((await press(SEC, buttonValue(returned, '预览并提交'), FORM)).toast?.content).toContain('第 2 版修订已经撤回');
    expect((await press(SEC, withdraw, FORM)).toast?.content).toBe('已撤回第 2 版修订，现行承诺书不变');
    expect(await h.sqlite.db.selectFrom('audit_log').select('id').where('action', '=', 'pledge.revision_withdraw').execute()).toHaveLength(1);
    // 我的 no longer asks for it; a new revision is the third version.
    await say(SEC, '我的');
    expect(JSON.stringify(lastCard(SEC))).toContain('已审定公示');
    await say(SEC, '承诺');
    expect(JSON.stringify((await press(SEC, buttonValue(lastCard(SEC), '修订承诺'))).card!.data)).toContain('修订第 3 版');
  });

  it('a 放弃修订 cut short (left abandoning) is finished before the next revision is numbered', async () => {
    // The third version (after the withdrawn second), approved; then a draft revision whose abandonment was cut short.
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(lastCard(SEC), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    await press(LEADER, buttonValue(lastCard(LEADER), '审定通过'), { opinion: '同意' });
    await say(SEC, '承诺');
    await press(SEC, buttonValue(lastCard(SEC), '修订承诺'));
    await h.sqlite.db.updateTable('pledge_versions').set({ status: 'abandoning' }).where('version_no', '=', 4).execute();
    const v4 = await h.sqlite.db.selectFrom('pledge_versions').select('id').where('version_no', '=', 4).executeTakeFirstOrThrow();
    await say(SEC, '承诺');
    const again = (await press(SEC, buttonValue(lastCard(SEC), '修订承诺'))).card!.data;
    expect(JSON.stringify(again)).toContain('修订第 4 版');
    // The abandonment cut short before its audit row: the row is written (by the bot) before the version goes.
    const abandoned = await h.sqlite.db.selectFrom('audit_log').select(['actor', 'after']).where('action', '=', 'pledge.revision_abandon').where('entity_id', '=', String(v4.id)).execute();
    expect(abandoned).toEqual([{ actor: 'system', after: JSON.stringify({ finished_later_by: SEC }) }]);
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('status').orderBy('version_no').execute()).map((v) => v.status)).toEqual(['superseded', 'withdrawn', 'approved', 'draft']);
  });

  it('a withdrawal cut short before its audit row (D1: every write its own request) is finished by the next 修订承诺', async () => {
    await say(SEC, '承诺');
    const form = lastCard(SEC); // the fourth version, opened above
    expect(JSON.stringify(form)).toContain('修订第 4 版');
    const preview = await press(SEC, buttonValue(form, '预览并提交'), { ...FORM, item_1_standard: '全年不少于16次' });
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    await press(LEADER, buttonValue(lastCard(LEADER), '退回修改'), { opinion: '再具体些' });
    // The status change landed, its audit row did not.
    await h.sqlite.db.updateTable('pledge_versions').set({ status: 'withdrawn' }).where('version_no', '=', 4).execute();
    const v4 = await h.sqlite.db.selectFrom('pledge_versions').select('id').where('version_no', '=', 4).executeTakeFirstOrThrow();
    const withdrawals = () => h.sqlite.db.selectFrom('audit_log').select(['entity_id', 'actor', 'before', 'after']).where('action', '=', 'pledge.revision_withdraw').where('entity_id', '=', String(v4.id)).execute();
    expect(await withdrawals()).toEqual([]);
    await say(SEC, '承诺');
    expect(JSON.stringify((await press(SEC, buttonValue(lastCard(SEC), '修订承诺'))).card!.data)).toContain('修订第 5 版');
    const rows = await withdrawals();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.before).toContain('全年不少于16次');
    // Written later by the bot, not in the name of whoever started the revision (who pressed 撤回 is not known).
    expect(rows[0]!.actor).toBe('system');
    expect(JSON.parse(rows[0]!.after!)).toEqual({ status: 'withdrawn', finished_later_by: SEC });
  });

  it('a reviewer pressing 退回 again after the secretary withdrew is told so, and a return cut short before its audit row is logged', async () => {
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(lastCard(SEC), '预览并提交'), FORM); // the fifth version
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const review = lastCard(LEADER);
    // The leader's return landed (the status), cut short before its audit row and the rest.
    const leader = await h.sqlite.db.selectFrom('people').select('name').where('open_id', '=', LEADER).executeTakeFirstOrThrow();
    const reviewedAt = new Date('2026-12-01T02:30:00Z').toISOString();
    await h.sqlite.db.updateTable('pledge_versions').set({ status: 'returned', reviewed_by: LEADER, reviewed_by_name: leader.name, reviewed_at: reviewedAt, opinion: '补充时间' }).where('version_no', '=', 5).execute();
    const v5 = await h.sqlite.db.selectFrom('pledge_versions').select('id').where('version_no', '=', 5).executeTakeFirstOrThrow();
    await say(SEC, '承诺');
    expect((await press(SEC, buttonValue(lastCard(SEC), '撤回修订'), FORM)).toast?.type).toBe('success');
    const returns = () => h.sqlite.db.selectFrom('audit_log').select(['at', 'actor', 'after']).where('action', '=', 'pledge.return').where('entity_id', '=', String(v5.id)).execute();
    expect(await returns()).toEqual([]);
    const again = await press(LEADER, buttonValue(review, '退回修改'), { opinion: '补充时间' });
    expect(again.toast).toEqual({ type: 'error', content: '这份修订已退回，书记已撤回，无需再审定。' });
    const rows = await returns();
    expect(rows).toEqual([{ at: reviewedAt, actor: LEADER, after: expect.stringContaining('补充时间') }]);
    await press(LEADER, buttonValue(review, '退回修改'), { opinion: '补充时间' });
    expect(await returns()).toHaveLength(1);
    // An approval pressed on the same card changes nothing either.
    expect((await press(LEADER, buttonValue(review, '审定通过'), { opinion: '' })).toast?.content).toContain('书记已撤回');
    expect(await returns()).toHaveLength(1);
  });
});

describe('「@践诺助手 承诺」 in a group', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => new Date('2027-01-05T02:00:00Z') });
    await importExamples(h.deps);
  });
  afterAll(async () => {
    await h.close();
  });

  const ask = async (openId: string): Promise<string> => {
    const before = h.emu.inChat(GROUP).length;
    await h.say({ openId, chatId: GROUP, chatType: 'group', text: '@_user_1 承诺', mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });
    await h.settle();
    await h.drain();
    const got = h.emu.inChat(GROUP).slice(before);
    expect(got).toHaveLength(1);
    return textOf(got[0]!.content);
  };

  it('a secretary is sent to the private chat to fill it in', async () => {
    const text = await ask(SEC);
    expect(text).toContain('私聊中填写');
    expect(h.emu.inChat(P2P(SEC))).toEqual([]);
  });

  it('a leader is told their part (review, export), and someone not in the directory to ask the office', async () => {
    expect(await ask(LEADER)).toContain('审核');
    expect(await ask('ou_nobody_here')).toBe('你还不在组织名录中，请联系本单位创先办把你导入名录。');
  });

  it('a member is told who fills it, where it is published and how to give opinions (not sent to a dead end)', async () => {
    const text = await ask('ou_demo_member');
    expect(text).not.toContain('私聊');
    expect(text).toContain('书记填写');
    expect(text).toContain('公示');
    expect(text).toContain('意见和建议');
  });
});

/** What a leader is offered: the pledges below, and review cards that say what they replace. */
describe('a leader\'s side', () => {
  let h: Harness;
  const { say, press, lastCard } = privateChat(() => h);
  beforeAll(async () => {
    h = await startHarness({ now: () => new Date('2027-01-05T02:00:00Z') });
    await importExamples(h.deps);
  });
  afterAll(async () => {
    await h.close();
  });
  const reply = () => textOf(h.emu.inChat(P2P(LEADER)).at(-1)!.content);
  /** The leader's 「@践诺助手 导出 承诺书」 in the branch's group: what the group is told, and how many messages the leader got privately. */
  const exportInGroup = async () => {
    const before = h.emu.inChat(P2P(LEADER)).length;
    await h.say({ openId: LEADER, chatId: GROUP, chatType: 'group', text: '@_user_1 导出 承诺书', mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });
    await h.settle();
    await h.drain();
    return { group: textOf(h.emu.inChat(GROUP).at(-1)!.content), privately: h.emu.inChat(P2P(LEADER)).length - before };
  };
  /** The secretary files the form `card` through preview and confirm. */
  const file = async (card: Json) => {
    const preview = await press(SEC, buttonValue(card, '预览并提交'), FORM);
    expect((await press(SEC, buttonValue(preview.card!.data, '确认提交'))).toast?.type).toBe('success');
  };

  it('「导出 承诺书」 without a code names the pledges below the leader\'s organization, each with the command that exports it', async () => {
    await say(LEADER, '导出 承诺书');
    expect(reply()).toContain('还没有 2027 年度的承诺书'); // nothing below yet: just that
    expect(reply()).not.toContain('下级组织');

    await say(SEC, '承诺');
    await file(lastCard(SEC));
    await say(LEADER, '导出 承诺书');
    expect(reply()).toContain('下级组织的承诺书可以这样导出');
    const command = /发送「(导出 承诺书 [A-Z0-9-]+)」/.exec(reply())?.[1];
    expect(command).toBe('导出 承诺书 HENU-WXY-ZW');
    await say(LEADER, command!);
    expect(reply()).toContain('已生成');
    // In a group, which organizations below have a pledge (drafts too) is not listed for all to see.
    expect(await exportInGroup()).toEqual({ group: '已私信回复你。', privately: 1 });
  });

  it('a leader who is also a secretary (of the college committee) is offered the pledges below too; asked in a group, privately', async () => {
    // (The branch's pledge was submitted above.)
    const leader = await h.sqlite.db.selectFrom('people').select('id').where('open_id', '=', LEADER).executeTakeFirstOrThrow();
    const college = await h.sqlite.db.selectFrom('organizations').select('id').where('code', '=', 'HENU-WXY').executeTakeFirstOrThrow();
    await h.sqlite.db.insertInto('roles').values({ person_id: leader.id, org_id: college.id, role: 'secretary' }).execute();
    await say(LEADER, '导出 承诺书');
    expect(reply()).toContain('「文学院党委」还没有 2027 年度的承诺书。'); // theirs as secretary first…
    expect(reply()).toContain('下级组织的承诺书可以这样导出：\n· 文学院中文系党支部：发送「导出 承诺书 HENU-WXY-ZW」'); // …then what is below
    expect(await exportInGroup()).toEqual({ group: '已私信回复你。', privately: 1 });
    expect(reply()).toContain('下级组织的承诺书可以这样导出：\n· 文学院中文系党支部：发送「导出 承诺书 HENU-WXY-ZW」');
  });

  it('我的 says what each role has to do now', async () => {
    await say(SEC, '我的');
    expect(JSON.stringify(lastCard(SEC))).toContain('文学院中文系党支部 2027 年度承诺书：已提交，等待上级审定。');
    await say(LEADER, '我的');
    expect(JSON.stringify(lastCard(LEADER))).toContain('有 1 份承诺书等你审定，发送「审核」。');
    await say('ou_demo_member', '我的');
    expect(JSON.stringify(lastCard('ou_demo_member'))).toContain('公示卡片上提交「意见和建议」');
    // In a group the roles are shown, not what each has to do (a draft, reviews waiting).
    await h.say({ openId: LEADER, chatId: GROUP, chatType: 'group', text: '@_user_1 我的', mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });
    await h.settle();
    await h.drain();
    const inGroup = JSON.stringify(cardOf(h.emu.inChat(GROUP).at(-1)!));
    expect(inGroup).toContain('我的身份');
    expect(inGroup).not.toContain('等你审定');
  });

  it('承诺 takes its organization code in any case', async () => {
    await say(SEC, '承诺 henu-wxy-zw');
    expect(JSON.stringify(lastCard(SEC))).toContain('2027年度公开承诺书');
  });

  it('a revision\'s review card names the version it replaces, sent on submission and from the 审核 list', async () => {
    await say(LEADER, '审核');
    await press(LEADER, buttonValue(lastCard(LEADER), '审定'));
    await press(LEADER, buttonValue(lastCard(LEADER), '审定通过'), { opinion: '同意' });
    await say(SEC, '承诺');
    const revising = await press(SEC, buttonValue(lastCard(SEC), '修订承诺'));
    // The revision tightens the item's standard, adds a second item and changes the phone number.
    const revised = { ...FORM, contact: '13800000002', item_1_standard: '全年不少于15次', item_2: '每季度讲一次党课', item_2_standard: '全年4次', item_2_due: '2027-12-31' };
    const preview = await press(SEC, buttonValue(revising.card!.data, '预览并提交'), revised);
    expect((await press(SEC, buttonValue(preview.card!.data, '确认提交'))).toast?.type).toBe('success');
    expect(JSON.stringify(lastCard(LEADER))).toContain('（修订，替换第 1 版）');
    // The reviewer is told what changed, not left to compare two cards by eye.
    expect(cardText(lastCard(LEADER))).toContain(
      ['**修订要点**（与第 1 版相比）：', '· 第 1 项标准：全年不少于12次 → 全年不少于15次', '· 新增第 2 项：每季度讲一次党课', '· 联系方式 改为：13800000002'].join('\n'),
    );
    await say(LEADER, '审核');
    await press(LEADER, buttonValue(lastCard(LEADER), '审定'));
    expect(JSON.stringify(lastCard(LEADER))).toContain('第 2 版（修订，替换第 1 版）');
  });
});
