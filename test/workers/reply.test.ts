import { describe, expect, it } from 'vitest';
import { invoke, openApiRequests, press, say, sentTo, textOf, unique } from './helpers.js';

describe('the bot on Workers answers through the real node-sdk client', () => {
  it('replies to 帮助 with the help card, sent to the Open API after the response', async () => {
    const openId = unique('ou');
    const chatId = `oc_p2p_${openId.replace(/^ou_/, '')}`; // the person's one private chat with the bot
    const res = await invoke(say({ openId, chatId, chatType: 'p2p', text: '帮助' }));
    expect(res.status).toBe(200);

    const sent = await sentTo(chatId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.msgType).toBe('interactive');
    expect(textOf(sent[0]!.content)).toContain('我的');
    // The SDK fetched a tenant token from the same fake Open API before sending.
    const paths = (await openApiRequests()).map((r) => r.path);
    expect(paths).toContain('/open-apis/auth/v3/tenant_access_token/internal');
  });

  it('answers the help card\'s 我的身份 button with a toast and sends the identity card privately', async () => {
    const openId = unique('ou');
    const res = await invoke(press({ openId, value: { action: 'me.show' }, chatId: unique('oc'), messageId: unique('om') }, { path: '/lark/card' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ toast: { type: 'success', content: '已私信发送你的组织和角色' } });

    const mine = (await sentTo(`oc_p2p_${openId.replace(/^ou_/, '')}`)).filter((m) => m.receiveId === openId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.msgType).toBe('interactive');
  });

  it('eight people in one group at once are each answered: an invocation takes up the messages that waited behind its own', async () => {
    const chatId = unique('oc');
    const tag = unique('om');
    const mention = [{ openId: 'ou_sandbox_bot', name: '践诺助手' }];
    const said = Array.from({ length: 8 }, (_, i) => say({ openId: unique('ou'), chatId, chatType: 'group', text: '@_user_1 帮助', messageId: `${tag}_${i}`, mentions: mention }));
    const answers = await Promise.all(said.map((r) => invoke(r)));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    // Every invocation has ended (invoke waits for its waitUntil): no reply was left to the minute's recovery.
    const replies = (await openApiRequests()).filter((r) => r.path.includes(tag) && r.path.endsWith('/reply'));
    expect(replies.map((r) => r.path).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `/open-apis/im/v1/messages/${tag}_${i}/reply`).sort());
  });

  it('one person pressing buttons in quick succession gets each private message, no more than 5 within any second', async () => {
    const openId = unique('ou');
    const pressSome = async (n: number) => {
      const presses = Array.from({ length: n }, () => press({ openId, value: { action: 'me.show' }, chatId: unique('oc'), messageId: unique('om') }, { path: '/lark/card' }));
      const answers = await Promise.all(presses.map((r) => invoke(r)));
      expect(answers.map((r) => r.status)).toEqual(Array(n).fill(200));
    };
    // Five at once, then three more invocations as soon as those ended: with limits of their own
    // they would send at once, three more within the second the first five went in.
    await pressSome(5);
    await pressSome(3);
    const dms = (await openApiRequests()).filter((r) => r.path === '/open-apis/im/v1/messages' && JSON.stringify(r.body).includes(openId));
    expect(dms).toHaveLength(8);
    const at = dms.map((r) => r.at).sort((a, b) => a - b);
    for (let i = 0; i + 5 < at.length; i++) expect(at[i + 5]! - at[i]!, `messages ${i} and ${i + 5}`).toBeGreaterThanOrEqual(1000);
  });
});
