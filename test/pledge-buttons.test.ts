import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToRecords } from '../src/domain/csv.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { buttonValue, cardOf, cardText, formDefaults } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { FORM, LEADER, NOW, privateChat, SEC } from './helpers/pledge.js';

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

  it('「改用对话填写」 continues the same draft by typing', async () => {
    const r = await press(SEC, buttonValue(form, '改用对话填写'));
    expect(r.toast?.type).toBe('info');
    expect(textOf(last(SEC).content)).toContain('请输入姓名');
    await say(SEC, '取消');
  });

  it('「审定」 in the 审核 list sends the review card to the leader', async () => {
    await say(SEC, '承诺');
    const preview = (await press(SEC, buttonValue(cardOf(last(SEC)), '预览并提交'), FORM)).card!.data;
    await press(SEC, buttonValue(preview, '确认提交'));
    await say(LEADER, '审核');
    const list = cardOf(last(LEADER));
    const before = h.emu.inChat(P2P(LEADER)).length;
    expect((await press('ou_demo_member', buttonValue(list, '审定'))).toast?.type).toBe('error');
    const r = await press(LEADER, buttonValue(list, '审定'));
    expect(r.toast?.type).toBe('success');
    expect(h.emu.inChat(P2P(LEADER)).length).toBe(before + 1);
    expect(buttonValue(cardOf(last(LEADER)), '审定通过')).toMatchObject({ action: 'pledge.approve' });
  });

  it('「历史版本」 lists every version and the opinions, to readers only', async () => {
    await press(LEADER, buttonValue(cardOf(last(LEADER)), '审定通过'), { opinion: '同意' });
    const status = cardOf(last(SEC));
    expect((await press('ou_demo_sec_js1', buttonValue(status, '历史版本'))).toast?.type).toBe('error');
    const r = await press(SEC, buttonValue(status, '历史版本'));
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
