import type { Kysely } from 'kysely';
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
 * Appends one link to the hash chain. prev_hash is UNIQUE, so when two writers race for the
 * same tail, one insert fails and retries on the new tail: the chain never forks.
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry, at: Date): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tail = await db.selectFrom('audit_log').select(['hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const fields = {
      at: at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      entity: entry.entity,
      entity_id: String(entry.entityId),
      before: json(entry.before),
      after: json(entry.after),
      prev_hash: tail?.hash ?? GENESIS_HASH,
    };
    const hash = auditHash(fields);
    const inserted = await db
      .insertInto('audit_log')
      .values({ ...fields, hash })
      .onConflict((oc) => oc.column('prev_hash').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) {
      const count = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      await db
        .insertInto('settings')
        .values({ key: 'audit_head', value: JSON.stringify({ count: Number(count.n), hash }) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify({ count: Number(count.n), hash }) }))
        .execute();
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
