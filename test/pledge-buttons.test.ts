import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToRecords } from '../src/domain/csv.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { buttonValue, cardOf, cardText, formDefaults, formSubmitButtons } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { FORM, GROUP, LEADER, NOW, OTHER_LEADER, OTHER_SEC, privateChat, SEC } from './helpers/pledge.js';

/** Every pledge button not already driven by the flow tests does what it says. */

describe('pledge buttons', () => {
  let h: Harness;
  const last = (id: string) => h.emu.inChat(P2P(id)).at(-1)!;
  const { say, press } = privateChat(() => h);

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await importExamples(h.deps);
  });
  afterAll(async () => {
    await h.close();
  });

  let form: Record<string, unknown>;
  it('「添加一项」 saves what is typed and adds an empty item', async () => {
    await say(SEC, '承诺');
    const r = await press(SEC, buttonValue(cardOf(last(SEC)), '添加一项'), FORM);
    expect(r.toast?.type).toBe('success');
    form = r.card!.data;
    expect(formDefaults(form)).toMatchObject({ item_1: '每月组织一次主题党日', item_2: '' });
    expect(cardText(form)).toContain('承诺事项 2');
  });

  it('「保存草稿」 keeps the draft for the next 承诺', async () => {
    const r = await press(SEC, buttonValue(form, '保存草稿'), { ...FORM, position: '党支部书记（兼）' });
    expect(r.toast?.content).toContain('草稿已保存');
    await say(SEC, '承诺');
    form = cardOf(last(SEC));
    expect(formDefaults(form).position).toBe('党支部书记（兼）');
  });

  it('「返回修改」 from the preview brings the form back', async () => {
    const preview = (await press(SEC, buttonValue(form, '预览并提交'), FORM)).card!.data;
    const back = await press(SEC, buttonValue(preview, '返回修改'));
    expect(back.card?.data && formDefaults(back.card.data).item_1).toBe('每月组织一次主题党日');
    form = back.card!.data;
  });

  it('「改用对话填写」 keeps what was typed in the form and continues the same draft by typing', async () => {
    expect(formSubmitButtons(form)).toContain('改用对话填写'); // a button outside the form sends no values
    const r = await press(SEC, buttonValue(form, '改用对话填写'), { ...FORM, position: '党支部书记（对话前）', item_1: '打字后改用对话' });
    expect(r.toast?.type).toBe('info');
    expect(textOf(last(SEC).content)).toContain('请输入姓名');
    await say(SEC, '取消');
    await say(SEC, '承诺');
    form = cardOf(last(SEC));
    expect(formDefaults(form)).toMatchObject({ position: '党支部书记（对话前）', item_1: '打字后改用对话' });
  });

  it('a press on the same pledge\'s card (brought up to date by 改用对话填写) ends a running dialog, and says so', async () => {
    const r = await press(SEC, buttonValue(form, '改用对话填写'), FORM);
    expect(textOf(last(SEC).content)).toContain('请输入姓名');
    form = r.card!.data; // the form as saved: not stale
    const saved = await press(SEC, buttonValue(form, '保存草稿'), { ...FORM, position: '书记（卡片）' });
    expect(saved.toast).toEqual({ type: 'success', content: '草稿已保存，可随时发送「承诺」继续填写（逐项对话填写已结束，改用卡片）' });
    expect(await h.deps.db.selectFrom('dialogs').select('open_id').where('open_id', '=', SEC).execute()).toEqual([]);
    form = saved.card!.data;
  });

  it('a press refused as stale changes nothing, and leaves a running dialog going', async () => {
    const stale = buttonValue(form, '保存草稿');
    const r = await press(SEC, buttonValue(form, '改用对话填写'), FORM); // saves: the card pressed before is now stale
    form = r.card!.data;
    const refused = await press(SEC, stale, { ...FORM, position: '不该保存' });
    expect(refused.toast?.type).toBe('error');
    expect(refused.toast?.content).not.toContain('逐项对话填写已结束');
    expect(await h.deps.db.selectFrom('dialogs').select('open_id').where('open_id', '=', SEC).execute()).toHaveLength(1);
    await say(SEC, '取消');
  });

  it('「审定」 in the 审核 list sends the review card to the leader', async () => {
    await say(SEC, '承诺');
    const preview = (await press(SEC, buttonValue(cardOf(last(SEC)), '预览并提交'), FORM)).card!.data;
    await press(SEC, buttonValue(preview, '确认提交'));
    await say(LEADER, '审核');
    const listMessage = last(LEADER);
    const list = cardOf(listMessage);
    expect(cardText(list)).toContain('待审定的承诺书（1）');
    const before = h.emu.inChat(P2P(LEADER)).length;
    expect((await press('ou_demo_member', buttonValue(list, '审定'))).toast).toEqual({ type: 'error', content: '你不是这份承诺书的审定人：它由「文学院党委」的领导（或上级管理员）审定。' });
    const r = await press(LEADER, buttonValue(list, '审定'));
    expect(r.toast?.type).toBe('success');
    expect(h.emu.inChat(P2P(LEADER)).length).toBe(before + 1);
    expect(buttonValue(cardOf(last(LEADER)), '审定通过')).toMatchObject({ action: 'pledge.approve' });
    // Decided (approved: the next test reads its history), the list's button says by whom and how, and where to look next.
    await press(LEADER, buttonValue(cardOf(last(LEADER)), '审定通过'), { opinion: '同意' });
    // The list the leader worked from is redrawn: nothing waits now.
    await h.drain();
    const redrawn = h.emu.messages.find((m) => m.messageId === listMessage.messageId)!;
    expect(redrawn.version).toBe(2);
    expect(cardText(cardOf(redrawn))).toContain('待审定的承诺书（0）');
    expect(cardText(cardOf(redrawn))).toContain('目前没有等你审定的承诺书');
    expect((await press(LEADER, buttonValue(list, '审定'))).toast).toEqual({ type: 'info', content: '你已审定通过这份承诺书，无需再审定。发送「审核」查看还在等你的。' });
  });

  it('「历史与意见」 lists every version and the opinions, to readers only', async () => {
    const status = cardOf(last(SEC));
    expect((await press('ou_demo_sec_js1', buttonValue(status, '历史与意见'))).toast?.type).toBe('error');
    const r = await press(SEC, buttonValue(status, '历史与意见'));
    expect(r.toast?.type).toBe('success');
    const text = cardText(cardOf(last(SEC)));
    expect(text).toContain('第 1 版');
    expect(text).toContain('现行');
  });

  it('a secretary of two organizations chooses which one to file for', async () => {
    const people = tableToRecords([
      ['open_id', 'name', 'org_code', 'role', 'mobile', 'email'],
      ['ou_two', '钱二', 'HENU-WXY-YJS', 'secretary', '', ''],
      ['ou_two', '钱二', 'HENU-JSJ-JS1', 'secretary', '', ''],
    ]);
    expect((await importDirectory(h.deps, { orgs: tableToRecords([['code', 'name', 'parent_code', 'kind']]), people, actor: 'test' })).ok).toBe(true);
    await say('ou_two', '承诺');
    const choose = cardOf(last('ou_two'));
    const r = await press('ou_two', buttonValue(choose, '计算机学院教工第一党支部'));
    expect(cardText(r.card!.data)).toContain('计算机学院教工第一党支部');
    const forged = await press(SEC, { action: 'pledge.open', org: 'HENU-JSJ-JS1' });
    expect(forged.toast?.type).toBe('error');
  });
});

/**
 * 回头审诺 buttons are the secretary's, 意见和建议 belong to the organization and those above it:
 * roles are checked on the server for every press (a card's callback value is never trusted).
 */
describe('pledge buttons refuse people without the role', () => {
  let h: Harness;
  const last = (id: string) => h.emu.inChat(P2P(id)).at(-1)!;
  const { say, press } = privateChat(() => h);
  /** Everything these buttons write. */
  const snapshot = async () => ({
    versions: await h.sqlite.db.selectFrom('pledge_versions').selectAll().orderBy('id').execute(),
    items: await h.sqlite.db.selectFrom('pledge_items').selectAll().orderBy('id').execute(),
    states: await h.sqlite.db.selectFrom('item_states').selectAll().orderBy('item_key').execute(),
    opinions: await h.sqlite.db.selectFrom('pledge_opinions').selectAll().orderBy('id').execute(),
  });
  /** Each of `who` pressing `value` gets an error toast saying `why`, and nothing is written. */
  const refusedFor = async (who: string[], value: Record<string, unknown>, why: string, formValue?: Record<string, unknown>) => {
    const before = await snapshot();
    for (const openId of who) {
      const r = await press(openId, value, formValue);
      expect(r.toast, openId).toMatchObject({ type: 'error', content: expect.stringContaining(why) });
      expect(r.card, openId).toBeUndefined();
    }
    expect(await snapshot()).toEqual(before);
  };
  // Not the secretary of 文学院中文系党支部: its superior's leader, its member, the admin above,
  // another branch's secretary, another college's secretary.
  const NOT_SECRETARY = [LEADER, 'ou_demo_member', 'ou_demo_admin', OTHER_SEC, 'ou_demo_sec_js1'];

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await importExamples(h.deps);
    // Filed and approved (published in the group), as in the flow.
    await say(SEC, '承诺');
    const preview = (await press(SEC, buttonValue(cardOf(last(SEC)), '预览并提交'), FORM)).card!.data;
    expect((await press(SEC, buttonValue(preview, '确认提交'))).toast?.type).toBe('success');
    expect((await press(LEADER, buttonValue(cardOf(last(LEADER)), '审定通过'), { opinion: '同意' })).toast?.type).toBe('success');
  });
  afterAll(async () => {
    await h.close();
  });

  it('「修订承诺」 and 「标记第 N 项完成」 by someone not the secretary', async () => {
    await say(SEC, '承诺');
    const status = cardOf(last(SEC));
    await refusedFor(NOT_SECRETARY, buttonValue(status, '修订承诺'), '现任书记');
    await refusedFor(NOT_SECRETARY, buttonValue(status, '标记第 1 项完成'), '现任书记');
    expect(await h.sqlite.db.selectFrom('pledge_versions').select('status').execute()).toEqual([{ status: 'approved' }]);
    // The same buttons work for the secretary.
    expect((await press(SEC, buttonValue(status, '标记第 1 项完成'))).toast?.type).toBe('success');
    expect(await h.sqlite.db.selectFrom('item_states').select(['status', 'done_by']).execute()).toEqual([{ status: 'done', done_by: SEC }]);
  });

  it('「再承诺」 by someone not the secretary', async () => {
    const offer = cardOf(last(SEC));
    const value = buttonValue(offer, '再承诺');
    await refusedFor(NOT_SECRETARY, value, '现任书记');
    // …and for the secretary it drafts version 2 with the linked item.
    const r = await press(SEC, value);
    expect(r.toast?.type).toBe('info');
    expect(cardText(r.card!.data)).toContain('第 2 版');
    expect(await h.sqlite.db.selectFrom('pledge_versions').select(['version_no', 'status']).orderBy('version_no').execute()).toEqual([
      { version_no: 1, status: 'approved' },
      { version_no: 2, status: 'draft' },
    ]);
  });

  it('「提交意见」 by someone outside the organization and those above it', async () => {
    const pub = cardOf(h.emu.inChat(GROUP).at(-1)!);
    const value = buttonValue(pub, '提交意见');
    // Another college's secretary and leader, and someone not in the directory at all.
    await refusedFor(['ou_demo_sec_js1', OTHER_LEADER, 'ou_stranger'], value, '只有', { suggestion: '我也想提个意见' });
    expect(await h.sqlite.db.selectFrom('pledge_opinions').selectAll().execute()).toEqual([]);
    // A member of the organization may.
    expect((await press('ou_demo_member', value, { suggestion: '希望每月公布主题党日照片' })).toast?.type).toBe('success');
    expect((await h.sqlite.db.selectFrom('pledge_opinions').select('text').execute()).map((o) => o.text)).toEqual(['希望每月公布主题党日照片']);
  });
});
