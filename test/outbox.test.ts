import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failedOutbox } from '../db/repos/outbox.js';
import { messageSends, startHarness, textOf, type Harness } from './helpers/harness.js';

describe('the outbox: throttling and retry', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const sends = () => messageSends(h);
  const row = (key: string) => h.deps.db.selectFrom('outbox').selectAll().where('uuid', '=', key).executeTakeFirstOrThrow();

  it('a 429 (99991400) is retried after x-ogw-ratelimit-reset and delivered once, with the same uuid', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 429, body: { code: 99991400, msg: 'rate limited' }, headers: { 'x-ogw-ratelimit-reset': '1' } });
    await h.say({ openId: 'ou_a', chatId: 'oc_p2p_a', chatType: 'p2p', text: '帮助' });
    await h.settle();
    expect(sends()).toHaveLength(1);
    expect(h.emu.inChat('oc_p2p_a')).toHaveLength(0);
    const [r] = await h.deps.db.selectFrom('outbox').selectAll().execute();
    expect(r).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r!.last_error).toContain('429');
    expect(Date.parse(r!.next_attempt_at) - h.clock.now().getTime()).toBeGreaterThan(800);

    expect((await h.drain()).sent).toBe(0); // not before the reset
    expect(sends()).toHaveLength(1);

    h.clock.advance(1100);
    expect((await h.drain()).sent).toBe(1);
    expect(sends()).toHaveLength(2);
    const [a, b] = sends().map((s) => (s.body as { uuid: string }).uuid);
    expect(a).toBeTruthy();
    expect(b).toBe(a);
    expect(h.emu.inChat('oc_p2p_a')).toHaveLength(1);
    expect((await h.drain()).sent).toBe(0);
    expect(h.emu.inChat('oc_p2p_a')).toHaveLength(1);
  });

  it('HTTP 400 with code 230020 (per-chat limit) is retried and delivered', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 400, body: { code: 230020, msg: 'chat rate limited' } });
    await h.deps.outbox.enqueue({ key: 'k230020', to: { chatId: 'oc_g' }, text: 'hello' });
    expect(await h.drain()).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    expect(await row('k230020')).toMatchObject({ status: 'pending', attempts: 1 });
    h.clock.advance(3000);
    expect(await h.drain()).toMatchObject({ sent: 1, failed: 0 });
    expect(await row('k230020')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(h.emu.inChat('oc_g').map((m) => textOf(m.content))).toEqual(['hello']);
  });

  it('HTTP 200 with a non-zero code is a permanent failure: recorded, listed, never resent', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 200, body: { code: 230001, msg: 'invalid receive_id' } });
    await h.deps.outbox.enqueue({ key: 'kbad', to: { chatId: 'oc_gone' }, text: 'hello' });
    expect(await h.drain()).toMatchObject({ sent: 0, retried: 0, failed: 1 });
    const failed = await failedOutbox(h.deps.db);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ receive_id: 'oc_gone', attempts: 1 });
    expect(failed[0]!.last_error).toContain('230001');
    h.clock.advance(3600_000);
    expect((await h.drain()).sent).toBe(0);
    expect(sends()).toHaveLength(1);
    expect(h.emu.messages).toHaveLength(0);
  });

  it('5xx is retried with a growing backoff, then delivered', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 502, body: { code: 1, msg: 'bad gateway' }, times: 2 });
    await h.deps.outbox.enqueue({ key: 'k5xx', to: { chatId: 'oc_g' }, text: 'hello' });
    const t0 = h.clock.now().getTime();
    expect(await h.drain()).toMatchObject({ retried: 1 });
    const wait1 = Date.parse((await row('k5xx')).next_attempt_at) - t0;
    expect(wait1).toBeGreaterThanOrEqual(1000);
    expect((await h.drain()).retried).toBe(0); // not due yet
    expect(sends()).toHaveLength(1);

    h.clock.advance(wait1 + 10);
    const t1 = h.clock.now().getTime();
    expect(await h.drain()).toMatchObject({ retried: 1 });
    const wait2 = Date.parse((await row('k5xx')).next_attempt_at) - t1;
    expect(wait2).toBeGreaterThan(wait1);

    h.clock.advance(wait2 + 10);
    expect(await h.drain()).toMatchObject({ sent: 1 });
    expect(await row('k5xx')).toMatchObject({ status: 'sent', attempts: 3 });
    expect(h.emu.inChat('oc_g')).toHaveLength(1);
  });

  it('a network error (connection dropped) is retried with backoff, then delivered', async () => {
    await h.deps.outbox.enqueue({ key: 'knet', to: { chatId: 'oc_g' }, text: 'hello' });
    h.dropConnections('/im/v1/messages', 1);
    expect(await h.drain()).toMatchObject({ sent: 0, retried: 1 });
    const r = await row('knet');
    expect(r.status).toBe('pending');
    expect(r.last_error).toContain('network');
    expect(Date.parse(r.next_attempt_at)).toBeGreaterThan(h.clock.now().getTime() + 1000);
    h.clock.advance(3000);
    expect(await h.drain()).toMatchObject({ sent: 1 });
    expect(h.emu.inChat('oc_g')).toHaveLength(1);
  });

  it('never sends more than 5 messages to one chat within any second, and keeps their order', async () => {
    await h.deps.lark.botOpenId(); // the access token fetched beforehand: arrivals then trail sends evenly
    for (let i = 0; i < 12; i++) await h.deps.outbox.enqueue({ key: `burst${i}`, to: { chatId: 'oc_busy' }, text: `n=${i}` });
    const res = await h.drain({ maxMs: 10_000 });
    expect(res).toMatchObject({ sent: 12, deferred: 0 });
    const at = sends().map((s) => s.at);
    expect(at).toHaveLength(12);
    for (let i = 0; i + 5 < at.length; i++) expect(at[i + 5]! - at[i]!).toBeGreaterThanOrEqual(1000);
    expect(h.emu.inChat('oc_busy').map((m) => textOf(m.content))).toEqual(Array.from({ length: 12 }, (_, i) => `n=${i}`));
  });

  it('never sends more than 50 requests per app within any second', async () => {
    await h.deps.lark.botOpenId(); // the access token fetched beforehand: arrivals then trail sends evenly
    for (let i = 0; i < 60; i++) await h.deps.outbox.enqueue({ key: `wide${i}`, to: { chatId: `oc_wide_${i}` }, text: 'hi' });
    expect(await h.drain({ maxMs: 10_000 })).toMatchObject({ sent: 60, deferred: 0 });
    const at = sends().map((s) => s.at);
    expect(at).toHaveLength(60);
    for (let i = 0; i + 50 < at.length; i++) expect(at[i + 50]! - at[i]!).toBeGreaterThanOrEqual(1000);
  });

  it('keeps a chat in order when one of its messages is throttled and retried', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 400, body: { code: 230020, msg: 'chat rate limited' } });
    for (let i = 0; i < 3; i++) await h.deps.outbox.enqueue({ key: `ord${i}`, to: { chatId: 'oc_ord' }, text: `n=${i}` });
    await h.deps.outbox.enqueue({ key: 'other', to: { chatId: 'oc_other' }, text: 'other chat' });
    await h.drain();
    expect(h.emu.inChat('oc_ord')).toHaveLength(0); // the first was throttled; the others wait behind it
    expect(h.emu.inChat('oc_other')).toHaveLength(1); // other chats are not held up
    h.clock.advance(3000);
    await h.drain();
    expect(h.emu.inChat('oc_ord').map((m) => textOf(m.content))).toEqual(['n=0', 'n=1', 'n=2']);
  });
});
