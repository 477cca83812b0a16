import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tableToRecords } from '../src/domain/csv.js';
import { LIMITS } from '../src/domain/pledge-form.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { submitPledge } from '../src/usecases/pledge/file-pledge.js';
import { reviewPledge } from '../src/usecases/pledge/review-pledge.js';
import { pledgeApprove } from '../handlers/actions/pledge-review.js';
import { buttonNamed, buttonTexts, buttonValue, cardOf, cardText } from './helpers/cards.js';
import { importExamples, P2P } from './helpers/directory.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { FORM, GROUP, LEADER, NOW, OTHER_SEC, privateChat, SEC } from './helpers/pledge.js';


describe('pledge: dialogs, deadlines, handover, CLI', () => {
  let h: Harness;
  const lastMsg = (id: string) => h.emu.inChat(P2P(id)).at(-1)!;
  const chat = privateChat(() => h);
  const press = chat.press;
  const say = async (openId: string, text: string) => {
    await chat.say(openId, text);
    return textOf(lastMsg(openId).content);
  };
  const fileAndApprove = async () => {
    await say(SEC, '承诺');
    const form = cardOf(lastMsg(SEC));
    await press(SEC, { ...buttonValue(form, '预览并提交'), mode: undefined }, FORM);
    return press(LEADER, buttonValue(cardOf(lastMsg(LEADER)), '审定通过'), { opinion: '同意' });
  };

  /** The same database, its next audit row's write failing once as a lost D1 request would. */
  const auditFailingOnce = () => {
    let failures = 1;
    return h.deps.db.withPlugin({
      transformQuery: (a) => {
        if (a.node.kind === 'RawNode' && a.node.sqlFragments.join('').includes('INSERT INTO audit_log') && failures-- > 0) throw new Error('D1_ERROR: network lost');
        return a.node;
      },
      transformResult: (a) => Promise.resolve(a.result),
    });
  };

  beforeEach(async () => {
    h = await startHarness({ now: () => NOW, keepDb: true });
    await importExamples(h.deps);
  });
  afterEach(async () => {
    await h.close();
  });

  it('the conversational path asks field by field and accepts 跳过 / 返回 / 取消', async () => {
    expect(await say(SEC, '承诺 对话')).toContain('姓名');
    expect(await say(SEC, '跳过')).toContain('性别'); // 张明 prefilled
    expect(await say(SEC, '未知')).toContain('性别请选择 男 或 女');
    expect(await say(SEC, '男')).toContain('出生年月');
    expect(await say(SEC, '返回')).toContain('性别');
    await say(SEC, '跳过');
    expect(await say(SEC, '1978年5月')).toContain('职务');
    await say(SEC, '党支部书记');
    expect(await say(SEC, '2020/9/1')).toContain('联系方式');
    expect(await say(SEC, '跳过')).toContain('第 1 项');
    await say(SEC, '每月组织一次主题党日');
    await say(SEC, '全年不少于12次');
    expect(await say(SEC, '2031-01-01')).toContain('须在 2027 年内');
    expect(await say(SEC, '2027-12-31')).toContain('还要添加一项吗');
    expect(await say(SEC, '否')).toContain('回复「提交」');
    expect(await say(SEC, '提交')).toContain('已提交');
    const v = await h.sqlite.db.selectFrom('pledge_versions').selectAll().executeTakeFirstOrThrow();
    expect(v.status).toBe('submitted');
    expect(JSON.parse(v.profile)).toMatchObject({ gender: '男', birth_month: '1978-05', term_start: '2020-09-01' });
    expect(cardText(cardOf(lastMsg(LEADER)))).toContain('每月组织一次主题党日');
  });

  it('the dialog offers no item past the most a pledge may hold', async () => {
    await say(SEC, '承诺');
    const ten: Record<string, string> = { ...FORM };
    for (let n = 1; n <= LIMITS.items; n++) Object.assign(ten, { [`item_${n}`]: `第${n}项承诺`, [`item_${n}_standard`]: '标准', [`item_${n}_due`]: '2027-12-31' });
    expect((await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '保存草稿'), ten)).toast?.type).toBe('success');
    let reply = await say(SEC, '承诺 对话');
    for (let i = 0; i < 6 + 3 * LIMITS.items && !reply.includes('回复「提交」'); i++) {
      expect(reply).not.toContain('还要添加一项吗');
      reply = await say(SEC, '跳过');
    }
    expect(reply).toContain('回复「提交」');
  });

  it('取消 leaves the dialog and keeps the draft', async () => {
    await say(SEC, '承诺 对话');
    await say(SEC, '跳过');
    await say(SEC, '女');
    expect(await say(SEC, '取消')).toContain('草稿');
    expect(await say(SEC, '女')).toContain('帮助'); // no dialog any more
    const v = await h.sqlite.db.selectFrom('pledge_versions').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(v.profile).gender).toBe('女');
  });

  it('a new secretary carries the pledge on; the old one loses write access', async () => {
    await say(SEC, '承诺');
    const form = cardOf(lastMsg(SEC));
    const people = tableToRecords([
      ['open_id', 'name', 'org_code', 'role', 'mobile', 'email'],
      ['ou_new_sec', '周新', 'HENU-WXY-ZW', 'secretary', '', ''],
    ]);
    const r = await importDirectory(h.deps, { orgs: tableToRecords([['code', 'name', 'parent_code', 'kind']]), people, actor: 'test' });
    expect(r.ok).toBe(true);
    const refused = await press(SEC, buttonValue(form, '预览并提交'), FORM);
    expect(refused.toast?.type).toBe('error');
    expect(refused.toast?.content).toContain('现任书记');
    const text = await say('ou_new_sec', '承诺');
    expect(text).toContain('2027年度公开承诺书');
    const v = await h.sqlite.db.selectFrom('pledge_versions').select('id').execute();
    expect(v).toHaveLength(1); // the same pledge, not a new one
  });

  it('a dialog begun before the handover stops at the old secretary\'s next reply', async () => {
    await say(SEC, '承诺 对话');
    const profileBefore = (await h.sqlite.db.selectFrom('pledge_versions').select('profile').executeTakeFirstOrThrow()).profile;
    const people = tableToRecords([
      ['open_id', 'name', 'org_code', 'role', 'mobile', 'email'],
      ['ou_new_sec', '周新', 'HENU-WXY-ZW', 'secretary', '', ''],
    ]);
    expect((await importDirectory(h.deps, { orgs: tableToRecords([['code', 'name', 'parent_code', 'kind']]), people, actor: 'test' })).ok).toBe(true);
    expect(await say(SEC, '李四')).toContain('已不是');
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('profile').executeTakeFirstOrThrow()).profile).toBe(profileBefore);
    expect(await say(SEC, '王五')).toContain('帮助'); // the dialog is over
  });

  it('nobody reviews their own pledge, even holding a role above; the review card goes to the others', async () => {
    // 张明 is also a leader of the parent committee, beside 李红梅.
    const people = tableToRecords([
      ['open_id', 'name', 'org_code', 'role', 'mobile', 'email'],
      [SEC, '张明', 'HENU-WXY-ZW', 'secretary', '', ''],
      [SEC, '张明', 'HENU-WXY', 'leader', '', ''],
    ]);
    expect((await importDirectory(h.deps, { orgs: tableToRecords([['code', 'name', 'parent_code', 'kind']]), people, actor: 'test' })).ok).toBe(true);
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const reviewCards = h.emu.messages.filter((m) => m.msgType === 'interactive' && cardText(cardOf(m)).includes('待审定'));
    expect(reviewCards.map((m) => m.receiveId)).toEqual([LEADER]);
    // The button's value comes from the client: pressed by the filer, it is refused.
    const approve = buttonValue(cardOf(lastMsg(LEADER)), '审定通过');
    const self = await press(SEC, approve, { opinion: '同意' });
    expect(self.toast).toMatchObject({ type: 'error', content: expect.stringContaining('不能审定自己') });
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('status').executeTakeFirstOrThrow()).status).toBe('submitted');
    // Nor is it offered to them, by 审核 or 我的.
    expect(await say(SEC, '审核')).toContain('没有等你审定');
    await say(SEC, '我的');
    expect(cardText(cardOf(lastMsg(SEC)))).toContain('暂无等你审定的承诺书');
    expect((await press(LEADER, approve, { opinion: '同意' })).toast?.type).toBe('success');
  });

  it('a decision saved is answered as saved even if counting the reviews left fails', async () => {
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const approve = buttonValue(cardOf(lastMsg(LEADER)), '审定通过');
    // The database refuses the count's query (a lost D1 request), after the decision's writes.
    const db = h.deps.db.withPlugin({
      transformQuery: (a) => {
        if (a.node.kind === 'SelectQueryNode' && JSON.stringify(a.node).includes('"submitted_by_name"')) throw new Error('D1_ERROR: network lost');
        return a.node;
      },
      transformResult: (a) => Promise.resolve(a.result),
    });
    const ctx = { openId: LEADER, messageId: undefined, chatId: undefined, value: approve, formValue: { opinion: '同意' }, eventId: 'ev_count_fails' };
    const res = await pledgeApprove.handle({ ...h.deps, db }, ctx, approve);
    expect(res.toast).toMatchObject({ type: 'success', content: expect.stringContaining('已审定通过') });
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('status').executeTakeFirstOrThrow()).status).toBe('approved');
  });

  it('审核 lists what awaits the leader, and only them', async () => {
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    expect(cardText(cardOf(lastMsg(LEADER)))).toContain('待审定');
    await say(LEADER, '审核');
    expect(cardText(cardOf(lastMsg(LEADER)))).toContain('文学院中文系党支部');
    // Asked in a group, the list goes to the leader privately: what is under review is not the group's.
    const before = h.emu.inChat(P2P(LEADER)).length;
    await h.say({ openId: LEADER, chatId: GROUP, chatType: 'group', text: '@_user_1 审核', mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });
    await h.settle();
    expect(h.emu.inChat(GROUP).map((m) => m.msgType === 'text' ? textOf(m.content) : 'a card').at(-1)).toBe('已私信回复你。');
    expect(h.emu.inChat(P2P(LEADER))).toHaveLength(before + 1);
    expect(cardText(cardOf(lastMsg(LEADER)))).toContain('文学院中文系党支部');
    expect(await say('ou_demo_leader2', '审核')).toContain('没有等你审定');
    expect(await say('ou_demo_member', '审核')).toContain('只有上级');
    // A second branch files too; each decision says how many are left (the list above is not current).
    await say(OTHER_SEC, '承诺');
    const other = await press(OTHER_SEC, buttonValue(cardOf(lastMsg(OTHER_SEC)), '预览并提交'), { ...FORM, name: '刘芳', gender: '女' });
    await press(OTHER_SEC, buttonValue(other.card!.data, '确认提交'));
    const second = cardOf(lastMsg(LEADER));
    await say(LEADER, '审核');
    expect(cardText(cardOf(lastMsg(LEADER)))).toContain('待审定的承诺书（2）');
    const first = await press(LEADER, buttonValue(second, '审定通过'), { opinion: '同意' });
    expect(first.toast?.content).toMatch(/^已审定通过.*；还有 1 份等你审定，发送「审核」查看$/);
    const zw = h.emu.inChat(P2P(LEADER)).filter((m) => m.msgType === 'interactive').map(cardOf).filter((c) => buttonNamed(c, '退回修改') && cardText(c).includes('中文系'));
    const last = await press(LEADER, buttonValue(zw.at(-1)!, '退回修改'), { opinion: '请补充第二项' });
    expect(last.toast?.content).toBe('已退回，书记会收到你的意见');
  });

  it('when one reviewer decides, the other reviewers\' latest 审核 lists are redrawn too', async () => {
    // A second leader of 文学院党委: both get the review card, both ask for their lists.
    const OTHER = 'ou_demo_admin';
    const person = await h.sqlite.db.selectFrom('people').select('id').where('open_id', '=', OTHER).executeTakeFirstOrThrow();
    const college = await h.sqlite.db.selectFrom('organizations').select('id').where('code', '=', 'HENU-WXY').executeTakeFirstOrThrow();
    await h.sqlite.db.insertInto('roles').values({ person_id: person.id, org_id: college.id, role: 'leader' }).execute();
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const review = cardOf(lastMsg(LEADER));
    await say(OTHER, '审核');
    const othersList = lastMsg(OTHER);
    expect(cardText(cardOf(othersList))).toContain('待审定的承诺书（1）');
    await press(LEADER, buttonValue(review, '审定通过'), { opinion: '同意' });
    await h.drain();
    const redrawn = h.emu.messages.find((m) => m.messageId === othersList.messageId)!;
    expect(redrawn.version).toBe(2);
    expect(cardText(cardOf(redrawn))).toContain('目前没有等你审定的承诺书');
  });

  it('the card the secretary submitted from is updated once the pledge is decided (it read 已提交)', async () => {
    await say(SEC, '承诺');
    const formMessage = lastMsg(SEC);
    const pressOn = async (value: Record<string, unknown>, formValue?: Record<string, unknown>) => {
      const r = await h.press({ openId: SEC, value, formValue, chatId: P2P(SEC), messageId: formMessage.messageId });
      await h.settle();
      return r.body as { card?: { data: Record<string, unknown> } };
    };
    const preview = await pressOn(buttonValue(cardOf(formMessage), '预览并提交'), FORM);
    const submitted = await pressOn(buttonValue(preview.card!.data, '确认提交'));
    expect(cardText(submitted.card!.data)).toContain('待审定');
    await press(LEADER, buttonValue(cardOf(lastMsg(LEADER)), '退回修改'), { opinion: '请补充第二项' });
    await h.drain();
    const patched = h.emu.requests.filter((r) => r.method === 'PATCH' && r.path === `/open-apis/im/v1/messages/${formMessage.messageId}`);
    expect(patched).toHaveLength(1);
    expect(JSON.stringify(patched[0]!.body)).toContain('已退回');
    expect(JSON.stringify(patched[0]!.body)).toContain('请补充第二项');
  });

  it('a submission waiting on a leader who left (role none) goes to the admins above, who now review it', async () => {
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const ADMIN = 'ou_demo_admin';
    const reviewCards = () => h.emu.inChat(P2P(ADMIN)).filter((m) => m.msgType === 'interactive' && buttonNamed(cardOf(m), '审定通过'));
    await h.drain();
    expect(reviewCards()).toHaveLength(0); // the college's leader reviews it
    const orgs = tableToRecords([['code', 'name', 'parent_code', 'kind']]);
    const people = (...rows: string[][]) => tableToRecords([['open_id', 'name', 'org_code', 'role'], ...rows]);
    // A second leader joins: they get the card; the first leader gets no second one.
    const leaderCards = () => h.emu.inChat(P2P(LEADER)).filter((m) => m.msgType === 'interactive' && buttonNamed(cardOf(m), '审定通过'));
    const before = leaderCards().length;
    expect(await importDirectory(h.deps, { orgs, people: people(['ou_demo_member2', '新领导', 'HENU-WXY', 'leader']), actor: 'test' })).toMatchObject({ ok: true, reviewCardsSent: 1 });
    await h.drain();
    expect(leaderCards()).toHaveLength(before);
    expect(h.emu.inChat(P2P('ou_demo_member2')).filter((m) => m.msgType === 'interactive')).toHaveLength(1);
    // Both leaders leave: the admins above review it now, and are sent the card.
    const r = await importDirectory(h.deps, { orgs, people: people(['ou_demo_leader', '李红梅', 'HENU-WXY', 'none'], ['ou_demo_member2', '新领导', 'HENU-WXY', 'none']), actor: 'test' });
    expect(r).toMatchObject({ ok: true, reviewCardsSent: 1, unreviewed: [] });
    await h.drain();
    expect(reviewCards()).toHaveLength(1);
    // Imported again: nothing changes, nothing is sent again.
    expect(await importDirectory(h.deps, { orgs, people: people(['ou_demo_leader', '李红梅', 'HENU-WXY', 'none']), actor: 'test' })).toMatchObject({ ok: true, reviewCardsSent: 0 });
    // Moved under another college: its leader reviews it now, and gets the card.
    const moved = tableToRecords([['code', 'name', 'parent_code', 'kind'], ['HENU-WXY-ZW', '文学院中文系党支部', 'HENU-JSJ', '党支部']]);
    expect(await importDirectory(h.deps, { orgs: moved, people: people(), actor: 'test' })).toMatchObject({ ok: true, reviewCardsSent: 1 });
    await h.drain();
    expect(h.emu.inChat(P2P('ou_demo_leader2')).filter((m) => m.msgType === 'interactive' && buttonNamed(cardOf(m), '审定通过'))).toHaveLength(1);
    const back = tableToRecords([['code', 'name', 'parent_code', 'kind'], ['HENU-WXY-ZW', '文学院中文系党支部', 'HENU-WXY', '党支部']]);
    expect(await importDirectory(h.deps, { orgs: back, people: people(), actor: 'test' })).toMatchObject({ ok: true, reviewCardsSent: 0 }); // the admin has it already
    // The admin leaves too: nobody may review it, and the import says so.
    expect(await importDirectory(h.deps, { orgs, people: people([ADMIN, '王建国', 'HENU', 'none']), actor: 'test' })).toMatchObject({ ok: true, reviewCardsSent: 0, unreviewed: ['文学院中文系党支部（HENU-WXY-ZW）'] });
  });

  it('deadlines: a lower level may only tighten its parent\'s date; the form shows the one in force', async () => {
    expect(await say('ou_demo_admin', '期限 承诺 2027-01-25 HENU')).toContain('已设置');
    expect(await say('ou_demo_admin', '期限 承诺 2027-01-28 HENU-WXY')).toContain('不能晚于');
    expect(await say('ou_demo_admin', '期限 承诺 2027-01-20 HENU-WXY')).toContain('已设置');
    expect(await say(LEADER, '期限 承诺 2027-01-10 HENU-WXY-ZW')).toContain('只有');
    await say(SEC, '承诺');
    expect(cardText(cardOf(lastMsg(SEC)))).toContain('截止：2027年1月20日');
  });

  it('the printable form: the published card\'s button, and the CLI', async () => {
    const res = await fileAndApprove();
    expect(res.toast?.type).toBe('success');
    const pub = cardOf(h.emu.inChat('oc_demo_wxy_zw').at(-1)!);
    const outsider = await press('ou_demo_sec_js1', buttonValue(pub, '下载承诺书'));
    expect(outsider.toast?.type).toBe('error');
    const member = await press('ou_demo_member', buttonValue(pub, '下载承诺书'));
    expect(member.toast?.type).toBe('success');
    // Pressed again at once (a double tap): no second file.
    expect((await press('ou_demo_member', buttonValue(pub, '下载承诺书'))).toast).toEqual({ type: 'info', content: '刚刚已私信发送这份承诺书，请在与我的私聊中查收。' });
    await h.drain();
    expect(h.emu.inChat(P2P('ou_demo_member')).filter((m) => m.msgType === 'file')).toHaveLength(1);
    const file = h.emu.inChat(P2P('ou_demo_member')).find((m) => m.msgType === 'file')!;
    const data = h.emu.files.get((JSON.parse(file.content) as { file_key: string }).file_key)!.data;
    const xml = await (await JSZip.loadAsync(data)).file('word/document.xml')!.async('string');
    expect(xml).toContain('每月组织一次主题党日');

    await h.settle();
    const out = `${h.dbPath}.docx`;
    const run = promisify(execFile);
    const { stdout } = await run('npx', ['tsx', 'src/admin.ts', 'export-pledge', '--org', 'HENU-WXY-ZW', '--year', '2027', '--out', out], { env: { ...process.env, DATABASE_URL: h.dbPath, LARK_APP_ID: '' } });
    expect(stdout).toMatch(/^已导出 \(written\): .+（.+，第 1 版，已审定）$/m); // the status in Chinese
    expect(existsSync(out)).toBe(true);
    const cliXml = await (await JSZip.loadAsync(readFileSync(out))).file('word/document.xml')!.async('string');
    expect(cliXml).toContain('文学院中文系党支部');
  });

  it('承诺 对话 on an approved pledge says there is nothing to type in, then shows its card', async () => {
    await fileAndApprove();
    const before = h.emu.inChat(P2P(SEC)).length;
    await chat.say(SEC, '承诺 对话');
    const got = h.emu.inChat(P2P(SEC)).slice(before);
    expect(got.map((m) => m.msgType)).toEqual(['text', 'interactive']);
    expect(textOf(got[0]!.content)).toBe('这份承诺书已审定，现在没有要逐项填写的内容。要修改请点下面卡片上的「修订承诺」。');
    expect(buttonTexts(cardOf(got[1]!))).toContain('修订承诺');
  });

  it('承诺 with a code that names no organization, or one not theirs, says which and what to send instead', async () => {
    expect(await say(SEC, '承诺 XYZ')).toBe('没有编码为「XYZ」的组织。你可以发送「承诺 HENU-WXY-ZW」（文学院中文系党支部）。');
    expect(await say(SEC, '承诺 HENU-WXY')).toBe('你不是「文学院党委」的书记，不能为它填写承诺书。你可以发送「承诺 HENU-WXY-ZW」（文学院中文系党支部）。');
    // Whether another organization has filed is not for someone who may not read its pledge to learn.
    expect(await say(SEC, '导出 承诺书 HENU-JSJ')).toBe('你没有查看「计算机与信息工程学院党总支」承诺书的权限：它只对本组织和上级组织的人员公开。');
  });

  it('approved with no group bound, the pledge is published in the group bound later', async () => {
    const YJS_SEC = 'ou_demo_sec_yjs'; // 文学院研究生党支部: no group in the directory
    await say(YJS_SEC, '承诺');
    const preview = await press(YJS_SEC, buttonValue(cardOf(lastMsg(YJS_SEC)), '预览并提交'), FORM);
    await press(YJS_SEC, buttonValue(preview.card!.data, '确认提交'));
    const decided = await press(LEADER, buttonValue(cardOf(lastMsg(LEADER)), '审定通过'), { opinion: '同意' });
    // The reviewer, a leader above it, is one who may bind its group: told how.
    expect(decided.toast?.content).toBe('已审定通过；该组织还没有绑定群，未公示：在它的群里发送「@践诺助手 绑定 HENU-WXY-YJS」即公示');
    // The secretary is told it is not published yet, and who can get it published (not the secretary: binding is refused to them).
    expect(cardText(cardOf(lastMsg(YJS_SEC)))).toContain('暂未公示');
    expect(cardText(cardOf(lastMsg(YJS_SEC)))).toContain('请本组织或上级的领导、管理员在组织的群里发送「@践诺助手 绑定 HENU-WXY-YJS」（书记不能绑定）');
    await chat.say(YJS_SEC, '我的');
    expect(cardText(cardOf(lastMsg(YJS_SEC)))).toContain('未公示：请领导或管理员在群里发送「@践诺助手 绑定 HENU-WXY-YJS」');
    const mentions = [{ openId: h.emu.botOpenId, name: '践诺助手' }];
    // The secretary who tries anyway is told who can, and what they send.
    await h.say({ openId: YJS_SEC, chatId: 'oc_g_yjs_new', chatType: 'group', text: '@_user_1 绑定 HENU-WXY-YJS', mentions });
    await h.settle();
    expect(textOf(h.emu.inChat('oc_g_yjs_new').at(-1)!.content)).toContain('或其上级组织的管理员、领导可以绑定本群：请他们在本群发送「@践诺助手 绑定 HENU-WXY-YJS」');
    await h.say({ openId: LEADER, chatId: 'oc_g_yjs_new', chatType: 'group', text: '@_user_1 绑定 HENU-WXY-YJS', mentions });
    await h.settle();
    const inGroup = h.emu.inChat('oc_g_yjs_new');
    // The group reads that it is bound first, then the publication.
    expect(inGroup.map((m) => m.msgType)).toEqual(['text', 'text', 'interactive']);
    expect(textOf(inGroup[1]!.content)).toContain('随后在本群公示');
    expect(cardText(cardOf(inGroup[2]!))).toContain('公示');
    // Bound again (nothing changes), nothing is published twice.
    await h.say({ openId: LEADER, chatId: 'oc_g_yjs_new', chatType: 'group', text: '@_user_1 绑定 HENU-WXY-YJS', mentions });
    await h.settle();
    expect(h.emu.inChat('oc_g_yjs_new').filter((m) => m.msgType === 'interactive')).toHaveLength(1);
  });

  it('a submission cut short after it is saved is finished by the same press again: the review card goes out once', async () => {
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    const confirm = buttonValue(preview.card!.data, '确认提交') as { pledge: number; rev: number };
    // On Workers each write is its own request: here the audit row after the status fails once.
    const flaky = auditFailingOnce();
    await expect(submitPledge({ ...h.deps, db: flaky }, { openId: SEC, versionId: confirm.pledge, rev: confirm.rev })).rejects.toThrow('network lost');
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('status').executeTakeFirstOrThrow()).status).toBe('submitted');
    const reviewCards = () => h.emu.messages.filter((m) => m.receiveId === LEADER && cardText(cardOf(m)).includes('待审定'));
    await h.drain();
    expect(reviewCards()).toHaveLength(0); // the reviewer was never told
    const again = await press(SEC, confirm);
    expect(again.toast?.content).toContain('已提交');
    await h.drain();
    expect(reviewCards()).toHaveLength(1);
    expect(await h.sqlite.db.selectFrom('audit_log').select('id').where('action', '=', 'pledge.submit').execute()).toHaveLength(1);
    await press(SEC, confirm);
    await h.drain();
    expect(reviewCards()).toHaveLength(1);
  });

  it('an approval cut short after its decision is saved is finished by the same press again, once', async () => {
    await say(SEC, '承诺');
    const preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const approve = buttonValue(cardOf(lastMsg(LEADER)), '审定通过') as { pledge: number; rev: number };
    // On Workers each write is its own request: here the one after the decision fails once.
    let failures = 1;
    const flaky = h.deps.db.withPlugin({
      transformQuery: (a) => {
        if (a.node.kind === 'UpdateQueryNode' && JSON.stringify(a.node.table).includes('"pledges"') && failures-- > 0) throw new Error('D1_ERROR: network lost');
        return a.node;
      },
      transformResult: (a) => Promise.resolve(a.result),
    });
    const input = { openId: LEADER, versionId: approve.pledge, revision: approve.rev, approve: true, opinion: '同意' };
    await expect(reviewPledge({ ...h.deps, db: flaky }, input)).rejects.toThrow('network lost');
    expect((await h.sqlite.db.selectFrom('pledge_versions').select('status').executeTakeFirstOrThrow()).status).toBe('approved');
    expect(h.emu.inChat(GROUP).filter((m) => m.msgType === 'interactive')).toHaveLength(0); // not published
    // The same press again (Feishu's retry, or recovery of the stored press) finishes it.
    const again = await reviewPledge(h.deps, input);
    expect(again).toMatchObject({ kind: 'decided', approved: true, published: 1 });
    await h.settle();
    await h.drain();
    expect(h.emu.inChat(GROUP).filter((m) => m.msgType === 'interactive' && cardText(cardOf(m)).includes('公示'))).toHaveLength(1);
    expect((await h.sqlite.db.selectFrom('pledges').select('current_version_id').executeTakeFirstOrThrow()).current_version_id).toBe(approve.pledge);
    const approvals = await h.sqlite.db.selectFrom('audit_log').select('id').where('action', '=', 'pledge.approve').execute();
    expect(approvals).toHaveLength(1);
    // And once more changes nothing.
    await reviewPledge(h.deps, input);
    await h.settle();
    await h.drain();
    expect(h.emu.inChat(GROUP).filter((m) => m.msgType === 'interactive' && cardText(cardOf(m)).includes('公示'))).toHaveLength(1);
  });

  it('a second return cut short before its audit row is finished with its own row, not mistaken for the first', async () => {
    await say(SEC, '承诺');
    let preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    await press(LEADER, buttonValue(cardOf(lastMsg(LEADER)), '退回修改'), { opinion: '第一次退回' });
    // Resubmitted from the returned form, then returned again, the audit write failing once.
    preview = await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), FORM);
    await press(SEC, buttonValue(preview.card!.data, '确认提交'));
    const ret = buttonValue(cardOf(lastMsg(LEADER)), '退回修改') as { pledge: number; rev: number };
    const flaky = auditFailingOnce();
    const input = { openId: LEADER, versionId: ret.pledge, revision: ret.rev, approve: false, opinion: '第二次退回' };
    const later = () => new Date(NOW.getTime() + 3600_000); // this harness's clock stands still
    await expect(reviewPledge({ ...h.deps, db: flaky, now: later }, input)).rejects.toThrow('network lost');
    expect(await reviewPledge({ ...h.deps, now: later }, input)).toMatchObject({ kind: 'decided', again: true });
    const returns = await h.sqlite.db.selectFrom('audit_log').select('after').where('action', '=', 'pledge.return').orderBy('id').execute();
    expect(returns.map((r) => (JSON.parse(r.after!) as { opinion: string }).opinion)).toEqual(['第一次退回', '第二次退回']);
  });

  it('a member reads the pledge once it is approved, not the draft before', async () => {
    await say(SEC, '承诺');
    expect(await say('ou_demo_member', '导出 承诺书 HENU-WXY-ZW')).toBe('「文学院中文系党支部」的 2027 年度承诺书还在填写中，尚未提交。');
    // Nor its leader: a draft never submitted is the secretary's alone.
    expect(await say(LEADER, '导出 承诺书 HENU-WXY-ZW')).toBe('「文学院中文系党支部」的 2027 年度承诺书还在填写中，尚未提交。');
    expect(h.emu.inChat(P2P('ou_demo_member')).filter((m) => m.msgType === 'file')).toHaveLength(0);
    expect(h.emu.inChat(P2P(LEADER)).filter((m) => m.msgType === 'file')).toHaveLength(0);
    await fileAndApprove();
    // The file, without the secretary's job of printing four copies.
    expect(await say('ou_demo_member', '导出 承诺书 HENU-WXY-ZW')).toMatch(/^已生成「.+」（第 1 版），请查收。$/);
    expect(await say(SEC, '导出 承诺书')).toContain('打印一式四份：本级留存一份、公示一份、报送上级两份。');
    expect(h.emu.inChat(P2P('ou_demo_member')).filter((m) => m.msgType === 'file')).toHaveLength(1);
  });

  it('a returned pledge edited since is exported to its supervisors as returned (what was signed), to its secretary as edited', async () => {
    await say(SEC, '承诺');
    await press(SEC, { ...buttonValue(cardOf(lastMsg(SEC)), '预览并提交'), mode: undefined }, FORM);
    expect((await press(LEADER, buttonValue(cardOf(lastMsg(LEADER)), '退回修改'), { opinion: '请补充' })).toast?.type).toBe('success');
    await say(SEC, '承诺');
    expect((await press(SEC, buttonValue(cardOf(lastMsg(SEC)), '保存草稿'), { ...FORM, item_1: '退回后改的，还没提交' })).toast?.type).toBe('success');
    const lastFile = async (openId: string) => {
      const file = h.emu.inChat(P2P(openId)).filter((m) => m.msgType === 'file').at(-1)!;
      return h.emu.files.get((JSON.parse(file.content) as { file_key: string }).file_key)!.data;
    };
    const docxText = async (openId: string) => (await (await JSZip.loadAsync(await lastFile(openId))).file('word/document.xml')!.async('string')).replace(/<[^>]+>/g, '');
    await say(LEADER, '导出 承诺书 HENU-WXY-ZW');
    expect(await docxText(LEADER)).toContain('每月组织一次主题党日');
    expect(await docxText(LEADER)).not.toContain('退回后改的');
    await say(LEADER, '导出 台账');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await lastFile(LEADER)) as unknown as ArrayBuffer);
    const cells = JSON.stringify(wb.worksheets[0]!.getSheetValues());
    expect(cells).toContain('每月组织一次主题党日');
    expect(cells).not.toContain('退回后改的');
    // 审定人 is not who returned it: a returned row has none.
    expect(cells).not.toContain('李红梅');
    await say(SEC, '导出 承诺书');
    expect(await docxText(SEC)).toContain('退回后改的，还没提交');
  });

  it('导出 台账 and the export CLI give the ledger as Excel, within the asker\'s scope', async () => {
    await fileAndApprove();
    expect(await say('ou_demo_leader2', '导出 台账 HENU-WXY')).toContain('没有查看');
    expect(await say(LEADER, '导出 台账')).toContain('1 项承诺');
    const file = h.emu.inChat(P2P(LEADER)).find((m) => m.msgType === 'file')!;
    const data = h.emu.files.get((JSON.parse(file.content) as { file_key: string }).file_key)!.data;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(data) as unknown as ArrayBuffer);
    const rows = wb.worksheets[0]!.getSheetValues().filter(Boolean).map((r) => (r as unknown[]).slice(1).map(String));
    expect(rows[0]).toContain('承诺事项');
    expect(rows[1]).toEqual(expect.arrayContaining(['HENU-WXY-ZW', '每月组织一次主题党日', '已审定', '否']));

    // A secretary or member reads their own pledge, not the ledger of everything below.
    expect(await say(SEC, '导出 台账 HENU-WXY-ZW')).toContain('没有查看');
    expect(await say('ou_demo_member', '导出 台账')).toContain('领导和管理员');

    // Asked in a group, the file goes to the asker privately, never to the group.
    const groupFiles = () => h.emu.inChat(GROUP).filter((m) => m.msgType === 'file').length;
    const privateFiles = () => h.emu.inChat(P2P(LEADER)).filter((m) => m.msgType === 'file').length;
    const before = privateFiles();
    const mentions = [{ openId: h.emu.botOpenId, name: '践诺助手' }];
    await h.say({ openId: LEADER, chatId: GROUP, chatType: 'group', text: '@_user_1 导出 台账 HENU-WXY', mentions });
    await h.settle();
    expect(textOf(h.emu.inChat(GROUP).at(-1)!.content)).toBe('已私信回复你。');
    expect(groupFiles()).toBe(0);
    expect(privateFiles()).toBe(before + 1);

    await h.settle();
    const out = `${h.dbPath}.xlsx`;
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/admin.ts', 'export', '--out', out, '--org', 'HENU', '--year', '2027'], { env: { ...process.env, DATABASE_URL: h.dbPath, LARK_APP_ID: '' } });
    expect(stdout).toContain('1 项承诺');
    const cli = new ExcelJS.Workbook();
    await cli.xlsx.readFile(out);
    expect(cli.worksheets[0]!.rowCount).toBe(2);
  });
});
