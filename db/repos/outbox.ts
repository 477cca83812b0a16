import type { Kysely } from 'kysely';
import { prepared } from '../prepared.js';
import type { Database, OutboxRow } from '../schema.js';

type Db = Kysely<Database>;

/** Every column given (none left to a default but the id and the attempts), so one statement fits all. */
export type OutboxInsert = Omit<OutboxRow, 'id' | 'attempts'>;

const insertQuery = prepared((db, row: OutboxInsert) => db.insertInto('outbox').values(row).onConflict((oc) => oc.column('msg_key').doNothing()));

/** Idempotent by msg_key: enqueuing the same logical message twice keeps one row. */
export async function insertOutbox(db: Db, row: OutboxInsert): Promise<void> {
  await insertQuery.run(db, row);
}

/** Sent messages whose logical key starts with `prefix`: the index range of `msg_key` it spans. */
function withPrefix(db: Db, prefix: string) {
  const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return db.selectFrom('outbox').where('msg_key', '>=', prefix).where('msg_key', '<', upper);
}

const sentWithPrefix = (db: Db, prefix: string) => withPrefix(db, prefix).where('status', '=', 'sent');

/** The keys of messages queued with `prefix`, whatever became of them. */
export async function queuedKeysWithPrefix(db: Db, prefix: string): Promise<Set<string>> {
  return new Set((await withPrefix(db, prefix).select('msg_key').execute()).map((r) => r.msg_key));
}

/** When the newest message whose key starts with `prefix` was queued, sent or on its way (not one that failed). */
export async function lastQueuedWithKeyPrefix(db: Db, prefix: string): Promise<string | undefined> {
  return (await withPrefix(db, prefix).select('created_at').where('status', '!=', 'failed').orderBy('id', 'desc').limit(1).executeTakeFirst())?.created_at;
}

/** Sent messages whose logical key starts with `prefix` (e.g. every copy of one review card). */
export function sentWithKeyPrefix(db: Db, prefix: string) {
  return sentWithPrefix(db, prefix).select(['result_message_id', 'receive_id_type', 'receive_id', 'msg_key']).execute();
}

/** The newest sent message whose key starts with `prefix`, and when it was sent. */
export function lastSentWithKeyPrefix(db: Db, prefix: string) {
  return sentWithPrefix(db, prefix).select(['result_message_id', 'sent_at']).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/**
 * Due rows: pending and due, or stuck 'sending' past their lease (a crash mid-send). `afterId`:
 * only rows newer than it (queued after a drain began, shared-drain.ts).
 */
export function dueOutbox(db: Db, now: Date, limit: number, afterId = 0): Promise<OutboxRow[]> {
  const iso = now.toISOString();
  return db
    .selectFrom('outbox')
    .selectAll()
    .where('id', '>', afterId)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', iso)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', iso)]),
      ]),
    )
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Recipients that have a message waiting which is not due (a retry later) or is in flight:
 * their later messages wait behind it, so each chat gets its messages in order.
 * Returns scope id → the lowest such outbox id.
 */
export async function heldRecipients(db: Db, now: Date): Promise<Map<string, number>> {
  const iso = now.toISOString();
  const rows = await db
    .selectFrom('outbox')
    .select(['receive_id_type', 'receive_id', (eb) => eb.fn.min<number>('id').as('first')])
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '>', iso)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '>=', iso)]),
      ]),
    )
    .groupBy(['receive_id_type', 'receive_id'])
    .execute();
  return new Map(rows.map((r) => [`${r.receive_id_type ?? ''}:${r.receive_id ?? ''}`, Number(r.first)]));
}

const leaseQuery = prepared((db, p: { id: number; status: string; lease: string | null; until: string }) =>
  db
    .updateTable('outbox')
    .set({ status: 'sending', lease_until: p.until })
    .where('id', '=', p.id)
    .where('status', '=', p.status)
    // SQLite's IS is = that also matches NULL with NULL: one statement for a row with or without a lease.
    .where('lease_until', 'is', p.lease),
);

/** Claims a row for one sender; false when another sender got it first. */
export async function leaseOutbox(db: Db, row: OutboxRow, now: Date, leaseMs: number): Promise<boolean> {
  const until = new Date(now.getTime() + leaseMs).toISOString();
  return (await leaseQuery.run(db, { id: row.id, status: row.status, lease: row.lease_until, until })) === 1;
}

/**
 * `tried`: when the try got its answer, kept where other processes send from the same database
 * (Workers) so that their rate limits count it (shared-drain.ts); null elsewhere.
 */
const iso = (d: Date | null) => d?.toISOString() ?? null;

const sentQuery = prepared((db, p: { id: number; at: string; messageId: string | null; tried: string | null }) =>
  db
    .updateTable('outbox')
    .set((eb) => ({ status: 'sent', sent_at: p.at, result_message_id: p.messageId, last_error: null, lease_until: null, file_data: null, tried_at: p.tried, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', p.id),
);

export async function markSent(db: Db, id: number, now: Date, messageId: string | null, tried: Date | null = null): Promise<void> {
  await sentQuery.run(db, { id, at: now.toISOString(), messageId, tried: iso(tried) });
}

const retryQuery = prepared((db, p: { id: number; next: string; error: string; tried: string | null }) =>
  db
    .updateTable('outbox')
    .set((eb) => ({ status: 'pending', next_attempt_at: p.next, last_error: p.error, lease_until: null, tried_at: p.tried, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', p.id),
);

export async function markRetry(db: Db, id: number, next: Date, error: string, tried: Date | null = null): Promise<void> {
  await retryQuery.run(db, { id, next: next.toISOString(), error, tried: iso(tried) });
}

const throttledQuery = prepared((db, p: { id: number; next: string; error: string; tried: string | null }) =>
  db
    .updateTable('outbox')
    .set({ status: 'pending', next_attempt_at: p.next, last_error: p.error, lease_until: null, tried_at: p.tried })
    .where('id', '=', p.id),
);

/**
 * Feishu throttled the send: due again at `next`, and `attempts` left as it was. Only failed tries
 * count towards giving up; a throttled one is retried until it goes through (Feishu's advice).
 */
export async function markThrottled(db: Db, id: number, next: Date, error: string, tried: Date | null = null): Promise<void> {
  await throttledQuery.run(db, { id, next: next.toISOString(), error, tried: iso(tried) });
}

const failedQuery = prepared((db, p: { id: number; error: string; tried: string | null }) =>
  db
    .updateTable('outbox')
    .set((eb) => ({ status: 'failed', last_error: p.error, lease_until: null, tried_at: p.tried, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', p.id),
);

export async function markFailed(db: Db, id: number, error: string, tried: Date | null = null): Promise<void> {
  await failedQuery.run(db, { id, error, tried: iso(tried) });
}

export function failedOutbox(db: Db, limit = 50) {
  return db
    .selectFrom('outbox')
    .select(['id', 'op', 'receive_id', 'msg_type', 'attempts', 'last_error', 'created_at'])
    .where('status', '=', 'failed')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function earliestPending(db: Db): Promise<string | undefined> {
  const r = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('next_attempt_at').as('t'))
    .where('status', 'in', ['pending', 'sending'])
    .executeTakeFirst();
  return (r?.t as string | null | undefined) ?? undefined;
}

/**
 * Sends an earlier run of this process had in hand when it died ('sending' under a lease) are due
 * again now, not when the lease runs out. Only for an entry that is the one process on its
 * database (Node); a send that did reach Feishu is not repeated, its `uuid` makes Feishu drop it.
 */
export async function releaseOutboxLeases(db: Db, now: Date): Promise<number> {
  const r = await db
    .updateTable('outbox')
    .set({ status: 'pending', lease_until: null, next_attempt_at: now.toISOString() })
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
