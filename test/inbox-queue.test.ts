import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDelivery } from '../db/repos/inbound.js';
import { oneCommitDeps, ROUTES } from '../src/compose.js';
import { createDoorGate, type DoorGate } from '../src/door-gate.js';
import { createInboxQueue, type InboxQueue, type InboxQueueOptions } from '../src/inbox-queue.js';
import type { DeliveryOutcome } from '../src/process-delivery.js';
import { recoverDeliveries } from '../src/process-delivery.js';
import { envelope, messageEvent } from '../src/sandbox/feishu-events.js';
import { startHarness, type Harness } from './helpers/harness.js';

/**
 * The inbox queue (src/inbox-queue.ts) on a real database with the real handlers: stored
 * messages are handled once each, each chat's in the order they came, also when they overflow
 * memory into the database, after a restart, and beside tick's recovery.
 */
describe('the inbox queue', () => {
  let h: Harness;
  let tasks: Set<Promise<unknown>>;
  const defer = (task: () => Promise<unknown>) => {
    const p: Promise<unknown> = task().finally(() => tasks.delete(p));
    tasks.add(p);
  };
  const settle = async () => {
    for (let i = 0; i < 50 && tasks.size > 0; i++) await Promise.allSettled([...tasks]);
  };

  beforeEach(async () => {
    h = await startHarness();
    tasks = new Set();
  });
  afterEach(async () => {
    await settle();
    await h.close();
  });

  /** Stores a 帮助 from `chat` as the door does (acknowledged, not yet handled); returns its key. */
  async function store(chat: string, n: number): Promise<string> {
    const messageId = `om_${chat}_${n}`;
    const env = envelope(h.creds, 'im.message.receive_v1', messageEvent({ openId: `ou_${chat}`, chatId: `oc_p2p_${chat}`, chatType: 'p2p', text: '帮助', messageId }), { eventId: `ev_${chat}_${n}` });
    expect(await claimDelivery(h.deps.db, [`ev_${chat}_${n}`, `msg:${messageId}`], 'im.message.receive_v1', JSON.stringify(env), h.clock.now(), `oc_p2p_${chat}`)).toBe(true);
    return `ev_${chat}_${n}`;
  }

  function queue(extra: Partial<InboxQueueOptions> & { gate?: DoorGate } = {}) {
    const handled: { outcome: DeliveryOutcome; inHand: number }[] = [];
    const q: InboxQueue = createInboxQueue({
      deps: h.deps,
      routes: ROUTES,
      gate: extra.gate ?? createDoorGate(),
      defer,
      ...extra,
      afterHandled: (outcome) => handled.push({ outcome, inHand: q.stats().inHand }),
    });
    return { q, handled };
  }

  const rows = () => h.deps.db.selectFrom('inbound_events').select(['key', 'status', 'attempts']).where('key', 'like', 'ev_%').orderBy('key').execute();
  /** The replies' outbox rows in the order they were queued (= the order messages were handled). */
  const replyOrder = async (chat: string) =>
    (await h.deps.db.selectFrom('outbox').select(['msg_key']).where('receive_id', '=', `ou_${chat}`).orderBy('id').execute()).map((r) => r.msg_key);
  const answersTo = (chat: string, count: number) => Array.from({ length: count }, (_, n) => `ans:om_${chat}_${n}:0`);

  it('handles a burst once each, one message per chat at a time, each chat in the order they came', async () => {
    const chats = ['a', 'b', 'c'];
    // The gate holds every start until the door has been quiet: then they are all free to go at
    // once, and only the lanes keep a chat's second message from starting beside its first.
    let t = 0;
    const gate = createDoorGate({ monotonicMs: () => t, heavyPerTurn: 1, quietMs: 10 });
    for (let i = 0; i < 20; i++) gate.knock();
    await new Promise((r) => setImmediate(r));
    const { q, handled } = queue({ gate });
    for (let n = 0; n < 4; n++) for (const c of chats) q.push(await store(c, n), `oc_p2p_${c}`);
    await new Promise((r) => setImmediate(r));
    expect(handled).toHaveLength(0); // the door is busy and no slot is earned (frozen clock)
    t += 10;
    await q.idle();
    await settle();

    expect(handled.map((x) => x.outcome)).toEqual(Array(12).fill('done'));
    expect(Math.max(...handled.map((x) => x.inHand))).toBeLessThanOrEqual(chats.length);
    expect((await rows()).every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    for (const c of chats) expect(await replyOrder(c)).toEqual(answersTo(c, 4));
  });

  it('lets what does not fit in memory wait in the database and reads it back in order', async () => {
    const { q, handled } = queue({ capacity: 4, batch: 3 });
    const keys: string[] = [];
    for (let n = 0; n < 15; n++) keys.push(await store(n % 2 ? 'odd' : 'even', n >> 1));
    keys.forEach((k, i) => q.push(k, i % 2 ? 'oc_p2p_odd' : 'oc_p2p_even'));
    await q.idle();
    await settle();

    expect(handled.filter((x) => x.outcome === 'done')).toHaveLength(15);
    expect(await rows()).toHaveLength(15);
    expect((await rows()).every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    expect(await replyOrder('even')).toEqual(answersTo('even', 8));
    expect(await replyOrder('odd')).toEqual(answersTo('odd', 7));
    await h.drain();
    expect(h.emu.inChat('oc_p2p_even')).toHaveLength(8);
    expect(h.emu.inChat('oc_p2p_odd')).toHaveLength(7);
  });

  it('after a crash with messages stored but not handled, a new process handles them once, in order', async () => {
    for (let n = 0; n < 5; n++) await store('crash', n);
    // One was in hand when the process died: its lease keeps it from everyone until it ends.
    await h.deps.db
      .updateTable('inbound_events')
      .set({ lease_until: new Date(h.clock.now().getTime() + 60_000).toISOString() })
      .where('key', '=', 'ev_crash_4')
      .execute();
    await h.restart();

    const { q, handled } = queue();
    q.poll(); // as src/node.ts does on start
    await q.idle();
    await settle();
    expect(handled.map((x) => x.outcome)).toEqual(Array(4).fill('done'));
    expect(await replyOrder('crash')).toEqual(answersTo('crash', 4));
    expect((await rows()).find((r) => r.key === 'ev_crash_4')).toMatchObject({ status: 'pending', attempts: 0 });

    h.clock.advance(61_000); // the dead process's lease is over
    q.poll();
    await q.idle();
    await settle();
    expect(await replyOrder('crash')).toEqual(answersTo('crash', 5));
    expect((await rows()).every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    await h.drain();
    expect(h.emu.inChat('oc_p2p_crash')).toHaveLength(5);
  });

  it("with one commit per delivery (Node's bot thread), counts a delivery handled only once its writes are committed", async () => {
    const keys: string[] = [];
    for (let n = 0; n < 6; n++) keys.push(await store(`one${n % 2}`, n));
    const oneCommit = oneCommitDeps(h.deps, h.sqlite.early);
    // Another connection sees only what is committed.
    const other = new BetterSqlite3(h.dbPath, { readonly: true });
    const seen: { reported: number; done: number; replies: number }[] = [];
    try {
      const q: InboxQueue = createInboxQueue({
        deps: h.deps,
        routes: ROUTES,
        gate: createDoorGate(),
        defer,
        oneCommit,
        afterHandled: () => {
          const count = (q: string) => (other.prepare(q).get() as { n: number }).n;
          const done = count(`SELECT count(*) AS n FROM inbound_events WHERE key LIKE 'ev_one%' AND status = 'done'`);
          const replies = count(`SELECT count(*) AS n FROM outbox WHERE msg_key LIKE 'ans:om_one%'`);
          seen.push({ reported: seen.length + 1, done, replies });
        },
      });
      for (const k of keys) q.push(k, `oc_p2p_one${Number(k.split('_')[2]) % 2}`);
      await q.idle();
      await settle();
    } finally {
      other.close();
    }
    expect(seen).toHaveLength(6);
    // Each time one was reported handled, it (and its reply) could already be read from outside.
    expect(seen.filter((s) => s.done < s.reported || s.replies < s.reported)).toEqual([]);
    expect((await rows()).every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    expect(await replyOrder('one0')).toEqual(['ans:om_one0_0:0', 'ans:om_one0_2:0', 'ans:om_one0_4:0']);
    expect(await replyOrder('one1')).toEqual(['ans:om_one1_1:0', 'ans:om_one1_3:0', 'ans:om_one1_5:0']);
  });

  it('never handles a row twice when tick recovery runs beside the live queue', async () => {
    const keys: string[] = [];
    for (let n = 0; n < 30; n++) keys.push(await store(`r${n % 10}`, n));
    const { q, handled } = queue();
    for (const k of keys) q.push(k, `oc_p2p_r${Number(k.split('_')[2]) % 10}`);
    // Recovery takes every pending row it finds (none is too young for it here), at once.
    const recovered = await Promise.all([recoverDeliveries(h.deps, ROUTES, -1), recoverDeliveries(h.deps, ROUTES, -1)]);
    await q.idle();
    await settle();

    const byQueue = handled.filter((x) => x.outcome === 'done').length;
    expect(byQueue + recovered[0]! + recovered[1]!).toBe(30);
    expect(handled.filter((x) => x.outcome !== 'done' && x.outcome !== 'taken')).toHaveLength(0);
    const all = await rows();
    expect(all).toHaveLength(30);
    expect(all.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    expect(await h.deps.db.selectFrom('outbox').selectAll().execute()).toHaveLength(30);
  });

  it('takes up the messages of a chat that waited behind its own (as many as it may), in order; none when told 0', async () => {
    // Workers: another invocation stored a chat's later messages while this one had the first in
    // hand; they were left waiting behind it (processDelivery found an older one pending).
    const keys = [await store('w', 0), await store('w', 1), await store('w', 2), await store('w', 3)];
    const { q, handled } = queue({ followChats: 2 });
    q.push(keys[0]!, 'oc_p2p_w');
    await q.idle();
    await settle();
    expect(handled.map((x) => x.outcome)).toEqual(['done', 'done', 'done']);
    expect(await replyOrder('w')).toEqual(answersTo('w', 3));
    expect((await rows()).map((r) => r.status)).toEqual(['done', 'done', 'done', 'pending']); // the fourth: left to recovery

    const off = queue({ followChats: 0 });
    const k = await store('z', 0);
    await store('z', 1);
    off.q.push(k, 'oc_p2p_z');
    await off.q.idle();
    await settle();
    expect(await replyOrder('z')).toEqual(answersTo('z', 1));
  });
});

describe('messages through the door under a burst', () => {
  it('are each acknowledged, stored, handled and answered exactly once', async () => {
    const h = await startHarness();
    try {
      const posts = [];
      for (let n = 0; n < 60; n++) {
        const chat = `oc_p2p_burst${n % 6}`;
        posts.push(h.say({ openId: `ou_burst${n % 6}`, chatId: chat, chatType: 'p2p', text: '帮助', messageId: `om_burst_${n}` }, { eventId: `ev_burst_${n}` }));
      }
      const res = await Promise.all(posts);
      expect(res.map((r) => r.status)).toEqual(Array(60).fill(200));
      await h.settle();
      await h.drain();
      const done = await h.deps.db.selectFrom('inbound_events').select(['key', 'status', 'attempts']).where('key', 'like', 'ev_burst_%').execute();
      expect(done).toHaveLength(60);
      expect(done.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
      for (let c = 0; c < 6; c++) {
        // Each chat's replies were queued in the order the door stored its messages.
        const stored = await h.deps.db
          .selectFrom('inbound_events')
          .select('key')
          .where('chat_id', '=', `oc_p2p_burst${c}`)
          .orderBy('received_at')
          .orderBy(sql`rowid`)
          .execute();
        const replies = await h.deps.db.selectFrom('outbox').select('msg_key').where('receive_id', '=', `ou_burst${c}`).orderBy('id').execute();
        expect(stored).toHaveLength(10);
        expect(replies.map((r) => r.msg_key)).toEqual(stored.map((r) => `ans:om_burst_${r.key.slice('ev_burst_'.length)}:0`));
        expect(h.emu.inChat(`oc_p2p_burst${c}`)).toHaveLength(10);
      }
      expect(new Set(h.emu.messages.map((m) => m.uuid)).size).toBe(60);
    } finally {
      await h.close();
    }
  });

});
