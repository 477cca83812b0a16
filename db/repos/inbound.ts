import { CompiledQuery, sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { prepared } from '../prepared.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/**
 * The claim's statement for `n` keys, written out once per `n`. It runs for every event at the
 * door, and building it with the query builder each time cost about a third of it (bench/).
 *
 * For a message (n > 1) the first row's status is decided in the same statement: 'duplicate'
 * when one of its other keys (msg:<message_id>) is already stored, else 'pending'. SQLite reads
 * a SELECT from the table it inserts into in full before inserting, so the check sees the rows
 * from before this statement. (Marking the duplicate by a second write left a crash between the
 * two with a pending row that a later read of the same line could not mend: handled twice.)
 */
const claimSql = new Map<number, string>();
function claimStatement(n: number): string {
  let text = claimSql.get(n);
  if (!text) {
    const others = Array.from({ length: n - 1 }, () => '?').join(', ');
    const head = `insert into "inbound_events" ("key", "event_type", "payload", "status", "received_at", "processed_at", "chat_id", "lease_until", "attempts") `;
    // Stored already leased (heldUntil), the first try has begun: attempts 1, as leaseDelivery counts.
    text =
      n === 1
        ? `${head}values (?, ?, ?, 'pending', ?, null, ?, ?, ?) on conflict ("key") do nothing returning "key", "status"`
        : `with "seen"("dup") as (select exists (select 1 from "inbound_events" where "key" in (${others}))) ${head}` +
          `select ?, ?, ?, case when "dup" then 'duplicate' else 'pending' end, ?, case when "dup" then ? end, ?, case when "dup" then null else ? end, case when "dup" then 0 else ? end from "seen"` +
          ` union all select ?, ?, '', 'duplicate', ?, ?, null, null, 0`.repeat(n - 1) +
          // `where true`: SQLite's upsert after INSERT … SELECT needs a WHERE to parse.
          ` where true on conflict ("key") do nothing returning "key", "status"`;
    claimSql.set(n, text);
  }
  return text;
}

/**
 * Records a delivery under each of its keys (event_id; msg:<message_id> for messages).
 * Returns true only for the one caller that inserted the first key and found no other key
 * taken: a repeat, in parallel or hours later, gets false (the same message under a new event_id
 * is stored as 'duplicate'). One INSERT … ON CONFLICT DO NOTHING … RETURNING, atomic on SQLite
 * and D1 alike (no transaction needed). `chatId` (messages) keeps each chat in order.
 * `heldUntil`: stored already leased (leaseDelivery) to the caller, who handles it at once.
 */
export async function claimDelivery(
  db: Db,
  keys: string[],
  eventType: string,
  payload: string,
  now: Date,
  chatId: string | null = null,
  heldUntil: Date | null = null,
): Promise<boolean> {
  const [primary, ...others] = keys;
  if (!primary) throw new Error('no key');
  const at = now.toISOString();
  const held = heldUntil?.toISOString() ?? null;
  const tries = held ? 1 : 0;
  const params: unknown[] = others.length === 0 ? [primary, eventType, payload, at, chatId, held, tries] : [...others, primary, eventType, payload, at, at, chatId, held, tries];
  for (const key of others) params.push(key, eventType, at, at);
  const { rows } = await db.executeQuery<{ key: string; status: string }>(CompiledQuery.raw(claimStatement(keys.length), params));
  return rows.some((r) => r.key === primary && r.status === 'pending');
}

const finishQuery = prepared((db, p: { key: string; status: string; at: string; error: string | null; response: string | null }) =>
  db
    .updateTable('inbound_events')
    .set({ status: p.status, processed_at: p.at, error: p.error, response: p.response, lease_until: null })
    .where('key', '=', p.key),
);

export async function finishDelivery(db: Db, key: string, status: 'done' | 'failed' | 'duplicate', now: Date, error?: string, response?: string): Promise<void> {
  await finishQuery.run(db, { key, status, at: now.toISOString(), error: error ?? null, response: response ?? null });
}

/** Nobody holds the row at `at`: never leased, or the lease (or the wait for a retry) is over. */
const free = (eb: ExpressionBuilder<Database, 'inbound_events'>, at: string) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]);

/**
 * An older message of the same chat is still pending (in hand, or waiting for a retry after a
 * failure): arrival order as pendingDeliveries reads it, received_at then rowid.
 */
const olderOfChatPending = sql<boolean>`EXISTS (
  SELECT 1 FROM inbound_events AS o
  WHERE o.chat_id = inbound_events.chat_id AND o.status = 'pending'
    AND o.received_at <= inbound_events.received_at
    AND (o.received_at < inbound_events.received_at OR o.rowid < inbound_events.rowid))`;

const leaseQuery = prepared((db, p: { key: string; at: string; until: string }) =>
  db
    .updateTable('inbound_events')
    // A try counts when it begins: one that never ends (the process dies in it, or on Workers
    // the invocation runs out of queries) still brings the delivery nearer to giving up.
    .set((eb) => ({ lease_until: p.until, attempts: eb('attempts', '+', 1) }))
    .where('key', '=', p.key)
    .where('status', '=', 'pending')
    .where((eb) => free(eb, p.at))
    .where((eb) => eb.not(olderOfChatPending))
    .returningAll(),
);

/**
 * Takes a pending delivery in hand until `now + leaseMs`; undefined when it is done, or another
 * handler holds it, or it waits for a retry, or an older message of its chat is not done yet
 * (that one failed for a passing reason and waits: this one waits behind it, so a chat's
 * messages are handled in order; it is read back once the older one is done or given up).
 * One UPDATE … RETURNING: atomic on SQLite and D1.
 */
export function leaseDelivery(db: Db, key: string, now: Date, leaseMs: number) {
  return leaseQuery.first(db, { key, at: now.toISOString(), until: new Date(now.getTime() + leaseMs).toISOString() });
}

/** Handling failed, maybe for a passing reason: leave it pending, to be tried again from `retryAt`. */
export async function retryDeliveryLater(db: Db, key: string, error: string, retryAt: Date): Promise<void> {
  await db
    .updateTable('inbound_events')
    .set({ error, lease_until: retryAt.toISOString() })
    .where('key', '=', key)
    .execute();
}

const byKeyQuery = prepared((db, p: { key: string }) => db.selectFrom('inbound_events').selectAll().where('key', '=', p.key));

export function deliveryByKey(db: Db, key: string) {
  return byKeyQuery.first(db, { key });
}

/**
 * Pending deliveries nobody holds, oldest first (in arrival order: received_at, then rowid, which
 * the status index carries): acknowledged but not yet handled, or due for another try.
 * `receivedBefore` leaves out the newest (recovery leaves them to the live queue); `chatId`
 * keeps one chat's.
 */
export function pendingDeliveries(db: Db, now: Date, limit: number, only: { receivedBefore?: Date; chatId?: string } = {}) {
  const at = now.toISOString();
  let q = db
    .selectFrom('inbound_events')
    .select(['key', 'chat_id'])
    .where('status', '=', 'pending')
    .where((eb) => free(eb, at));
  if (only.receivedBefore) q = q.where('received_at', '<', only.receivedBefore.toISOString());
  // One chat's: the message that waited behind one just handled (inbound_events_chat_pending).
  if (only.chatId) q = q.where('chat_id', '=', only.chatId);
  return q.orderBy('received_at').orderBy(sql`rowid`).limit(limit).execute();
}

/**
 * Deliveries an earlier run of this process was handling when it died (pending under a lease)
 * may be taken again now. Only for an entry that is the one process on its database (Node).
 * Deliveries waiting for a retry after a failure are held the same way, and are tried now too.
 */
export async function releaseInboundLeases(db: Db, now: Date): Promise<number> {
  const r = await db
    .updateTable('inbound_events')
    .set({ lease_until: null })
    .where('status', '=', 'pending')
    .where('lease_until', '>', now.toISOString())
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
