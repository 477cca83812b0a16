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
});
