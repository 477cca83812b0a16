import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDelivery } from '../db/repos/inbound.js';
import { messageEvent } from '../src/sandbox/feishu-events.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';

describe('a delivery repeated is processed once', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const helpIn = (chatId: string, messageId: string) => messageEvent({ openId: 'ou_dup', chatId, chatType: 'p2p', text: '帮助', messageId });

  it('the same message event posted 20 times in parallel gets exactly one reply', async () => {
    const req = h.seal('im.message.receive_v1', helpIn('oc_p2p_dup', 'om_par'), { eventId: 'ev_par' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.send(req)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    await h.settle();
    await h.drain();
    expect(h.emu.inChat('oc_p2p_dup')).toHaveLength(1);
    expect(h.emu.requests.filter((r) => r.path === '/open-apis/im/v1/messages')).toHaveLength(1);
    expect(await h.deps.db.selectFrom('outbox').selectAll().execute()).toHaveLength(1);
  });

  it('the same event hours later, signed anew, gets no second reply', async () => {
    expect((await h.say({ openId: 'ou_dup', chatId: 'oc_p2p_dup', chatType: 'p2p', text: '帮助', messageId: 'om_late' }, { eventId: 'ev_late' })).status).toBe(200);
    await h.settle();
    expect(h.emu.inChat('oc_p2p_dup')).toHaveLength(1);

    const handled = await h.deps.db.selectFrom('inbound_events').select(['status', 'attempts', 'processed_at']).where('key', '=', 'ev_late').executeTakeFirstOrThrow();
    expect(handled).toMatchObject({ status: 'done', attempts: 1 });

    h.clock.advance(6 * 3600_000); // Feishu's last retry comes about 6 h later
    const again = h.seal('im.message.receive_v1', helpIn('oc_p2p_dup', 'om_late'), { eventId: 'ev_late' });
    expect((await h.send(again)).status).toBe(200);
    await h.settle();
    await h.drain();
    // Past Feishu's one-hour uuid window too: nothing was sent again, nothing handled again.
    expect(h.emu.inChat('oc_p2p_dup')).toHaveLength(1);
    expect(h.emu.requests.filter((r) => r.path === '/open-apis/im/v1/messages')).toHaveLength(1);
    expect(await h.deps.db.selectFrom('inbound_events').select(['status', 'attempts', 'processed_at']).where('key', '=', 'ev_late').executeTakeFirstOrThrow()).toEqual(handled);
  });

  it('the same message under a new event_id gets no second reply', async () => {
    await h.say({ openId: 'ou_dup', chatId: 'oc_p2p_dup', chatType: 'p2p', text: '帮助', messageId: 'om_twice' }, { eventId: 'ev_a' });
    await h.settle();
    await h.say({ openId: 'ou_dup', chatId: 'oc_p2p_dup', chatType: 'p2p', text: '帮助', messageId: 'om_twice' }, { eventId: 'ev_b' });
    await h.settle();
    await h.drain();
    expect(h.emu.inChat('oc_p2p_dup')).toHaveLength(1);
    const second = await h.deps.db.selectFrom('inbound_events').select('status').where('key', '=', 'ev_b').executeTakeFirstOrThrow();
    expect(second.status).toBe('duplicate');
  });

  it('a message seen under another event_id is stored as a duplicate by the claim\'s one statement', async () => {
    // One write, so no crash can fall between storing the row and marking it a duplicate.
    let statements = 0;
    const counted = h.deps.db.withPlugin({
      transformQuery: (a) => a.node,
      transformResult: (a) => {
        statements++;
        return Promise.resolve(a.result);
      },
    });
    const at = h.clock.now();
    expect(await claimDelivery(counted, ['ev_one', 'msg:om_claim'], 'im.message.receive_v1', '{}', at, 'oc_c')).toBe(true);
    expect(await claimDelivery(counted, ['ev_other', 'msg:om_claim'], 'im.message.receive_v1', '{}', at, 'oc_c')).toBe(false);
    expect(await claimDelivery(counted, ['ev_other', 'msg:om_claim'], 'im.message.receive_v1', '{}', at, 'oc_c')).toBe(false);
    expect(statements).toBe(3);
    const rows = await h.deps.db.selectFrom('inbound_events').select(['key', 'status']).where('key', 'in', ['ev_one', 'ev_other', 'msg:om_claim']).orderBy('key').execute();
    expect(rows).toEqual([
      { key: 'ev_one', status: 'pending' },
      { key: 'ev_other', status: 'duplicate' },
      { key: 'msg:om_claim', status: 'duplicate' },
    ]);
  });

  it('the same message under new event_ids in parallel gets exactly one reply', async () => {
    const posts = Array.from({ length: 10 }, (_, i) =>
      h.send(h.seal('im.message.receive_v1', helpIn('oc_p2p_dup', 'om_par2'), { eventId: `ev_par2_${i}` })),
    );
    expect((await Promise.all(posts)).every((r) => r.status === 200)).toBe(true);
    await h.settle();
    await h.drain();
    expect(h.emu.inChat('oc_p2p_dup')).toHaveLength(1);
  });

  it('a card action posted twice answers the same stored response and acts once', async () => {
    const action = { openId: 'ou_card', value: { action: 'me.show' }, messageId: 'om_card', chatId: 'oc_p2p_card' };
    const first = await h.press(action, { eventId: 'ev_card' });
    const second = await h.press(action, { eventId: 'ev_card' });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body).toMatchObject({ toast: { type: 'success' } });
    expect(second.body).toEqual(first.body);
    await h.settle();
    await h.drain();
    const sent = h.emu.messages.filter((m) => m.receiveId === 'ou_card');
    expect(sent).toHaveLength(1);
    expect(textOf(sent[0]!.content)).toContain('我的身份');
    expect(await h.deps.db.selectFrom('outbox').selectAll().execute()).toHaveLength(1);
  });

  it('a card action posted 10 times in parallel acts once', async () => {
    const req = h.seal('card.action.trigger', { operator: { open_id: 'ou_card2' }, action: { value: { action: 'me.show' } }, context: {} }, { eventId: 'ev_card_par' });
    const res = await Promise.all(Array.from({ length: 10 }, () => h.send(req, '/lark/card')));
    expect(res.every((r) => r.status === 200)).toBe(true);
    await h.settle();
    await h.drain();
    expect(h.emu.messages.filter((m) => m.receiveId === 'ou_card2')).toHaveLength(1);
  });
});
