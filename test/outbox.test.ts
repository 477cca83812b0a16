import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failedOutbox } from '../db/repos/outbox.js';
import { backoffMs, MAX_ATTEMPTS } from '../src/domain/backoff.js';
import { feishuLimits, RateLimiter } from '../src/domain/rate-limiter.js';
import { createOutbox, type Outbox } from '../src/lark/outbox.js';
import { silentLogger } from '../src/logger.js';
import { messageSends, startHarness, textOf, type Harness } from './helpers/harness.js';

/**
 * The outbox over the harness's database and Open API client (the real SDK, the emulator), but
 * with its rate limits and sleeps on the harness clock: many resets pass without real waiting.
 */
function onHarnessClock(h: Harness): Outbox {
  return createOutbox({
    db: h.deps.db,
    lark: h.deps.lark,
    limiter: new RateLimiter(feishuLimits),
    now: h.clock.now,
    monotonicMs: () => h.clock.now().getTime(),
    sleep: async (ms) => h.clock.advance(ms),
    random: () => 0.5,
    logger: silentLogger,
  });
}

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
    expect(r).toMatchObject({ status: 'pending', attempts: 0 }); // a throttled try is not a failed one
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
    expect(await row('k230020')).toMatchObject({ status: 'pending', attempts: 0 });
    h.clock.advance(3000);
    expect(await h.drain()).toMatchObject({ sent: 1, failed: 0 });
    expect(await row('k230020')).toMatchObject({ status: 'sent', attempts: 1 });
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

  it('never sends more than 5 messages to one user within any second, by open_id', async () => {
    await h.deps.lark.botOpenId();
    for (let i = 0; i < 12; i++) await h.deps.outbox.enqueue({ key: `dm${i}`, to: { openId: 'ou_busy' }, text: `n=${i}` });
    expect(await h.drain({ maxMs: 10_000 })).toMatchObject({ sent: 12, deferred: 0 });
    const at = sends().map((s) => s.at);
    expect(at).toHaveLength(12);
    for (let i = 0; i + 5 < at.length; i++) expect(at[i + 5]! - at[i]!).toBeGreaterThanOrEqual(1000);
  });

  it('a logical key longer than Feishu\'s 50-character uuid still sends, once', async () => {
    const key = `publish:${'x'.repeat(80)}`;
    await h.deps.outbox.enqueue({ key, to: { chatId: 'oc_long' }, text: 'long key' });
    await h.deps.outbox.enqueue({ key, to: { chatId: 'oc_long' }, text: 'long key' });
    expect(await h.drain()).toMatchObject({ sent: 1, failed: 0 });
    const [sent] = sends();
    expect((sent!.body as { uuid: string }).uuid.length).toBeLessThanOrEqual(50);
    expect(h.emu.inChat('oc_long')).toHaveLength(1);
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

  // Throttled answers are waited out, never failures.
  const appLimited = (times: number, reset: string, status = 429) =>
    h.emu.faults.push({ path: '/im/v1/messages', status, body: { code: 99991400, msg: 'rate limited' }, headers: { 'x-ogw-ratelimit-reset': reset }, times });

  it('a message throttled more often than MAX_ATTEMPTS is still delivered, once', async () => {
    const outbox = onHarnessClock(h);
    const n = MAX_ATTEMPTS + 1;
    appLimited(n, '1');
    await outbox.enqueue({ key: 'kthrottled', to: { chatId: 'oc_t' }, text: 'hello' });
    for (let i = 0; i < n; i++) {
      expect(await outbox.drain()).toMatchObject({ sent: 0, retried: 1, failed: 0 });
      expect((await row('kthrottled')).status).toBe('pending');
      h.clock.advance(1000);
    }
    expect(await outbox.drain()).toMatchObject({ sent: 1, failed: 0 });
    expect(await row('kthrottled')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(sends()).toHaveLength(n + 1);
    expect(h.emu.inChat('oc_t').map((m) => textOf(m.content))).toEqual(['hello']);
  });

  it('a reset header of 0 still waits a second: no resending in a tight loop', async () => {
    appLimited(5, '0');
    await h.deps.outbox.enqueue({ key: 'kzero', to: { chatId: 'oc_z' }, text: 'hello' });
    const t0 = h.clock.now().getTime();
    expect(await h.drain({ maxMs: 2000 })).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    expect(sends()).toHaveLength(1);
    expect(Date.parse((await row('kzero')).next_attempt_at) - t0).toBeGreaterThanOrEqual(1000);
  });

  it('real errors keep their backoff and still fail after MAX_ATTEMPTS tries', async () => {
    const outbox = onHarnessClock(h);
    h.emu.faults.push({ path: '/im/v1/messages', status: 502, body: { code: 1, msg: 'bad gateway' }, times: 100 });
    await outbox.enqueue({ key: 'kdown', to: { chatId: 'oc_d' }, text: 'hello' });
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const t = h.clock.now().getTime();
      expect(await outbox.drain()).toMatchObject({ retried: 1, failed: 0 });
      expect(Date.parse((await row('kdown')).next_attempt_at) - t).toBeGreaterThanOrEqual(backoffMs(attempt, 0.5));
      h.clock.advance(backoffMs(attempt, 0.5) + 1000);
    }
    expect(await outbox.drain()).toMatchObject({ retried: 0, failed: 1 });
    expect(await row('kdown')).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
  });

  it('code 99991400 on HTTP 400 pauses the whole app, not only that chat', async () => {
    const outbox = onHarnessClock(h);
    appLimited(1, '5', 400);
    await outbox.enqueue({ key: 'kapp1', to: { chatId: 'oc_first' }, text: 'one' });
    expect(await outbox.drain()).toMatchObject({ retried: 1 });
    // The wait is the header's 5 s, not the 1 s floor.
    expect(Date.parse((await row('kapp1')).next_attempt_at) - h.clock.now().getTime()).toBeGreaterThanOrEqual(4900);
    await outbox.enqueue({ key: 'kapp2', to: { chatId: 'oc_second' }, text: 'two' });
    expect(await outbox.drain({ maxMs: 300 })).toMatchObject({ sent: 0, deferred: 1 });
    expect(h.emu.inChat('oc_second')).toHaveLength(0);
    h.clock.advance(1500);
    expect(await outbox.drain({ maxMs: 300 })).toMatchObject({ sent: 0 }); // past the floor, not the header
    h.clock.advance(3500);
    expect(await outbox.drain()).toMatchObject({ sent: 2, failed: 0 });
  });

  it('code 230020 pauses only that chat', async () => {
    const outbox = onHarnessClock(h);
    h.emu.faults.push({ path: '/im/v1/messages', status: 400, body: { code: 230020, msg: 'chat rate limited' }, headers: { 'x-ogw-ratelimit-reset': '5' } });
    await outbox.enqueue({ key: 'kchat1', to: { chatId: 'oc_hot' }, text: 'one' });
    expect(await outbox.drain()).toMatchObject({ retried: 1 });
    await outbox.enqueue({ key: 'kchat2', to: { chatId: 'oc_cool' }, text: 'two' });
    expect(await outbox.drain({ maxMs: 300 })).toMatchObject({ sent: 1, deferred: 0 });
    expect(h.emu.inChat('oc_cool')).toHaveLength(1);
    h.clock.advance(5000);
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(h.emu.inChat('oc_hot')).toHaveLength(1);
  });

  // File uploads are checked like every other call.
  const file = { name: 'report.txt', data: new TextEncoder().encode('hello file') };

  it('an upload answered HTTP 200 with a transient code is retried, then the file is sent', async () => {
    h.emu.faults.push({ path: '/im/v1/files', status: 200, body: { code: 2200, msg: 'internal error' } });
    await h.deps.outbox.enqueue({ key: 'kfile', to: { chatId: 'oc_files' }, file });
    expect(await h.drain()).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    expect((await row('kfile')).last_error).toContain('code=2200');
    h.clock.advance(3000);
    expect(await h.drain()).toMatchObject({ sent: 1, failed: 0 });
    const [m] = h.emu.inChat('oc_files');
    expect(m?.msgType).toBe('file');
    const stored = h.emu.files.get((JSON.parse(m!.content) as { file_key: string }).file_key);
    expect(stored?.name).toBe('report.txt');
    expect(new TextDecoder().decode(stored?.data)).toBe('hello file');
  });

  it('an upload answered HTTP 200 with another code fails for good, with the code in the error', async () => {
    h.emu.faults.push({ path: '/im/v1/files', status: 200, body: { code: 234010, msg: 'file too large' } });
    await h.deps.outbox.enqueue({ key: 'kbigfile', to: { chatId: 'oc_files' }, file });
    expect(await h.drain()).toMatchObject({ sent: 0, retried: 0, failed: 1 });
    expect(await row('kbigfile')).toMatchObject({ status: 'failed' });
    expect((await row('kbigfile')).last_error).toContain('code=234010');
    expect(h.emu.inChat('oc_files')).toHaveLength(0);
  });
});
