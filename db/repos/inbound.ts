import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/**
 * Records a delivery under each of its keys (event_id; msg:<message_id> for messages).
 * Returns true only for the one caller that inserted the first key and found no other key
 * taken: a repeat, in parallel or hours later, gets false. All keys go in one
 * INSERT … ON CONFLICT DO NOTHING … RETURNING, atomic on SQLite and D1 alike (no transaction
 * needed), and one write instead of one per key.
 */
export async function claimDelivery(
  db: Db,
  keys: string[],
  eventType: string,
  payload: string,
  now: Date,
): Promise<boolean> {
  const [primary, ...others] = keys;
  if (!primary) throw new Error('no key');
  const at = now.toISOString();
  const rows = [
    { key: primary, event_type: eventType, payload, status: 'pending', received_at: at, response: null, error: null, processed_at: null },
    ...others.map((key) => ({ key, event_type: eventType, payload: '', status: 'duplicate', received_at: at, response: null, error: null, processed_at: at })),
  ];
  const inserted = await db
    .insertInto('inbound_events')
    .values(rows)
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .execute();
  const got = new Set(inserted.map((r) => r.key));
  if (!got.has(primary)) return false;
  if (others.every((k) => got.has(k))) return true;
  // Same message under a new event_id: remember it as a duplicate.
  await finishDelivery(db, primary, 'duplicate', now);
  return false;
}

export async function finishDelivery(db: Db, key: string, status: 'done' | 'failed' | 'duplicate', now: Date, error?: string, response?: string): Promise<void> {
  await db
    .updateTable('inbound_events')
    .set((eb) => ({
      status,
      processed_at: now.toISOString(),
      error: error ?? null,
      response: response ?? null,
      attempts: eb('attempts', '+', 1),
    }))
    .where('key', '=', key)
    .execute();
}

/** Handling failed, maybe for a passing reason: leave it pending for recovery (tick) to try again. */
export async function retryDeliveryLater(db: Db, key: string, error: string): Promise<void> {
  await db
    .updateTable('inbound_events')
    .set((eb) => ({ error, attempts: eb('attempts', '+', 1) }))
    .where('key', '=', key)
    .execute();
}

export function deliveryByKey(db: Db, key: string) {
  return db.selectFrom('inbound_events').selectAll().where('key', '=', key).executeTakeFirst();
}

/** Deliveries acknowledged but never handled (a crash between ack and handling). */
export function pendingDeliveries(db: Db, olderThan: Date, limit: number) {
  return db
    .selectFrom('inbound_events')
    .selectAll()
    .where('status', '=', 'pending')
    .where('received_at', '<', olderThan.toISOString())
    .orderBy('received_at')
    .limit(limit)
    .execute();
}
