import { sql, type Kysely } from 'kysely';
import { auditHash, GENESIS_HASH } from '../../src/domain/audit-hash.js';
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
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry, at: Date): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const tail = await db.selectFrom('audit_log').select(['hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const f = {
      at: at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      entity: entry.entity,
      entity_id: String(entry.entityId),
      before: json(entry.before),
      after: json(entry.after),
      prev_hash: tail?.hash ?? GENESIS_HASH,
    };
    const inserted = await sql`
      INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after, prev_hash, hash)
      SELECT ${f.at}, ${f.actor}, ${f.action}, ${f.entity}, ${f.entity_id}, ${f.before}, ${f.after}, ${f.prev_hash}, ${auditHash(f)}
      WHERE coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), ${GENESIS_HASH}) = ${f.prev_hash}`.execute(db);
    if (Number(inserted.numAffectedRows ?? 0n) === 1) {
      // The head (row count = the tail's id, and its hash) is read from the table in the same
      // statement, so whichever appender writes last leaves the true head; no count(*) scan.
      await sql`
        INSERT INTO settings (key, value)
        SELECT 'audit_head', json_object('count', id, 'hash', hash) FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`.execute(db);
      return;
    }
  }
  throw new Error('audit chain contention');
}

export async function readAudit(db: Kysely<Database>): Promise<{ rows: AuditRow[]; head: { count: number; hash: string } | undefined }> {
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('id').execute();
  const headRow = await db.selectFrom('settings').select('value').where('key', '=', 'audit_head').executeTakeFirst();
  return { rows, head: headRow ? (JSON.parse(headRow.value) as { count: number; hash: string }) : undefined };
}
