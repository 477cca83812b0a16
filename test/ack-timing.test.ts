import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toast } from '../cards/card-kit.js';
import { deliveryByKey } from '../db/repos/inbound.js';
import { defineAction } from '../handlers/on-card-action.js';
import { cardActionEvent, messageEvent } from '../src/sandbox/feishu-events.js';
import type { OpenApiEmulator } from '../src/sandbox/open-api-emulator.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';

/**
 * Feishu retries an event not answered within 3 s: the door acknowledges a message at once and
 * handles it afterwards, and answers a card press within 3 s whatever the press costs. Here every
 * Open API answer waits `latencyMs` (the emulator's latency), so slow handling shows.
 */

/** The response of one sealed event, how long it took, and when it was in hand. */
async function timed(send: () => Promise<Response>) {
  const t0 = Date.now();
  const res = await send();
  const body: unknown = await res.json();
  return { status: res.status, body, ms: Date.now() - t0, at: Date.now() };
}

/** Calls the handling makes to the Open API (every one but the token, which comes first). */
const apiCalls = (emu: OpenApiEmulator) => emu.requests.filter((r) => !r.path.startsWith('/open-apis/auth/'));

describe('acknowledged in time', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a group message is acknowledged at once, before its handling has asked the Open API anything', async () => {
    const LATENCY = 1_500;
    h = await startHarness({ latencyMs: LATENCY });
    const harness = h;
    // A person's message in a group, @-mentioning the bot: to know it was mentioned, the handling
    // needs the bot's own open_id (GET /bot/v3/info, after a token: two slow calls).
    const messageId = 'om_ack_group_1';
    const chatId = 'oc_ack_group';
    const event = messageEvent({ openId: 'ou_ack_member', chatId, chatType: 'group', text: '@_user_1 帮助', messageId, mentions: [{ openId: h.emu.botOpenId, name: '践诺助手' }] });

    const res = await timed(() => harness.post('im.message.receive_v1', event, { eventId: 'ev_ack_group_1' }));
    // What is true the moment the 200 is in hand:
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0 });
    expect((await deliveryByKey(h.deps.db, 'ev_ack_group_1'))?.status).toBe('pending'); // stored, not yet handled
    expect(apiCalls(h.emu)).toEqual([]); // the handling has not asked for the bot's open_id yet
    expect(h.answered).toEqual([]); // nor had any answer from the Open API
    expect(res.ms).toBeLessThan(LATENCY);

    // …and the handling does happen afterwards, through the slow emulator.
    await h.settle();
    expect((await deliveryByKey(h.deps.db, 'ev_ack_group_1'))?.status).toBe('done');
    const info = h.emu.requests.find((r) => r.path === '/open-apis/bot/v3/info');
    expect(info!.at).toBeGreaterThanOrEqual(res.at);
    await h.drain();
    const replies = h.emu.inChat(chatId);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.replyTo).toBe(messageId);
    expect(textOf(replies[0]!.content)).toContain('我的 / me');
  });

  it('a card press that takes longer than 3 s is answered "已收到，正在处理…" within 3 s (default settings), its real answer kept for a repeat', async () => {
    const LATENCY = 2_000;
    let handled = 0;
    // An action that asks the Open API (the bot's open_id): a token, then /bot/v3/info, each
    // 2 s behind the emulator's latency — about 4 s in all.
    const slowLookup = defineAction({
      value: z.object({}),
      async handle(deps) {
        const id = await deps.lark.botOpenId();
        handled++;
        return toast('success', `机器人 ${id}`);
      },
    });
    h = await startHarness({ latencyMs: LATENCY, actions: { 'test.slow_lookup': slowLookup } });
    const harness = h;
    const event = cardActionEvent({ openId: 'ou_ack_presser', value: { action: 'test.slow_lookup' }, messageId: 'om_ack_card', chatId: 'oc_p2p_ack_presser' });
    const press = () => timed(() => harness.post('card.action.trigger', event, { eventId: 'ev_ack_card_1', path: '/lark/card' }));

    const first = await press();
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(3_000);
    expect(first.body).toEqual(toast('info', '已收到，正在处理…'));
    expect(handled).toBe(0);
    expect(await deliveryByKey(h.deps.db, 'ev_ack_card_1')).toMatchObject({ status: 'pending', response: null });

    // It goes on after the answer, and really takes longer than Feishu's 3 s.
    await h.settle();
    expect(handled).toBe(1);
    const info = h.answered.find((a) => a.path === '/open-apis/bot/v3/info');
    expect(info!.at - (first.at - first.ms)).toBeGreaterThan(3_000);
    const real = toast('success', `机器人 ${h.emu.botOpenId}`);
    const row = await deliveryByKey(h.deps.db, 'ev_ack_card_1');
    expect(row?.status).toBe('done');
    expect(JSON.parse(row!.response!)).toEqual(real);

    // Feishu repeats the press (same event_id): the stored answer, at once, not handled again.
    const again = await press();
    expect(again.status).toBe(200);
    expect(again.body).toEqual(real);
    expect(again.ms).toBeLessThan(LATENCY);
    await h.settle();
    expect(handled).toBe(1);
  });
});
