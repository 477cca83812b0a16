import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonValue, cardOf, cardText, formDefaults, looseFormButtons } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { commentOnPledge } from '../src/usecases/pledge/comment-on-pledge.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { FORM as BASE_FORM, GROUP, LEADER, NOW, OTHER_LEADER, OTHER_SEC, privateChat, SEC } from './helpers/pledge.js';

// Two items here: the flow revises and completes the second.
const FORM = {
  ...BASE_FORM,
  item_1_standard: '全年不少于12次，党员参与率90%以上',
  item_1_due: '2027-12-31 +0800',
  item_2: '结对帮扶 3 名学业困难学生',
  item_2_standard: '期末全部通过考试',
  item_2_due: '2027-07-10',
};

describe('the annual pledge, through the door', () => {
  let h: Harness;
  const { say, press } = privateChat(() => h);
  const lastCard = (chat: string) => cardOf(h.emu.inChat(chat).at(-1)!);

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await importExamples(h.deps);
  });
  afterAll(async () => {
    await h.close();
  });

  let formCard: Record<string, unknown>;
  it('承诺 opens a form prefilled from the directory', async () => {
    await say(SEC, '承诺');
    formCard = lastCard(P2P(SEC));
    expect(cardText(formCard)).toContain('2027年度公开承诺书');
    expect(formDefaults(formCard)).toMatchObject({ name: '张明', contact: '13800000001' });
  });

  it('validation errors point at the field and change nothing else', async () => {
    const v = buttonValue(formCard, '预览并提交');
    const res = await press(SEC, v, { ...FORM, birth_month: '1978-13', item_2_due: '2030-01-01' });
    expect(res.toast?.type).toBe('warning');
    // The toast and the line above the buttons (where a phone shows the form) name the fields.
    expect(res.toast?.content).toBe('请修改：出生年月、第 2 项完成时限');
    const text = cardText(res.card!.data);
    expect(text).toContain('出生年月的月份应在 1–12 之间');
    expect(text).toContain('第 2 项：完成时限须在 2027 年内');
    expect(text.match(/请修改：出生年月、第 2 项完成时限/g)).toHaveLength(2);
    expect(h.emu.requests.filter((r) => r.path.endsWith('/im/v1/messages') && JSON.stringify(r.body).includes(LEADER))).toHaveLength(0);
    formCard = res.card!.data;
  });

  it('a stale card is refused', async () => {
    const stale = buttonValue(lastCard(P2P(SEC)), '预览并提交'); // the original form (older revision)
    const res = await press(SEC, stale, FORM);
    expect(res.toast?.type).toBe('error');
    expect(res.toast?.content).toContain('过期');
  });

  let previewCard: Record<string, unknown>;
  it('preview shows the whole form; confirm submits and the leader gets a review card', async () => {
    const res = await press(SEC, buttonValue(formCard, '预览并提交'), FORM);
    expect(res.toast?.type).toBe('info');
    previewCard = res.card!.data;
    expect(cardText(previewCard)).toContain('每月组织一次主题党日');
    const done = await press(SEC, buttonValue(previewCard, '确认提交'));
    expect(done.toast?.type).toBe('success');
    const review = lastCard(P2P(LEADER));
    expect(cardText(review)).toContain('待审定');
    expect(cardText(review)).toContain('结对帮扶 3 名学业困难学生');
  });

  it('the same confirm pressed again does nothing but say it is submitted', async () => {
    const before = h.emu.messages.length;
    const audits = (await h.counts()).audit;
    const again = await press(SEC, buttonValue(previewCard, '确认提交'));
    expect(again.toast).toMatchObject({ type: 'info', content: expect.stringContaining('已提交') });
    await h.drain();
    expect(h.emu.messages.length).toBe(before);
    expect((await h.counts()).audit).toBe(audits);
  });

  let firstReview: Record<string, unknown>;
  it('only the direct superior may decide', async () => {
    const approve = buttonValue(lastCard(P2P(LEADER)), '审定通过');
    firstReview = approve;
    for (const who of [OTHER_LEADER, OTHER_SEC, SEC]) {
      const r = await press(who, approve, { opinion: '同意' });
      expect(r.toast?.type).toBe('error');
    }
    const status = await h.sqlite.db.selectFrom('pledge_versions').select('status').execute();
    expect(status.map((s) => s.status)).toEqual(['submitted']);
  });

  it('a return needs an opinion, and goes back to the secretary with it', async () => {
    const ret = buttonValue(lastCard(P2P(LEADER)), '退回修改');
    const empty = await press(LEADER, ret, { opinion: '' });
    expect(empty.toast?.type).toBe('error');
    // The refusal stays in sight under the field (a toast fades), on the same review card.
    expect(cardText(empty.card!.data)).toContain('退回时请在「审定意见」里写明修改意见。');
    expect(buttonValue(empty.card!.data, '退回修改')).toEqual(ret);
    // Too long: refused, and what was typed comes back in the field to be shortened, not retyped.
    const long = `第二项标准请量化${'到具体人数'.repeat(100)}`;
    const tooLong = await press(LEADER, ret, { opinion: long });
    expect(tooLong.toast?.content).toBe(`审定意见最多 500 字，现在 ${long.length} 字。`);
    expect(formDefaults(tooLong.card!.data).opinion).toBe(long.slice(0, 500));
    const r = await press(LEADER, ret, { opinion: '第二项标准请量化到具体人数' });
    expect(r.toast?.type).toBe('success');
    expect(cardText(r.card!.data)).toContain('第二项标准请量化到具体人数');
    const back = lastCard(P2P(SEC));
    // Not a fresh form: marked returned, with who sent it back and their words on top.
    expect(cardText(back)).toContain('2027年度公开承诺书 · 已退回');
    expect(cardText(back)).toMatch(/李红梅（文学院党委）退回，请按意见修改后重新提交：\*\*\n.*第二项标准请量化到具体人数</);
    expect(cardText(back)).not.toContain('核对预填的内容');
    formCard = back;
  });

  it('resubmitted with the form values, approved, published in the group', async () => {
    const res = await press(SEC, { action: 'pledge.submit', pledge: buttonValue(formCard, '预览并提交').pledge, rev: buttonValue(formCard, '预览并提交').rev }, { ...FORM, item_2_standard: '3 名学生期末全部通过考试' });
    expect(res.toast?.type).toBe('success');
    // The reviewer sees what the pledge was returned for, to check the changes against.
    expect(cardText(lastCard(P2P(LEADER)))).toContain('上次退回意见**：第二项标准请量化到具体人数');
    // …and what was changed since the return, from what to what.
    expect(cardText(lastCard(P2P(LEADER)))).toMatch(/\*\*退回后的修改\*\*：\n· 第 2 项标准：.+ → 3 名学生期末全部通过考试\n/);
    const approve = buttonValue(lastCard(P2P(LEADER)), '审定通过');
    const expired = await press(LEADER, firstReview, { opinion: '旧卡片' });
    expect(expired.toast?.content).toContain('过期');
    const r = await press(LEADER, approve, { opinion: '同意，请抓好落实' });
    expect(r.toast?.content).toContain('公示');
    const pub = h.emu.inChat(GROUP).at(-1)!;
    expect(textOf(pub.content)).toContain('公示');
    // Feishu's form rules: every button inside a form is a named submit (or reset).
    expect(looseFormButtons(cardOf(pub))).toEqual([]);
    expect(textOf(pub.content)).toContain('同意，请抓好落实');
    expect(textOf(pub.content)).toContain('文学院党委');
    // Each review card sent is updated to show the decision, counted (and kept in order) with
    // its reviewer's other messages: by open_id, like the card itself.
    await h.drain();
    const patches = await h.sqlite.db.selectFrom('outbox').select(['receive_id_type', 'receive_id', 'target_message_id', 'status']).where('op', '=', 'patch').execute();
    expect(patches.length).toBeGreaterThan(0);
    for (const p of patches) expect(p).toMatchObject({ receive_id_type: 'open_id', receive_id: LEADER, status: 'sent' });
    expect(h.emu.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual(expect.arrayContaining(patches.map((p) => `/open-apis/im/v1/messages/${p.target_message_id}`)));
    // Pressed again, the decision stands as first made: nothing new is saved or sent.
    const sentBefore = h.emu.messages.length;
    const approveAgain = await press(LEADER, approve, { opinion: '再次' });
    expect(approveAgain.toast).toMatchObject({ type: 'info', content: expect.stringContaining('以第一次的意见为准') });
    await h.drain();
    expect(h.emu.messages.length).toBe(sentBefore);
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('opinion').where('status', '=', 'approved').executeTakeFirstOrThrow()).opinion).toBe('同意，请抓好落实');
  });

  it('历史与意见 keeps the return of a version resubmitted and approved; a member sees only what was published', async () => {
    const status = lastCard(P2P(SEC));
    await press(SEC, buttonValue(status, '历史与意见'));
    const text = cardText(lastCard(P2P(SEC)));
    expect(text).toMatch(/\*\*第 1 版\*\* · 已审定 · \*\*现行\*\*\n<font color='grey'>退回 [^<]+<\/font>：第二项标准请量化到具体人数\n<font color='grey'>提交 [^　]+　审定 [^<]+<\/font>\n意见：同意，请抓好落实/);
    // A member may read the published pledge's history, but not the review exchange before it.
    await press('ou_demo_member', { ...buttonValue(status, '历史与意见') });
    const member = cardText(cardOf(h.emu.inChat(P2P('ou_demo_member')).at(-1)!));
    expect(member).toContain('第 1 版');
    expect(member).not.toContain('第二项标准请量化到具体人数');
  });

  it('members give opinions from the publication card', async () => {
    const pub = cardOf(h.emu.inChat(GROUP).at(-1)!);
    const r = await press('ou_demo_member', buttonValue(pub, '提交意见'), { suggestion: '希望每月公布主题党日照片' });
    expect(r.toast?.type).toBe('success');
    const rows = await h.sqlite.db.selectFrom('pledge_opinions').selectAll().execute();
    expect(rows.map((x) => x.text)).toEqual(['希望每月公布主题党日照片']);
    // As the card says, the secretary and the reviewers above are told.
    await h.drain();
    expect(textOf(h.emu.inChat(P2P(SEC)).at(-1)!.content)).toContain('希望每月公布主题党日照片');
    expect(textOf(h.emu.inChat(P2P(LEADER)).at(-1)!.content)).toContain('「文学院中文系党支部」2027 年度公开承诺收到一条意见和建议：「希望每月公布主题党日照片」');
    // The text stays in the group card's box: pressing again keeps one opinion and tells no one twice.
    const sent = h.emu.messages.length;
    const again = await press('ou_demo_member', buttonValue(pub, '提交意见'), { suggestion: '希望每月公布主题党日照片' });
    expect(again.toast).toEqual({ type: 'info', content: '这条意见已经提交过了，不用再点。' });
    await h.drain();
    expect(h.emu.messages.length).toBe(sent);
    expect(await h.sqlite.db.selectFrom('pledge_opinions').select('id').execute()).toHaveLength(1);
  });

  it('an opinion press run again (cut short, then recovered) still tells; nobody is told of their own opinion', async () => {
    const versionId = (await h.sqlite.db.selectFrom('pledge_versions').select('id').where('status', '=', 'approved').executeTakeFirstOrThrow()).id;
    const input = { openId: SEC, versionId, text: '书记自己的补充', eventId: 'ev_opinion_rerun' };
    expect(await commentOnPledge(h.deps, input)).toEqual({ ok: true, repeat: false });
    expect(await commentOnPledge(h.deps, input)).toEqual({ ok: true, repeat: false }); // the same press: goes on
    expect(await commentOnPledge(h.deps, { ...input, eventId: 'ev_opinion_again' })).toEqual({ ok: true, repeat: true });
    await h.drain();
    const told = (id: string) => h.emu.inChat(P2P(id)).filter((m) => textOf(m.content).includes('书记自己的补充'));
    expect(told(SEC)).toEqual([]);
    expect(told(LEADER)).toHaveLength(1);
  });

  it('one person gives at most 5 opinions on a pledge in 24 hours: the 6th is refused, stored nowhere and told to nobody', async () => {
    const versionId = (await h.sqlite.db.selectFrom('pledge_versions').select('id').where('status', '=', 'approved').executeTakeFirstOrThrow()).id;
    const give = (n: number) => commentOnPledge(h.deps, { openId: 'ou_demo_admin', versionId, text: `第 ${n} 条意见`, eventId: `ev_flood_${n}` });
    for (let n = 1; n <= 5; n++) expect(await give(n)).toEqual({ ok: true, repeat: false });
    expect(await give(5)).toEqual({ ok: true, repeat: false }); // the 5th press run again still goes on
    expect(await give(6)).toEqual({ ok: false, reason: '每人 24 小时内最多对一份承诺书提 5 条意见，你已提满：2027年1月6日 10:00 后可以再提；也可以把想说的合并成一条。' });
    await h.drain();
    expect(h.emu.messages.filter((m) => textOf(m.content).includes('第 6 条意见'))).toEqual([]);
    expect(await h.sqlite.db.selectFrom('pledge_opinions').select('id').where('author_open_id', '=', 'ou_demo_admin').execute()).toHaveLength(5);
    // A day later (the five given 25 hours before now), one more may be given.
    await h.sqlite.db.updateTable('pledge_opinions').set({ created_at: new Date(NOW.getTime() - 25 * 3600_000).toISOString() }).where('author_open_id', '=', 'ou_demo_admin').execute();
    expect(await give(7)).toEqual({ ok: true, repeat: false });
  });

  it('a revision is reviewed again while the approved version stays in force', async () => {
    await say(SEC, '承诺');
    const status = lastCard(P2P(SEC));
    const form = (await press(SEC, buttonValue(status, '修订承诺'))).card!.data;
    expect(cardText(form)).toContain('第 2 版');
    const sub = await press(SEC, buttonValue(form, '预览并提交'), { ...FORM, item_1_standard: '全年不少于15次' });
    await press(SEC, buttonValue(sub.card!.data, '确认提交'));
    // Under review, the revision is in its secretary's history, not in a member's; nor are the opinions given.
    await press(SEC, buttonValue(status, '历史与意见'));
    expect(cardText(lastCard(P2P(SEC)))).toContain('**第 2 版** · 待审定');
    expect(cardText(lastCard(P2P(SEC)))).toContain('希望每月公布主题党日照片');
    await press('ou_demo_member', buttonValue(status, '历史与意见'));
    const member = cardText(cardOf(h.emu.inChat(P2P('ou_demo_member')).at(-1)!));
    expect(member).toContain('**第 1 版**');
    expect(member).not.toContain('第 2 版');
    expect(member).not.toContain('希望每月公布主题党日照片');
    const pledge = await h.sqlite.db.selectFrom('pledges').selectAll().executeTakeFirstOrThrow();
    const v1 = await h.sqlite.db.selectFrom('pledge_versions').selectAll().where('version_no', '=', 1).executeTakeFirstOrThrow();
    expect(pledge.current_version_id).toBe(v1.id);
    const firstPublication = h.emu.inChat(GROUP).find((m) => textOf(m.content).includes('经上一级党组织审定，现予公示'))!;
    await press(LEADER, buttonValue(lastCard(P2P(LEADER)), '审定通过'), { opinion: '同意修订' });
    const after = await h.sqlite.db.selectFrom('pledge_versions').select(['version_no', 'status']).orderBy('version_no').execute();
    expect(after).toEqual([{ version_no: 1, status: 'superseded' }, { version_no: 2, status: 'approved' }]);
    // The first publication in the group now says it was replaced, and takes no more opinions there.
    await h.drain();
    const patched = h.emu.requests.filter((r) => r.method === 'PATCH' && r.path === `/open-apis/im/v1/messages/${firstPublication.messageId}`);
    expect(patched).toHaveLength(1);
    const replaced = JSON.stringify(patched[0]!.body);
    expect(replaced).toContain('已被回头审诺后的第 2 版取代');
    expect(replaced).not.toContain('提交意见');
    // Its old form pressed anyway (a copy whose replacement could not be sent): pointed at the version in force, nothing kept.
    const opinions = (await h.sqlite.db.selectFrom('pledge_opinions').select('id').execute()).length;
    const current = buttonValue(cardOf(h.emu.inChat(GROUP).at(-1)!), '提交意见');
    const stale = await press('ou_demo_member', { ...current, pledge: v1.id }, { suggestion: '旧卡片上的意见' });
    expect(stale.toast).toEqual({ type: 'error', content: '这一版已被第 2 版取代：请在新的公示卡片上提意见和建议。' });
    // Someone of another college learns nothing of the version from the refusal: only that they may not.
    const outsider = await press('ou_demo_sec_js1', { ...current, pledge: v1.id }, { suggestion: '外人' });
    expect(outsider.toast).toEqual({ type: 'error', content: '只有本组织及上级组织名录中的党员群众可以对这份承诺书提意见。' });
    expect(await h.sqlite.db.selectFrom('pledge_opinions').select('id').execute()).toHaveLength(opinions);
  });

  it('a completed item invites a re-pledge linked to it', async () => {
    await say(SEC, '承诺');
    const status = lastCard(P2P(SEC));
    const r = await press(SEC, buttonValue(status, '标记第 2 项完成'));
    expect(r.toast?.type).toBe('success');
    const offer = lastCard(P2P(SEC));
    const form = (await press(SEC, buttonValue(offer, '再承诺'))).card!.data;
    const sub = await press(SEC, buttonValue(form, '预览并提交'), { ...FORM, item_3: '组织学业帮扶经验交流会', item_3_standard: '覆盖全院党支部', item_3_due: '2027-11-30' });
    expect(cardText(sub.card!.data)).toContain('再承诺，接第 2 项');
    await press(SEC, buttonValue(sub.card!.data, '确认提交'));
    const items = await h.sqlite.db.selectFrom('pledge_items').innerJoin('pledge_versions', 'pledge_versions.id', 'pledge_items.version_id').select(['pledge_items.item_key', 'pledge_items.follows_key', 'pledge_versions.version_no', 'pledge_items.position']).execute();
    const done = await h.sqlite.db.selectFrom('item_states').select('item_key').executeTakeFirstOrThrow();
    const v3 = items.filter((i) => i.version_no === 3);
    expect(v3.find((i) => i.position === 3)?.follows_key).toBe(done.item_key);
  });

  it('导出 承诺书 sends the printable form as a .docx', async () => {
    await say(SEC, '导出 承诺书');
    const file = h.emu.inChat(P2P(SEC)).find((m) => m.msgType === 'file');
    expect(file).toBeDefined();
    const key = (JSON.parse(file!.content) as { file_key: string }).file_key;
    const stored = h.emu.files.get(key)!;
    expect(stored.name).toMatch(/\.docx$/);
    const xml = await (await JSZip.loadAsync(stored.data)).file('word/document.xml')!.async('string');
    expect(xml).toContain('文学院中文系党支部');
    expect(xml).toContain('同意修订');
  });
});
