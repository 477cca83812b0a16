import { createHash } from 'node:crypto';

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export const GENESIS_HASH = 'genesis';

export interface AuditFields {
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
}

/** The chain link: hash of the previous hash and this row's fields, in a fixed order. */
export function auditHash(f: AuditFields): string {
  return sha256Hex(
    JSON.stringify([f.prev_hash, f.at, f.actor, f.action, f.entity, f.entity_id, f.before, f.after]),
  );
}

export interface ChainProblem {
  id: number;
  problem: string;
}

/** settings.audit_head: the row count (= the tail's id) and the tail's hash, kept outside the log. */
export interface AuditHead {
  count: number;
  hash: string;
}

/**
 * Walks rows in id order; reports every broken link, gap and a head that does not match.
 * `audited` is the number of rows in the tables every change of which is audited: with none of
 * the log left (rows and head deleted together) it is what still shows the log was there.
 */
export function verifyChain(rows: (AuditFields & { id: number; hash: string })[], head: AuditHead | undefined, audited: number): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let prev = GENESIS_HASH;
  let lastId = 0;
  for (const row of rows) {
    if (row.id !== lastId + 1) problems.push({ id: row.id, problem: `第 ${lastId + 1}–${row.id - 1} 条记录缺失 (rows missing)` });
    if (row.prev_hash !== prev) problems.push({ id: row.id, problem: '与上一条记录的链接断开 (chain broken)' });
    if (auditHash(row) !== row.hash) problems.push({ id: row.id, problem: '内容被修改 (row edited)' });
    prev = row.hash;
    lastId = row.id;
  }
  if (rows.length === 0) {
    if ((head && head.count > 0) || audited > 0) {
      problems.push({
        id: 0,
        problem:
          `审计日志似乎已被整体删除：日志为空，但${head ? `头部记录了 ${head.count} 条，` : ''}组织、人员、角色、群绑定表中有 ${audited} 行 ` +
          `(the audit log appears to have been deleted: it is empty, but ${head ? `its head counts ${head.count} rows and ` : ''}the audited tables hold ${audited} rows)`,
      });
    }
  } else if (!head || lastId < head.count || rows.find((r) => r.id === head.count)?.hash !== head.hash) {
    // (By id, not position: a row missing in the middle is reported above as a gap, not again here.)
    // Rows after the one the head names are not a problem: an append whose head is not written
    // yet (on D1 the row and the head are two requests; a crash can fall between them). The
    // head only ever lags, so one naming a row that is not there means rows were removed.
    problems.push({ id: lastId, problem: '末尾记录被删除或替换 (tail truncated)' });
  }
  return problems;
}
