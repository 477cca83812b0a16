import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { orgOfChat } from '../db/repos/directory.js';
import { parseCsv, tableToRecords } from '../src/domain/csv.js';
import { botAddedEvent, messageEvent } from '../src/sandbox/feishu-events.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { messageSends, startHarness, textOf, type Harness } from './helpers/harness.js';

const table = (csv: string) => tableToRecords(parseCsv(csv));
const ORGS = `code,name,parent_code,kind
U,大学党委,,党委
U-A,文学院党委,U,党委
U-A-1,中文系党支部,U-A,党支部
V,另一大学党委,,党委
`;
const PEOPLE = `open_id,name,org_code,role
ou_uadmin,王建国,U,admin
ou_alead,李红梅,U-A,leader
ou_sec,张明,U-A-1,secretary
ou_member,孙一,U-A-1,member
ou_vadmin,赵六,V,admin
`;

describe('chat commands', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const r = await importDirectory(h.deps, { orgs: table(ORGS), people: table(PEOPLE), actor: 'test' });
    expect(r.ok).toBe(true);
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.reset();
  });

  /** Says something and returns the texts of what the bot sent to that chat. */
  async function ask(openId: string, chatId: string, text: string, mentionBot = chatId.startsWith('oc_g')): Promise<string[]> {
    const chatType = chatId.startsWith('oc_g') ? 'group' : 'p2p';
    const mentions = mentionBot ? [{ openId: h.emu.botOpenId, name: '践诺助手' }] : [];
    const res = await h.say({ openId, chatId, chatType, text: mentionBot ? `@_user_1 ${text}` : text, mentions });
    expect(res.status).toBe(200);
    await h.settle();
    return h.emu.inChat(chatId).map((m) => textOf(m.content));
  }
  const auditCount = async () => (await h.counts()).audit;

  it.each(['帮助', 'help', '/help', 'HELP', '／帮助'])('answers %s in a private chat with the help card', async (word) => {
    const got = await ask('ou_stranger', 'oc_p2p_stranger', word);
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('帮助');
    expect(got[0]).toContain('我的 / me');
    expect(got[0]).toContain('不在组织名录'); // a stranger is told how to get in
    expect(got[0]).not.toContain('绑定 / bind'); // and sees no leader-only commands
  });

  it('tells a member where their part is (opinions on the publication), not how to leave a dialog they cannot start', async () => {
    const [card] = await ask('ou_member', 'oc_p2p_member', '帮助');
    expect(card).toContain('意见和建议');
    expect(card).toContain('公示卡片');
    expect(card).not.toContain('取消 / cancel');
  });

  it('shows a leader the commands their roles allow', async () => {
    const [card] = await ask('ou_alead', 'oc_p2p_alead', '帮助');
    expect(card).toContain('绑定 / bind');
    expect(card).not.toContain('不在组织名录');
  });

  it("answers in a private chat go by open_id, as direct messages do: one 5/s and one order for the person", async () => {
    await h.deps.lark.botOpenId(); // the token fetched first: the sends below are all messages
    for (let i = 0; i < 4; i++) {
      await ask('ou_sec', 'oc_p2p_sec', '我的');
      expect((await h.press({ openId: 'ou_sec', value: { action: 'me.show' }, chatId: 'oc_p2p_sec' })).status).toBe(200);
      await h.settle();
    }
    const sends = messageSends(h);
    expect(sends.map((r) => [r.query.receive_id_type, (r.body as { receive_id?: string }).receive_id])).toEqual(Array(8).fill(['open_id', 'ou_sec']));
    // Feishu allows 5 a second to one user: answers and direct messages together.
    const at = sends.map((r) => r.at);
    for (let i = 0; i + 5 < at.length; i++) expect(at[i + 5]! - at[i]!).toBeGreaterThanOrEqual(1000);
    expect(h.emu.inChat('oc_p2p_sec')).toHaveLength(8);
  });

  it('in a group, ignores messages that do not @-mention the bot', async () => {
    const before = await h.counts();
    expect(await ask('ou_member', 'oc_g_quiet', '帮助', false)).toEqual([]);
    const res = await h.say({ openId: 'ou_member', chatId: 'oc_g_quiet', chatType: 'group', text: '@_user_1 帮助', mentions: [{ openId: 'ou_someone', name: '某人' }] });
    expect(res.status).toBe(200);
    await h.settle();
    expect(h.emu.inChat('oc_g_quiet')).toEqual([]);
    expect((await h.counts()).outbox).toBe(before.outbox);
  });

  it('in a group, a hint to send something says to @ the bot (it hears nothing else there)', async () => {
    expect(await ask('ou_member', 'oc_g_hint', '审核')).toEqual(['只有上级党组织的领导和管理员可以审定承诺书。@我 发送「帮助」查看你能用的命令。']);
    expect(await ask('ou_member', 'oc_g_hint2', '取消')).toEqual(['当前没有进行中的填写。@我 发送「帮助」查看可用命令。']);
  });

  it('in a group, a bare @-mention gets the help card; 我的 there says to @ the bot for 帮助', async () => {
    const [card] = await ask('ou_member', 'oc_g_bare_at', '');
    expect(card).toContain('我的 / me');
    const [me] = await ask('ou_member', 'oc_g_me_hint', '我的');
    expect(me).toContain('@我 发送「帮助」查看你能用的命令');
  });

  it('in a group, answers when @-mentioned, as a reply to the message', async () => {
    const got = await ask('ou_member', 'oc_g_talk', '帮助');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('我的 / me');
    expect(h.emu.inChat('oc_g_talk')[0]!.replyTo).toMatch(/^om_/);
  });

  it('reads rich-text (post) messages, @-mention included', async () => {
    const event = messageEvent({ openId: 'ou_member', chatId: 'oc_g_post', chatType: 'group', text: '', messageId: 'om_post', mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });
    event.message.message_type = 'post';
    event.message.content = JSON.stringify({
      title: '',
      content: [[{ tag: 'at', user_id: '@_user_1', user_name: '践诺助手', style: [] }, { tag: 'text', text: ' 帮助', style: [] }]],
    });
    expect((await h.post('im.message.receive_v1', event)).status).toBe(200);
    await h.settle();
    const got = h.emu.inChat('oc_g_post').map((m) => textOf(m.content));
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('我的 / me');
  });

  it('我的 / me shows a person their organizations and roles', async () => {
    const [mine] = await ask('ou_uadmin', 'oc_p2p_uadmin', '我的');
    expect(mine).toContain('王建国');
    expect(mine).toContain('管理员');
    expect(mine).toContain('大学党委');
    const [me] = await ask('ou_sec', 'oc_p2p_sec', 'me');
    expect(me).toContain('书记');
    expect(me).toContain('中文系党支部');
    expect(me).toContain('U-A-1');
    const [none] = await ask('ou_stranger', 'oc_p2p_stranger', '我的');
    expect(none).toContain('不在组织名录');
  });

  describe('绑定 in a group', () => {
    it('is refused for someone who is no admin or leader', async () => {
      const before = await auditCount();
      const [answer] = await ask('ou_member', 'oc_g_b1', '绑定 U-A-1');
      expect(answer).toContain('只有');
      expect(await orgOfChat(h.deps.db, 'oc_g_b1')).toBeUndefined();
      expect(await auditCount()).toBe(before);
    });

    it('is refused for an admin of an unrelated subtree', async () => {
      const before = await auditCount();
      const [answer] = await ask('ou_vadmin', 'oc_g_b2', '绑定 U-A-1');
      expect(answer).toContain('只有');
      expect(await orgOfChat(h.deps.db, 'oc_g_b2')).toBeUndefined();
      expect(await auditCount()).toBe(before);
    });

    it('is refused for a leader binding an organization above their own', async () => {
      const [answer] = await ask('ou_alead', 'oc_g_b3', '绑定 U');
      expect(answer).toContain('只有');
      expect(await orgOfChat(h.deps.db, 'oc_g_b3')).toBeUndefined();
    });

    it('is accepted for a leader of the organization, writing the binding and an audit row', async () => {
      const before = await auditCount();
      const [answer] = await ask('ou_alead', 'oc_g_b4', '绑定 U-A');
      expect(answer).toContain('已绑定');
      expect((await orgOfChat(h.deps.db, 'oc_g_b4'))?.code).toBe('U-A');
      expect(await auditCount()).toBe(before + 1);
      const row = await h.deps.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ actor: 'ou_alead', action: 'chat.bind', entity_id: 'oc_g_b4' });
    });

    it('is accepted for an admin of an ancestor; rebinding asks to confirm first, then says what it replaced', async () => {
      const [first] = await ask('ou_uadmin', 'oc_g_b5', '绑定 U-A-1');
      expect(first).toContain('已绑定');
      expect((await orgOfChat(h.deps.db, 'oc_g_b5'))?.code).toBe('U-A-1');
      h.emu.reset();
      // One message (a slip of a code) must not move the group: asked, nothing changed.
      const before = await auditCount();
      const [asked] = await ask('ou_uadmin', 'oc_g_b5', 'bind U-A');
      expect(asked).toBe('本群已绑定「中文系党支部」。改绑到「文学院党委」后，「中文系党支部」的提醒和公示不再发到本群。确认请发送「@践诺助手 绑定 U-A 确认」。');
      expect((await orgOfChat(h.deps.db, 'oc_g_b5'))?.code).toBe('U-A-1');
      expect(await auditCount()).toBe(before);
      h.emu.reset();
      const [second] = await ask('ou_uadmin', 'oc_g_b5', 'bind U-A 确认');
      expect(second).toContain('文学院党委');
      expect(second).toContain('中文系党支部'); // the binding it replaced
      expect((await orgOfChat(h.deps.db, 'oc_g_b5'))?.code).toBe('U-A');
    });

    it('is refused when it would take the group from an organization the person has no rights on', async () => {
      const [first] = await ask('ou_alead', 'oc_g_b7', '绑定 U-A');
      expect(first).toContain('已绑定');
      h.emu.reset();
      const before = await auditCount();
      const [answer] = await ask('ou_vadmin', 'oc_g_b7', '绑定 V 确认');
      expect(answer).toContain('文学院党委');
      expect((await orgOfChat(h.deps.db, 'oc_g_b7'))?.code).toBe('U-A');
      expect(await auditCount()).toBe(before);
    });

    it('asks which organization when the code is missing (offering theirs), and says when the code is unknown', async () => {
      expect((await ask('ou_uadmin', 'oc_g_b6', '绑定'))[0]).toContain('请写明把本群绑定到哪个组织');
      h.emu.reset();
      expect((await ask('ou_uadmin', 'oc_g_b6', '绑定 NOPE'))[0]).toContain('NOPE');
      expect(await orgOfChat(h.deps.db, 'oc_g_b6')).toBeUndefined();
    });

    it('in a private chat explains that it works in groups', async () => {
      const [answer] = await ask('ou_uadmin', 'oc_p2p_uadmin', '绑定 U');
      expect(answer).toContain('群');
    });
  });

  it('suggests the closest command for a typo', async () => {
    expect((await ask('ou_member', 'oc_p2p_member', '帮组'))[0]).toContain('「帮助」');
  });

  it('answers unknown text with a pointer to 帮助, and no wild guess for a single character', async () => {
    const [answer] = await ask('ou_member', 'oc_p2p_member', '嗯');
    expect(answer).toContain('帮助');
    expect(answer).not.toContain('你是想');
  });

  it('in a group, the fallback says to @-mention the bot; in a private chat it does not', async () => {
    const [group] = await ask('ou_member', 'oc_g_fallback', '今天天气不错');
    expect(group).toBe('我没听懂这句话。@我 发送「帮助」查看可用命令。');
    const [typo] = await ask('ou_member', 'oc_g_fallback2', '帮组');
    expect(typo).toBe('你是想发送「帮助」吗？@我 发送「帮助」查看可用命令。');
    const [p2p] = await ask('ou_member', 'oc_p2p_member', '今天天气不错');
    expect(p2p).toBe('我没听懂这句话。发送「帮助」查看可用命令。');
  });

  it.each([
    ['台账', '「台账」功能还在建设中，暂不能使用。可以先发送「导出 台账」获取台账 Excel。'],
    ['ledger', '「台账」功能还在建设中，暂不能使用。可以先发送「导出 台账」获取台账 Excel。'],
    ['状态', '「状态」功能还在建设中，暂不能使用。可以先发送「导出 台账」，台账 Excel 里有本组织及下级各承诺书的状态。'],
    ['进度', '「进度」功能还在建设中，暂不能使用。发送「帮助」查看现在可用的命令。'],
  ])('answers the unbuilt %s with what works now', async (word, text) => {
    expect(await ask('ou_alead', 'oc_p2p_alead', word)).toEqual([text]);
  });

  it('offers instead only what the asker may use: 导出 台账 to leaders and admins, 承诺 to secretaries', async () => {
    expect((await ask('ou_sec', 'oc_p2p_sec', '台账')).at(-1)).toBe('「台账」功能还在建设中，暂不能使用。可以先发送「承诺」查看本组织承诺书的状态。');
    expect((await ask('ou_member', 'oc_p2p_member', '状态')).at(-1)).toBe('「状态」功能还在建设中，暂不能使用。发送「帮助」查看现在可用的命令。');
  });

  it('in a group, the unbuilt 台账 points at 「导出 台账」 through an @-mention', async () => {
    const [answer] = await ask('ou_alead', 'oc_g_unbuilt', '台账');
    expect(answer).toBe('「台账」功能还在建设中，暂不能使用。可以先@我 发送「导出 台账」获取台账 Excel。');
  });

  it('a mention tag typed into a command is quoted back as text, not obeyed (no @所有人 from the bot)', async () => {
    const texts = await ask('ou_alead', 'oc_p2p_alead', '导出 承诺书 U-A-1 <at user_id="all"></at>');
    expect(texts.at(-1)).toBe('看不懂「＜at user_id="all">＜/at>」：格式是「导出 承诺书 〈组织编码〉〈年份〉」，两项都可省略。');
  });

  it('in a group, 导出 answers privately and tells the group only that (whether a pledge exists, its status, are not the group\'s)', async () => {
    await ask('ou_alead', 'oc_g_export', '绑定 U-A');
    const [, inGroup] = await ask('ou_alead', 'oc_g_export', '导出 承诺书 U-A-1');
    expect(inGroup).toBe('已私信回复你。');
    expect(h.emu.inChat('oc_g_export')).toHaveLength(2);
    expect(h.emu.messages.filter((m) => m.receiveId === 'ou_alead').map((m) => textOf(m.content)).at(-1)).toContain('中文系党支部');
  });

  it('someone who left (imported with role none) is told they no longer hold a role, not that they were never imported', async () => {
    const org = 'code,name,parent_code,kind\nU,大学党委,,党委\n';
    expect((await importDirectory(h.deps, { orgs: table(org), people: table('open_id,name,org_code,role\nou_left,离任者,U,leader\n'), actor: 'test' })).ok).toBe(true);
    expect((await importDirectory(h.deps, { orgs: table(org), people: table('open_id,name,org_code,role\nou_left,离任者,U,none\n'), actor: 'test' })).ok).toBe(true);
    expect((await ask('ou_left', 'oc_p2p_left', '期限 承诺 2027-01-15')).at(-1)).toBe('你在组织名录中已没有角色（可能已离任或调整），如有疑问请联系本单位创先办。');
    await ask('ou_left', 'oc_p2p_left', '我的');
    expect(JSON.stringify(h.emu.inChat('oc_p2p_left').at(-1)!.content)).toContain('已没有角色');
    expect((await ask('ou_never', 'oc_p2p_never', '期限 承诺 2027-01-15')).at(-1)).toBe('你还不在组织名录中，请联系本单位创先办把你导入名录。');
    expect((await ask('ou_never', 'oc_p2p_never', '期限 春节 2027-01-15')).at(-1)).toBe('你还不在组织名录中，请联系本单位创先办把你导入名录。');
  });

  describe('commands typed without a space', () => {
    it('绑定U-A binds the group', async () => {
      const [answer] = await ask('ou_alead', 'oc_g_glued', '绑定U-A');
      expect(answer).toContain('已绑定');
      expect((await orgOfChat(h.deps.db, 'oc_g_glued'))?.code).toBe('U-A');
    });

    it('导出台账 is the ledger export (here empty: said so, and no empty spreadsheet sent)', async () => {
      const before = h.emu.inChat('oc_p2p_alead').length;
      const got = await ask('ou_alead', 'oc_p2p_alead', '导出台账');
      expect(got.slice(before)).toEqual([expect.stringMatching(/^「文学院党委」及下级还没有 \d{4} 年度的承诺书，没有可导出的台账。/)]);
      // Words it does not take are refused, not ignored.
      expect((await ask('ou_alead', 'oc_p2p_alead', '导出 台账 U-A 27')).at(-1)).toBe('看不懂「27」：格式是「导出 台账 〈组织编码〉〈年份〉」，两项都可省略。');
      expect((await ask('ou_alead', 'oc_p2p_alead', '导出 承诺书 U-A 2027 多余')).at(-1)).toBe('看不懂「多余」：格式是「导出 承诺书 〈组织编码〉〈年份〉」，两项都可省略。');
    });

    it('导出承诺书U-A-1 asks for the pledge of that organization, not for the usage', async () => {
      const [answer] = await ask('ou_alead', 'oc_p2p_alead', '导出承诺书U-A-1');
      expect(answer).toContain('中文系党支部'); // U-A-1 has no pledge yet: said so, not the usage of 导出
    });

    it('期限 with the kind glued on is the deadline command', async () => {
      // Next year's first quarter: never past, whenever this runs (the harness keeps real time).
      const [answer] = await ask('ou_vadmin', 'oc_p2p_vadmin', `期限一季度 ${new Date().getFullYear() + 1}-03-25`);
      expect(answer).toMatch(/^已设置：另一大学党委 \d{4} 年度第一季度践诺截止/);
    });

    it('承诺书怎么写 is not taken for the pledge command', async () => {
      const [answer] = await ask('ou_sec', 'oc_p2p_sec', '承诺书怎么写');
      expect(answer).toBe('我没听懂这句话。发送「帮助」查看可用命令。');
    });
  });

  it('says hello and explains binding when added to a group', async () => {
    const res = await h.post('im.chat.member.bot.added_v1', botAddedEvent('oc_g_new', 'ou_uadmin'));
    expect(res.status).toBe(200);
    await h.settle();
    const got = h.emu.inChat('oc_g_new').map((m) => textOf(m.content));
    expect(got).toHaveLength(1);
    // A bare 绑定 lists the organizations one may bind to, with the commands: nobody has to know a code.
    expect(got[0]).toContain('发送「@践诺助手 绑定」，按列出的命令把本群绑定到组织');
  });

  it('removed from a bound group, unbinds it (audited) and says nothing there', async () => {
    await ask('ou_uadmin', 'oc_g_gone', '绑定 U-A-1');
    expect((await orgOfChat(h.deps.db, 'oc_g_gone'))?.code).toBe('U-A-1');
    h.emu.reset();
    const before = await auditCount();
    const res = await h.post('im.chat.member.bot.deleted_v1', botAddedEvent('oc_g_gone', 'ou_owner'));
    expect(res.status).toBe(200);
    await h.settle();
    expect(await orgOfChat(h.deps.db, 'oc_g_gone')).toBeUndefined();
    expect(await auditCount()).toBe(before + 1);
    expect(h.emu.requests).toHaveLength(0);
    // Removed from a group that was never bound: nothing to do.
    await h.post('im.chat.member.bot.deleted_v1', botAddedEvent('oc_g_never', 'ou_owner'));
    await h.settle();
    expect(await auditCount()).toBe(before + 1);
  });

  it('the me.show button sends the me card privately to whoever pressed it', async () => {
    const res = await h.press({ openId: 'ou_sec', value: { action: 'me.show' }, chatId: 'oc_g_cards', messageId: 'om_help_card' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ toast: { type: 'success' } });
    await h.settle();
    expect(h.emu.inChat('oc_g_cards')).toEqual([]);
    const sent = h.emu.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === 'ou_sec');
    expect(sent).toHaveLength(1);
    expect(textOf(sent[0]!.content)).toContain('中文系党支部');
  });
});
