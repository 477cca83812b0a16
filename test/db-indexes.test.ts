import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BetterSqliteDialect } from '../db/better-sqlite-dialect.js';
import { migrateSqlite } from '../db/migrate-sqlite.js';
import { appendAudit } from '../db/repos/audit.js';
import { pendingDeliveries, releaseInboundLeases } from '../db/repos/inbound.js';
import { dueOutbox } from '../db/repos/outbox.js';
import { triedSince } from '../db/repos/outbox-drainer.js';
import type { Database } from '../db/schema.js';

/**
 * The lookups made on every event, or every second, are answered from their indexes (as the real
 * migrations build them), not by scanning tables that keep every event and message ever sent. Each
 * query is caught as Kysely sends it (SQL and bound values) and its plan asked of SQLite.
 */
describe('the hot lookups use their indexes', () => {
  let raw: BetterSqlite3.Database;
  let db: Kysely<Database>;
  let sent: { sql: string; parameters: readonly unknown[] }[];

  beforeEach(() => {
    raw = new BetterSqlite3(':memory:');
    migrateSqlite(raw);
    sent = [];
    db = new Kysely<Database>({ dialect: new BetterSqliteDialect(raw), log: (e) => void sent.push({ sql: e.query.sql, parameters: e.query.parameters }) });
  });
  afterEach(async () => {
    await db.destroy();
  });

  /** The plan of the last query sent, as SQLite's EXPLAIN QUERY PLAN details joined. */
  const planOfLast = (): string => {
    const q = sent.at(-1)!;
    return (raw.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[]).map((r) => r.detail).join(' | ');
  };
  const now = new Date('2027-01-19T00:00:00.000Z');

  it('pending deliveries (the queue, recovery, a restart) come from the pending-only index', async () => {
    await pendingDeliveries(db, now, 100);
    expect(planOfLast()).toContain('USING INDEX inbound_events_pending');
    await pendingDeliveries(db, now, 100, { receivedBefore: now });
    expect(planOfLast()).toContain('USING INDEX inbound_events_pending');
    await releaseInboundLeases(db, now);
    expect(planOfLast()).toContain('USING INDEX inbound_events_pending');
  });

  it('"is this step in the audit log already" comes from the entity index, not a scan of the log', async () => {
    const step = { actor: 'ou_x', action: 'pledge.revision_withdraw', entity: 'pledge_version', entityId: 3 };
    expect(await appendAudit(db, step, now, { once: { since: '' } })).toBe(true);
    expect(await appendAudit(db, step, now, { once: { since: '' } })).toBe(false); // its last query: the check
    const indexed = /USING (COVERING )?INDEX audit_log_entity \(entity=\? AND entity_id=\? AND action=\? AND at>\?\)/;
    expect(planOfLast()).toMatch(indexed);
    // …and the same condition inside the guarded INSERT itself.
    const insert = [...sent].reverse().find((q) => q.sql.includes('INSERT INTO audit_log'))!;
    const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${insert.sql}`).all(...(insert.parameters as unknown[])) as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan).toMatch(indexed);
  });

  it('a chat\'s next pending message comes from its chat index', async () => {
    await pendingDeliveries(db, now, 1, { chatId: 'oc_x' });
    expect(planOfLast()).toContain('USING INDEX inbound_events_chat_pending (chat_id=?)');
  });

  it('due sends (every drain, and a shared drain\'s look for rows newer than its start) come from the due index', async () => {
    await dueOutbox(db, now, 200);
    expect(planOfLast()).toContain('USING INDEX outbox_due');
    await dueOutbox(db, now, 1, 42);
    expect(planOfLast()).toContain('USING INDEX outbox_due');
  });

  it('the tries of the last minute (Workers\' shared limits) come from the tried index', async () => {
    await triedSince(db, now);
    expect(planOfLast()).toContain('USING INDEX outbox_tried (tried_at>?)');
  });

  it('done deliveries are not in the pending index', async () => {
    const at = now.toISOString();
    raw.prepare(`INSERT INTO inbound_events (key, event_type, payload, status, received_at) VALUES ('a', 't', '{}', 'done', ?), ('b', 't', '{}', 'pending', ?)`).run(at, at);
    const indexed = raw.prepare(`SELECT key FROM inbound_events INDEXED BY inbound_events_pending WHERE status = 'pending'`).all();
    expect(indexed).toEqual([{ key: 'b' }]);
    const entries = raw.prepare(`SELECT count(*) AS n FROM pragma_index_info('inbound_events_pending')`).get() as { n: number };
    expect(entries.n).toBe(1); // one column: received_at (status is the index's WHERE)
  });
});
