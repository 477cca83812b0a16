import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { draftOf, saveDraft } from '../db/repos/pledges.js';
import { cardOf, cardText } from './helpers/cards.js';
import { P2P } from './helpers/directory.js';
import { textOf, type Harness } from './helpers/harness.js';
import { privateChat, SEC, startOnPledgeDay } from './helpers/pledge.js';

/**
 * `承诺 对话` as a secretary meets it (handlers/on-message.ts, handlers/dialogs/pledge-dialog.ts):
 * an answer beginning with a command word is an answer, a dialog that ran out says so once, 提交
 * at a question goes to the confirmation, 还要添加一项吗 takes everyday yes/no, 返回 from the
 * confirmation counts the items, and date errors say what to type.
 */
const TTL_MS = 2 * 60 * 60 * 1000;
const MINUTE = 60_000;
const EXPIRED = '上次的逐项填写已超时结束，已填内容都在草稿里；发送「承诺 对话」继续，或发送「承诺」用卡片填写。';

describe('the conversational pledge, as a secretary types it', () => {
  let h: Harness;
  const chat = privateChat(() => h);
  const messages = () => h.emu.inChat(P2P(SEC));
  const say = async (text: string) => {
    await chat.say(SEC, text);
    return textOf(messages().at(-1)!.content);
  };
  /** Everything the bot sent in answer to `text`. */
  const sayAll = async (text: string) => {
    const before = messages().length;
    await chat.say(SEC, text);
    return messages().slice(before);
  };
  const draft = async () => {
    const v = await h.sqlite.db.selectFrom('pledge_versions').select(['id', 'profile']).executeTakeFirstOrThrow();
    const items = await h.sqlite.db.selectFrom('pledge_items').selectAll().where('version_id', '=', v.id).orderBy('position').execute();
    return { profile: JSON.parse(v.profile) as Record<string, string>, items };
  };
  /** Through the profile to 第 1 项 · 承诺内容. */
  const toFirstItem = async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    for (const a of ['张明', '男', '1978-05', '党支部书记', '2020-09-01']) await say(a);
    expect(await say('13800000001')).toContain('第 1 项 · 承诺内容');
  };
  /** One whole item; ends at 还要添加一项吗. */
  const item = async (content: string, standard: string, due: string) => {
    await say(content);
    await say(standard);
    return say(due);
  };

  beforeEach(async () => {
    h = await startOnPledgeDay();
  });
  afterEach(async () => {
    await h.close();
  });

  it('an answer beginning with a command word is the answer, not the command', async () => {
    await toFirstItem();
    const content = await sayAll('帮助 困难党员和困难学生 每学期走访一次');
    expect(content.some((m) => m.msgType === 'interactive')).toBe(false); // no help card
    expect(textOf(content.at(-1)!.content)).toContain('第 1 项 · 标准/目标');
    const standard = await say('检查 每季度全覆盖');
    expect(standard).not.toContain('建设中');
    expect(standard).toContain('第 1 项 · 完成时限');
    // Glued, as the parser now takes commands typed without a space.
    expect(await say('期限2027-06-30')).toContain('第 1 项');
    expect(await say('2027-06-30')).toContain('还要添加一项吗');
    const { items } = await draft();
    expect(items[0]).toMatchObject({ content: '帮助 困难党员和困难学生 每学期走访一次', standard: '检查 每季度全覆盖', due_date: '2027-06-30' });
  });

  it('a bare 帮助 shows the help card and asks the question again; a bare 取消 still leaves', async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    await say('张明');
    const answer = await sayAll('帮助');
    expect(answer).toHaveLength(2);
    expect(answer[0]!.msgType).toBe('interactive');
    expect(cardText(cardOf(answer[0]!))).toContain('践诺助手 · 帮助');
    expect(textOf(answer[1]!.content)).toContain('请输入性别');
    expect(await say('女')).toContain('请输入出生年月'); // the dialog goes on
    expect((await draft()).profile.gender).toBe('女');
    expect(await say('取消')).toContain('已退出当前填写');
    expect(await say('女')).toContain('我没听懂');
  });

  it('a bare command word is no answer: nothing saved, told how to get to it; /帮助 is help; 取消。 and 退出 leave', async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    const hint = await say('审核');
    expect(hint).toBe('你正在逐项填写承诺书：请回答上面的问题；要用「审核」，先发送「取消」退出（已填内容保存在草稿中）。');
    expect((await draft()).profile.name).not.toBe('审核');
    const slashed = await sayAll('/帮助');
    expect(slashed[0]!.msgType).toBe('interactive');
    expect(textOf(slashed.at(-1)!.content)).toContain('请输入姓名');
    expect((await draft()).profile.name).not.toBe('/帮助');
    expect(await say('取消。')).toContain('已退出当前填写');
    expect(await say('承诺 对话')).toContain('请输入姓名');
    expect(await say('退出')).toContain('已退出当前填写');
  });

  it('the first reply after the dialog ran out is told so, once; the draft keeps what was filled', async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    await say('张明');
    const before = (await draft()).profile.gender;
    h.clock.advance(TTL_MS + MINUTE);
    expect(await say('女')).toBe(EXPIRED);
    expect((await draft()).profile.gender).toBe(before); // not taken
    const again = await say('女');
    expect(again).toContain('我没听懂');
    expect(await h.sqlite.db.selectFrom('dialogs').selectAll().execute()).toHaveLength(0);
    // 承诺 对话 picks the draft up again.
    expect(await say('承诺 对话')).toContain('请输入姓名，当前：张明');
  });

  it('提交 at a question goes to the confirmation and is never stored as the answer', async () => {
    await toFirstItem();
    await say('每月组织一次主题党日');
    const answer = await sayAll('提交。');
    // What is missing is said first; nothing is offered to sign until it is complete.
    const said = textOf(answer.at(-1)!.content);
    expect(said).toContain('还有问题需要修改：\n第 1 项：请填写标准或目标');
    expect(said).toContain('回复「返回」逐项修改');
    expect(answer.some((m) => m.msgType === 'interactive')).toBe(false);
    const { items } = await draft();
    expect(items[0]!.standard).not.toBe('提交');
    expect(items[0]!.standard).toBe('');
    // Completed, 提交 shows the preview to sign.
    expect(await say('返回')).toContain('还要添加一项吗');
    expect(await say('返回')).toContain('第 1 项 · 完成时限');
    expect(await say('返回')).toContain('第 1 项 · 标准/目标');
    await say('全年不少于12次');
    expect(await say('2027-12-31')).toContain('还要添加一项吗');
    const complete = await sayAll('提交');
    expect(textOf(complete.at(-1)!.content)).toContain('回复「提交」确认提交');
    expect(complete.some((m) => m.msgType === 'interactive')).toBe(true); // the preview
    // submit, at the profile too.
    await say('取消');
    await say('承诺 对话');
    expect(await say('submit')).toContain('回复「提交」确认提交');
    expect((await draft()).profile.name).not.toBe('submit');
  });

  it('an answer about an item the card has meanwhile removed or moved is not saved on another item', async () => {
    await toFirstItem();
    await item('A内容', 'A标准', '2027-12-31');
    await say('是');
    await item('B内容', 'B标准', '2027-12-31');
    await say('是');
    await item('C内容', 'C标准', '2027-12-31');
    for (const at of ['第 3 项 · 完成时限', '第 3 项 · 标准/目标', '第 3 项 · 承诺内容', '第 2 项 · 完成时限', '第 2 项 · 标准/目标']) expect(await say('返回')).toContain(at);
    expect(await say('返回')).toContain('第 2 项 · 承诺内容，当前：B内容');
    // On the card, item 1 is removed meanwhile: B is now item 1, C item 2.
    const v = await h.sqlite.db.selectFrom('pledge_versions').selectAll().executeTakeFirstOrThrow();
    const d = await draftOf(h.sqlite.db, v);
    await saveDraft(h.sqlite.db, v.id, v.revision, { ...d, items: d.items.slice(1) }, new Date(), () => 'k_new');
    const reply = await say('删除');
    expect(reply).toContain('承诺书刚在卡片上被修改过，第 2 项已不是刚才那一项；刚才的回复没有保存。\n\n第 2 项 · 承诺内容，当前：C内容');
    expect((await draft()).items.map((i) => i.content)).toEqual(['B内容', 'C内容']);
    // Asked again about what is there now, the answer goes to it.
    expect(await say('删除')).toContain('✓ 已去掉第 2 项');
    expect((await draft()).items.map((i) => i.content)).toEqual(['B内容']);
  });

  it('删除 takes an item out; 否 where a new item is asked adds none', async () => {
    await toFirstItem();
    await item('每月组织一次主题党日', '全年不少于12次', '2027-12-31');
    await say('是');
    await item('每学期走访困难学生', '每学期一次', '2027-06-30');
    expect(await say('好的')).toContain('第 3 项 · 承诺内容'); // a 是 too quickly:
    expect(await say('否。')).toContain('好的，不再添加，共 2 项。');
    expect((await draft()).items.map((i) => i.content)).toEqual(['每月组织一次主题党日', '每学期走访困难学生']);
    // Back to the first item: 删除 takes it out, and the next one moves up.
    for (const at of ['还要添加一项吗', '第 2 项 · 完成时限', '第 2 项 · 标准/目标', '第 2 项 · 承诺内容', '第 1 项 · 完成时限', '第 1 项 · 标准/目标']) {
      expect(await say('返回')).toContain(at);
    }
    const prompt = await say('返回');
    expect(prompt).toContain('第 1 项 · 承诺内容');
    expect(prompt).toContain('删除 去掉这一项');
    expect(await say('删除')).toContain('✓ 已去掉第 1 项，原第 2 项现在是第 1 项\n\n第 1 项 · 承诺内容，当前：每学期走访困难学生');
    expect((await draft()).items.map((i) => i.content)).toEqual(['每学期走访困难学生']);
    expect(await say('删除')).toContain('✓ 已去掉第 1 项\n\n第 1 项 · 承诺内容');
    expect((await draft()).items).toEqual([]);
  });

  it('还要添加一项吗 takes everyday yes and no', async () => {
    await toFirstItem();
    expect(await item('每月组织一次主题党日', '全年不少于12次', '2027-12-31')).toContain('还要添加一项吗');
    for (const yes of ['好的', '可以', '要', '是']) {
      expect(await say(yes), yes).toContain('第 2 项 · 承诺内容');
      expect(await say('返回')).toContain('第 1 项 · 完成时限');
      expect(await say('跳过')).toContain('还要添加一项吗');
    }
    for (const no of ['不用', '没有了', '不要', '否', '不']) {
      expect(await say(no), no).toContain('回复「提交」');
      expect(await say('返回')).toContain('还要添加一项吗');
    }
  });

  it('返回 from the confirmation lands after the last item, counting every item', async () => {
    await toFirstItem();
    await item('每月组织一次主题党日', '全年不少于12次', '2027-12-31');
    expect(await say('是')).toContain('第 2 项 · 承诺内容');
    expect(await item('每学期走访困难党员', '全覆盖', '2027-06-30')).toContain('已填 2 项');
    expect(await say('否')).toContain('回复「提交」');
    const back = await say('返回');
    expect(back).toContain('已填 2 项');
    expect(await say('返回')).toContain('第 2 项 · 完成时限');
  });

  it('a date error asks for a typed date, not a picked one', async () => {
    expect(await say('承诺 对话')).toContain('请输入姓名');
    for (const a of ['张明', '男', '1978-05', '党支部书记']) await say(a);
    const termStart = await say('去年九月');
    expect(termStart).not.toContain('请选择');
    expect(termStart).toContain('请输入日期，例如');
    await say('2020-09-01');
    await say('13800000001');
    await say('每月组织一次主题党日');
    await say('全年不少于12次');
    const due = await say('年底前');
    expect(due).not.toContain('请选择');
    expect(due).toContain('请输入日期，例如 2027-06-30');
    expect(due).toContain('第 1 项 · 完成时限');
  });
});
