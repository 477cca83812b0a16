import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeDrainer } from '../db/repos/outbox-drainer.js';
import { feishuLimits, RateLimiter } from '../src/domain/rate-limiter.js';
import { createOutbox, type DrainResult, type Outbox } from '../src/lark/outbox.js';
import { drainShared } from '../src/lark/shared-drain.js';
import { silentLogger } from '../src/logger.js';
import { messageSends, startHarness, textOf, type Harness } from './helpers/harness.js';

/**
 * Workers: every invocation has an outbox and a rate limiter of its own over one database
 * (src/lark/shared-drain.ts). Here two such outboxes over the harness's SQLite file (built by the
 * real migrations) and the real SDK client, in real time, as two invocations would be.
 */
describe('the outbox shared by several processes (Workers invocations)', () => {
  let h: Harness;
  beforeEach(async () => {
    // Each Open API answer takes 20 ms, as over a network: sends in flight can be seen.
    h = await startHarness({ latencyMs: 20 });
    await h.deps.lark.botOpenId(); // the access token fetched beforehand: arrivals then trail sends evenly
  });
  afterEach(async () => {
    await h.close();
  });

  /** An invocation's outbox: its own limiter, the shared database, real time. */
  const invocation = (): Outbox =>
    createOutbox({
      db: h.deps.db,
      lark: h.deps.lark,
      limiter: new RateLimiter(feishuLimits),
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      random: () => 0.5,
      logger: silentLogger,
      shared: true,
    });
  const arrivals = () => messageSends(h).map((s) => s.at);
  const atMostFivePerSecond = (at: number[]) => {
    for (let i = 0; i + 5 < at.length; i++) expect(at[i + 5]! - at[i]!, `sends ${i} and ${i + 5}`).toBeGreaterThanOrEqual(1000);
  };
  const queue = async (outbox: Outbox, prefix: string, n: number, chatId = 'oc_group') => {
    for (let i = 0; i < n; i++) await outbox.enqueue({ key: `${prefix}${i}`, to: { chatId }, text: `${prefix}${i}` });
  };

  it('two invocations draining side by side send one chat no more than 5 messages within any second, all of them once', async () => {
    const [a, b] = [invocation(), invocation()];
    await queue(a, 'a', 6);
    await queue(b, 'b', 6);
    const [ra, rb] = await Promise.all([a.drain({ maxMs: 8000 }), b.drain({ maxMs: 8000 })]);
    expect(ra.sent + rb.sent).toBe(12);
    atMostFivePerSecond(arrivals());
    expect(h.emu.inChat('oc_group').map((m) => textOf(m.content)).sort()).toEqual([...Array.from({ length: 6 }, (_, i) => `a${i}`), ...Array.from({ length: 6 }, (_, i) => `b${i}`)].sort());
    // Each try was kept for the next invocation's limits.
    const rows = await h.deps.db.selectFrom('outbox').select(['status', 'tried_at']).execute();
    expect(rows.every((r) => r.status === 'sent' && r.tried_at !== null)).toBe(true);
  });

  it('an invocation just after another counts what the first sent within the last second', async () => {
    const first = invocation();
    await queue(first, 'a', 5);
    expect(await first.drain({ maxMs: 5000 })).toMatchObject({ sent: 5 });
    const next = invocation();
    await queue(next, 'b', 5);
    expect(await next.drain({ maxMs: 5000 })).toMatchObject({ sent: 5 });
    const at = arrivals();
    expect(at).toHaveLength(10);
    atMostFivePerSecond(at);
  });

  it('an app-wide pause Feishu asked of one invocation holds the next one too', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 429, body: { code: 99991400, msg: 'rate limited' }, headers: { 'x-ogw-ratelimit-reset': '2' } });
    const first = invocation();
    await queue(first, 'a', 1, 'oc_one');
    expect(await first.drain({ maxMs: 300 })).toMatchObject({ sent: 0, retried: 1 });
    const next = invocation();
    await queue(next, 'b', 1, 'oc_other'); // another chat: only the app-wide pause holds it
    expect(await next.drain({ maxMs: 500 })).toMatchObject({ sent: 0 });
    expect(h.emu.inChat('oc_other')).toHaveLength(0);
    const later = await next.drain({ maxMs: 5000 });
    expect(later.sent).toBe(2);
    expect(h.emu.inChat('oc_other')).toHaveLength(1);
    expect(h.emu.inChat('oc_one')).toHaveLength(1);
  });

  it('waits while another drainer holds the outbox, and takes over once that holder\'s lease ran out', async () => {
    const other = { id: 1, holder: 'someone-else', until: new Date(Date.now() + 60_000).toISOString(), app_paused_until: null };
    await h.deps.db.insertInto('outbox_drainer').values(other).execute();
    const mine = invocation();
    await queue(mine, 'm', 1);
    expect(await mine.drain({ maxMs: 400 })).toMatchObject({ sent: 0 });
    expect(arrivals()).toHaveLength(0);
    // The holder died: its lease runs out, and the next drain goes ahead.
    await h.deps.db.updateTable('outbox_drainer').set({ until: new Date(Date.now() - 1).toISOString() }).execute();
    expect(await mine.drain({ maxMs: 2000 })).toMatchObject({ sent: 1 });
    expect(h.emu.inChat('oc_group')).toHaveLength(1);
  });

  it('on Node, the one sender on its database, tries are not kept (the index stays empty)', async () => {
    await h.deps.outbox.enqueue({ key: 'node', to: { chatId: 'oc_node' }, text: 'hi' });
    expect(await h.drain()).toMatchObject({ sent: 1 });
    expect(await h.deps.db.selectFrom('outbox').select('tried_at').execute()).toEqual([{ tried_at: null }]);
  });

  it('keeps every try for the others\' limits, whatever its outcome: sent, retried, throttled or failed', async () => {
    h.emu.faults.push({ path: '/im/v1/messages', status: 500, body: { code: 1, msg: 'server error' } });
    h.emu.faults.push({ path: '/im/v1/messages', status: 400, body: { code: 230002, msg: 'chat not found' } });
    h.emu.faults.push({ path: '/im/v1/messages', status: 400, body: { code: 230020, msg: 'chat rate limited' } });
    const one = invocation();
    for (const chat of ['oc_x', 'oc_y', 'oc_z', 'oc_w']) await queue(one, chat, 1, chat);
    await one.drain({ maxMs: 300 });
    const rows = await h.deps.db.selectFrom('outbox').select(['status', 'tried_at', 'last_error']).execute();
    expect(rows.map((r) => r.status).sort()).toEqual(['failed', 'pending', 'pending', 'sent']);
    expect(rows.filter((r) => r.tried_at === null)).toEqual([]);
  });

  it('lets go of the outbox only once every lane has stopped, also when one of them failed', async () => {
    // Row x's lease cannot be written (as a D1 error would): its lane fails at once, while chat
    // y's lane is still sending.
    await sql`CREATE TRIGGER no_lease BEFORE UPDATE OF status ON outbox WHEN NEW.msg_key = 'x0' AND NEW.status = 'sending' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`.execute(h.deps.db);
    const one = invocation();
    await queue(one, 'x', 1, 'oc_x');
    await queue(one, 'y', 3, 'oc_y');
    await expect(one.drain({ maxMs: 3000 })).rejects.toThrow(/disk I\/O error/);
    const sentWhenItFailed = messageSends(h).length;
    expect(await takeDrainer(h.deps.db, 'next', new Date(), new Date(Date.now() + 1000))).toBeDefined(); // let go of
    await new Promise((r) => setTimeout(r, 200));
    expect(messageSends(h)).toHaveLength(sentWhenItFailed); // nothing went out after it let go
    expect(h.emu.inChat('oc_y')).toHaveLength(3);
  });
});

/** drainShared's own steps, with rounds of the test's making over a real database. */
describe('drainShared', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const EMPTY: DrainResult = { sent: 0, retried: 0, failed: 0, deferred: 0 };
  const sleeps: number[] = [];
  const deps = () => ({
    db: h.deps.db,
    limiter: new RateLimiter(feishuLimits),
    now: () => new Date(),
    clock: () => performance.now(),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      await new Promise((r) => setTimeout(r, ms));
    },
    logger: silentLogger,
  });
  beforeEach(() => {
    sleeps.length = 0;
  });

  it('runs another round for a row queued while a round ran, once it has let go', async () => {
    let rounds = 0;
    const result = await drainShared(deps(), { maxMs: 2000 }, async () => {
      // Another invocation queues a message now; it finds the outbox taken and leaves it to us.
      if (++rounds === 1) await h.deps.outbox.enqueue({ key: 'late', to: { chatId: 'oc_late' }, text: 'late' });
      return EMPTY;
    });
    expect(result).toEqual(EMPTY);
    expect(rounds).toBe(2);
  });

  it('lets go of the outbox when a round fails', async () => {
    await expect(
      drainShared(deps(), { maxMs: 2000 }, async () => {
        throw new Error('round failed');
      }),
    ).rejects.toThrow('round failed');
    expect(await takeDrainer(h.deps.db, 'next', new Date(), new Date(Date.now() + 1000))).toBeDefined();
  });

  it('does not wait for an outbox another holds when nothing is due', async () => {
    await takeDrainer(h.deps.db, 'someone-else', new Date(), new Date(Date.now() + 60_000));
    let rounds = 0;
    await drainShared(deps(), { maxMs: 5000 }, async () => {
      rounds++;
      return EMPTY;
    });
    expect(rounds).toBe(0);
    expect(sleeps).toEqual([]);
  });
});
