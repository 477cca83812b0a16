import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDelivery, leaseDelivery } from '../db/repos/inbound.js';
import { ROUTES } from '../src/compose.js';
import { tick } from '../src/tick.js';
import { DELIVERY_LEASE_MS, MAX_DELIVERY_ATTEMPTS, processDelivery } from '../src/process-delivery.js';
import { cardActionEvent, envelope, messageEvent } from '../src/sandbox/feishu-events.js';
import { messageSends, startHarness, textOf, type Harness } from './helpers/harness.js';

describe('a restart loses nothing', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const sends = () => messageSends(h);

  it('messages queued while Feishu was failing are delivered once after a restart', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 503, body: { code: 1, msg: 'unavailable' }, times: 1000 });
    for (const who of ['a', 'b', 'c']) await h.say({ openId: `ou_${who}`, chatId: `oc_p2p_${who}`, chatType: 'p2p', text: '帮助' });
    await h.settle();
    expect(h.emu.messages).toHaveLength(0);
    expect(sends().length).toBeGreaterThanOrEqual(3);
    const queued = await h.deps.db.selectFrom('outbox').select(['status', 'attempts']).execute();
    expect(queued).toEqual(Array(3).fill({ status: 'pending', attempts: 1 }));

    await h.restart();
    h.emu.faults.length = 0;
    const before = sends().length;
    h.clock.advance(10_000);
    expect(await h.tick()).toMatchObject({ sent: 3, failed: 0 });
    expect(sends().length - before).toBe(3);
    for (const who of ['a', 'b', 'c']) {
      const got = h.emu.inChat(`oc_p2p_${who}`);
      expect(got).toHaveLength(1);
      expect(textOf(got[0]!.content)).toContain('帮助');
    }
    expect(await h.tick()).toMatchObject({ sent: 0 });
    expect(sends().length - before).toBe(3);
  });

  it('a message the process was sending when it died goes out after its lease, once', async () => {
    await h.deps.outbox.enqueue({ key: 'mid-send', to: { chatId: 'oc_g' }, text: 'hello' });
    // What leaseOutbox leaves behind when the process dies before the answer comes back.
    await h.deps.db
      .updateTable('outbox')
      .set({ status: 'sending', lease_until: new Date(h.clock.now().getTime() + 60_000).toISOString() })
      .execute();
    await h.restart();
    expect(await h.tick()).toMatchObject({ sent: 0 });
    expect(sends()).toHaveLength(0);
    h.clock.advance(61_000);
    expect(await h.tick()).toMatchObject({ sent: 1 });
    expect(h.emu.inChat('oc_g')).toHaveLength(1);
  });

  it('an acknowledged message whose handling never ran is handled by tick after a restart', async () => {
    // The door stored the delivery and answered 200; the process died before handling it.
    const env = envelope(h.creds, 'im.message.receive_v1', messageEvent({ openId: 'ou_lost', chatId: 'oc_p2p_lost', chatType: 'p2p', text: '帮助', messageId: 'om_lost' }), { eventId: 'ev_lost' });
    expect(await claimDelivery(h.deps.db, ['ev_lost', 'msg:om_lost'], 'im.message.receive_v1', JSON.stringify(env), h.clock.now())).toBe(true);
    await h.restart();
    expect(await h.tick()).toMatchObject({ recovered: 0 }); // might still be in hand elsewhere
    h.clock.advance(31_000);
    expect(await h.tick()).toMatchObject({ recovered: 1, sent: 1 });
    expect(h.emu.inChat('oc_p2p_lost')).toHaveLength(1);
    const row = await h.deps.db.selectFrom('inbound_events').select('status').where('key', '=', 'ev_lost').executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    // Feishu's own retry of the same event, after recovery, changes nothing.
    expect((await h.say({ openId: 'ou_lost', chatId: 'oc_p2p_lost', chatType: 'p2p', text: '帮助', messageId: 'om_lost' }, { eventId: 'ev_lost' })).status).toBe(200);
    await h.settle();
    expect(await h.tick()).toMatchObject({ recovered: 0, sent: 0 });
    expect(h.emu.inChat('oc_p2p_lost')).toHaveLength(1);
  });
  it('a card press the process died handling (after answering "processing") is handled after its lease, once', async () => {
    const action = { openId: 'ou_press', value: { action: 'me.show' }, messageId: 'om_card_press', chatId: 'oc_p2p_press' };
    const env = envelope(h.creds, 'card.action.trigger', cardActionEvent(action), { eventId: 'ev_press' });
    // What the card answerer leaves when the process dies mid-press: the press stored, held by it.
    const at = h.clock.now();
    expect(await claimDelivery(h.deps.db, ['ev_press'], 'card.action.trigger', JSON.stringify(env), at, null, new Date(at.getTime() + DELIVERY_LEASE_MS))).toBe(true);
    await h.restart();
    const dms = () => h.emu.messages.filter((m) => m.receiveIdType === 'open_id' && m.receiveId === 'ou_press');
    h.clock.advance(31_000);
    expect(await h.tick()).toMatchObject({ recovered: 0 }); // still held: it may be in hand elsewhere
    expect(dms()).toHaveLength(0);
    h.clock.advance(DELIVERY_LEASE_MS);
    expect(await h.tick()).toMatchObject({ recovered: 1, sent: 1 });
    expect(dms()).toHaveLength(1);
    const row = await h.deps.db.selectFrom('inbound_events').selectAll().where('key', '=', 'ev_press').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'done', lease_until: null });
    // Feishu's retry of the press gets the answer it was handled with, and nothing is done twice.
    const again = await h.press(action, { eventId: 'ev_press' });
    expect(again.body).toMatchObject({ toast: { type: 'success', content: '已私信发送你的组织和角色' } });
    await h.settle();
    expect(await h.tick()).toMatchObject({ recovered: 0, sent: 0 });
    expect(dms()).toHaveLength(1);
  });

  it('a message whose handling failed for a passing reason is tried again by tick', async () => {
    h.emu.faults.push({ path: '/bot/v3/info', status: 500, body: { code: 1, msg: 'down' } });
    const mentions = [{ openId: h.emu.botOpenId, name: '践诺助手' }];
    await h.say({ openId: 'ou_g', chatId: 'oc_g_flaky', chatType: 'group', text: '@_user_1 帮助', mentions }, { eventId: 'ev_flaky' });
    await h.settle();
    expect(h.emu.inChat('oc_g_flaky')).toHaveLength(0);
    const row = await h.deps.db.selectFrom('inbound_events').selectAll().where('key', '=', 'ev_flaky').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    h.clock.advance(31_000);
    expect(await h.tick()).toMatchObject({ recovered: 1, sent: 1 });
    expect(h.emu.inChat('oc_g_flaky')).toHaveLength(1);
  });

  it('a chat\'s next message waits behind one that failed for a passing reason, so answers keep their order', async () => {
    h.emu.faults.push({ path: '/bot/v3/info', status: 500, body: { code: 1, msg: 'down' } });
    const mentions = [{ openId: h.emu.botOpenId, name: '践诺助手' }];
    const chat = { openId: 'ou_g', chatId: 'oc_g_order', chatType: 'group' as const, mentions };
    await h.say({ ...chat, text: '@_user_1 帮助' }, { eventId: 'ev_first' });
    await h.say({ ...chat, text: '@_user_1 我的' }, { eventId: 'ev_second' });
    await h.settle();
    // The first failed and waits for its retry; the second is not handled before it.
    expect(h.emu.inChat('oc_g_order')).toHaveLength(0);
    const status = async (key: string) => (await h.deps.db.selectFrom('inbound_events').select(['status', 'attempts']).where('key', '=', key).executeTakeFirstOrThrow());
    expect(await status('ev_first')).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await status('ev_second')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await h.tick()).toMatchObject({ recovered: 0 }); // recovery does not jump the queue either
    expect(h.emu.inChat('oc_g_order')).toHaveLength(0);

    h.clock.advance(31_000);
    await h.tick();
    await h.settle();
    await h.drain();
    const messageIdOf = async (key: string) => {
      const row = await h.deps.db.selectFrom('inbound_events').select('payload').where('key', '=', key).executeTakeFirstOrThrow();
      return (JSON.parse(row.payload) as { event: { message: { message_id: string } } }).event.message.message_id;
    };
    // Sent in the order asked: the first message's answer, then the second's.
    expect(h.emu.inChat('oc_g_order').map((m) => m.replyTo)).toEqual([await messageIdOf('ev_first'), await messageIdOf('ev_second')]);
    expect(await status('ev_second')).toMatchObject({ status: 'done' });
  });

  it('a delivery whose tries never finish (the process dies in each) is given up, not tried forever', async () => {
    await h.say({ openId: 'ou_poison', chatId: 'oc_p2p_poison', chatType: 'p2p', text: '帮助' }, { eventId: 'ev_poison' });
    await h.settle();
    // Each try leases it and dies before recording anything: the lease runs out, the next begins.
    await h.deps.db.updateTable('inbound_events').set({ status: 'pending', attempts: 0, lease_until: null }).where('key', '=', 'ev_poison').execute();
    for (let i = 0; i < MAX_DELIVERY_ATTEMPTS; i++) {
      expect(await leaseDelivery(h.deps.db, 'ev_poison', h.clock.now(), DELIVERY_LEASE_MS)).toBeDefined();
      h.clock.advance(DELIVERY_LEASE_MS + 1000);
    }
    expect(await processDelivery(h.deps, ROUTES, 'ev_poison')).toBe('failed');
    const row = await h.deps.db.selectFrom('inbound_events').selectAll().where('key', '=', 'ev_poison').executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.error).toContain('never finished');
  });

  it('a recovery that fails does not keep the pass from sending what is due', async () => {
    await h.deps.outbox.enqueue({ key: 'k_due', to: { chatId: 'oc_due' }, text: '到期' });
    await h.say({ openId: 'ou_r', chatId: 'oc_p2p_r', chatType: 'p2p', text: '帮助' }, { eventId: 'ev_stuck' });
    await h.settle();
    await h.deps.db.updateTable('inbound_events').set({ status: 'pending', lease_until: null }).where('key', '=', 'ev_stuck').execute();
    h.clock.advance(31_000);
    // Recovery's database refuses every query (as D1 does once an invocation has used its queries).
    const refusing = h.deps.db.withPlugin({
      transformQuery: (a) => a.node,
      transformResult: () => Promise.reject(new Error('Too many API requests by single worker invocation')),
    });
    const report = await tick({ ...h.deps, db: refusing });
    expect(report.recovered).toBe(0);
    expect(h.emu.inChat('oc_due').map((m) => textOf(m.content))).toEqual(['到期']);
  });

  it('a message whose handling keeps failing is recorded failed after a few tries', async () => {
    h.emu.faults.push({ path: '/bot/v3/info', status: 500, body: { code: 1, msg: 'down' }, times: 100 });
    const mentions = [{ openId: h.emu.botOpenId, name: '践诺助手' }];
    await h.say({ openId: 'ou_g', chatId: 'oc_g_broken', chatType: 'group', text: '@_user_1 帮助', mentions }, { eventId: 'ev_broken' });
    await h.settle();
    for (let i = 0; i < 6; i++) {
      h.clock.advance(31_000);
      await h.tick();
    }
    const row = await h.deps.db.selectFrom('inbound_events').selectAll().where('key', '=', 'ev_broken').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', attempts: 5 });
    expect(row.error).toContain('500');
  });
});
