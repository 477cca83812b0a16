import { sql, type Kysely } from 'kysely';
import { auditHash, GENESIS_HASH, type AuditHead } from '../../src/domain/audit-hash.js';
import type { AuditRow, Database } from '../schema.js';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/**
 * Appends one link to the hash chain. The insert is one statement that only adds the row if the
 * tail is still the one it was hashed over, so racing writers never fork the chain and a lost
 * race uses up no id (ids stay gapless, which verifyChain checks); the loser retries on the new
 * tail. No transaction needed (D1 has none). prev_hash is UNIQUE as a second guard.
 *
 * The head (row count = the tail's id, and its hash) is read from the table by its own
 * statement, so whichever appender writes last leaves the true head; no count(*) scan. Both
 * statements are handed to one connection before either is awaited: on better-sqlite-dialect
 * a write runs when it is handed over and is committed with the rest of that turn's writes, so
 * the row and its head share one commit (awaiting the insert first would wait for its commit and
 * put the head in the next one, and `audit verify` from another connection saw a row without its
 * head). Inside a caller's transaction they are in it. On D1 they are two requests, sent in this
 * order but not atomic (making them so needs the binding's batch(), which Kysely does not reach):
 * the head can only be behind the rows, never ahead, and verifyChain accepts that.
 * A lost race still writes the head: the true one, harmlessly.
 *
 * `once`: a step finished again after a cut (a repeated press, recovery) writes its row only if
 * the log has no row for the same action on the same entity at or after `since` (the same action
 * may be logged before, e.g. a pledge returned twice). The check is part of the insert, so two
 * such finishes racing each other write one row. Resolves whether this call wrote it.
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry, at: Date, opts: { once?: { since: string } } = {}): Promise<boolean> {
  const entityId = String(entry.entityId);
  const logged = (since: string) =>
    sql`EXISTS (SELECT 1 FROM audit_log WHERE entity = ${entry.entity} AND entity_id = ${entityId} AND action = ${entry.action} AND at >= ${since})`;
  for (let attempt = 0; attempt < 50; attempt++) {
    const tail = await db.selectFrom('audit_log').select(['hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const f = {
      at: at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      entity: entry.entity,
      entity_id: entityId,
      before: json(entry.before),
      after: json(entry.after),
      prev_hash: tail?.hash ?? GENESIS_HASH,
    };
    const insert = sql`
      INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after, prev_hash, hash)
      SELECT ${f.at}, ${f.actor}, ${f.action}, ${f.entity}, ${f.entity_id}, ${f.before}, ${f.after}, ${f.prev_hash}, ${auditHash(f)}
      WHERE coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), ${GENESIS_HASH}) = ${f.prev_hash}
        ${opts.once ? sql`AND NOT ${logged(opts.once.since)}` : sql``}`.compile(db);
    const head = sql`
      INSERT INTO settings (key, value)
      SELECT 'audit_head', json_object('count', id, 'hash', hash) FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`.compile(db);
    const [inserted] = await db.getExecutor().provideConnection((conn) => Promise.all([conn.executeQuery(insert), conn.executeQuery(head)]));
    if (Number(inserted.numAffectedRows ?? 0n) === 1) return true;
    // Not written: the tail moved (try again on the new one), or the step is in the log already.
    if (opts.once && (await sql<{ yes: number }>`SELECT ${logged(opts.once.since)} AS yes`.execute(db)).rows[0]?.yes) return false;
  }
  throw new Error('audit chain contention');
}

/** The log's rows for these actions on these entities, oldest first (e.g. every return of some versions, for their history). */
export function auditRowsFor(db: Kysely<Database>, q: { entity: string; entityIds: (string | number)[]; actions: string[] }) {
  return db
    .selectFrom('audit_log')
    .select(['entity_id', 'at', 'after'])
    .where('entity', '=', q.entity)
    .where('entity_id', 'in', q.entityIds.length ? q.entityIds.map(String) : [''])
    .where('action', 'in', q.actions)
    .orderBy('id')
    .execute();
}

/**
 * Tables whose every row is created together with an audit entry (the directory import, group
 * binding): rows here with no audit log at all mean the log was deleted, which a hash chain and
 * its head (deleted with it) cannot show by themselves.
 */
const AUDITED_TABLES = ['organizations', 'people', 'roles', 'chat_bindings'] as const;

export interface AuditSnapshot {
  rows: AuditRow[];
  head: AuditHead | undefined;
  /** Rows in the audited tables (AUDITED_TABLES). */
  audited: number;
}

type SnapshotRow = AuditRow & { part: 0 | 1; head: string | null; audited: number | null };

/**
 * The whole log, its head and the audited tables' row count as of one moment: one statement
 * (a SELECT sees one snapshot on SQLite and on D1), not a read per table, so appends committed
 * meanwhile by another connection cannot make a row and the head disagree. The first row
 * (part 0) carries the head and the count; the rest are the log.
 */
export async function readAudit(db: Kysely<Database>): Promise<AuditSnapshot> {
  const audited = sql.join(AUDITED_TABLES.map((t) => sql`(SELECT count(*) FROM ${sql.table(t)})`), sql` + `);
  const { rows } = await sql<SnapshotRow>`
    SELECT 0 AS part, NULL AS id, NULL AS at, NULL AS actor, NULL AS action, NULL AS entity, NULL AS entity_id,
           NULL AS before, NULL AS after, NULL AS prev_hash, NULL AS hash,
           (SELECT value FROM settings WHERE key = 'audit_head') AS head, ${audited} AS audited
    UNION ALL
    SELECT 1, id, at, actor, action, entity, entity_id, before, after, prev_hash, hash, NULL, NULL FROM audit_log
    ORDER BY part, id`.execute(db);
  const [meta, ...log] = rows;
  return {
    rows: log.map(({ part: _p, head: _h, audited: _a, ...row }) => row),
    head: meta?.head ? (JSON.parse(meta.head) as AuditHead) : undefined,
    audited: Number(meta?.audited ?? 0),
  };
}
