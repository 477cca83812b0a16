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

/** Walks rows in id order; reports every broken link, gap and a head that does not match. */
export function verifyChain(
  rows: (AuditFields & { id: number; hash: string })[],
  head: { count: number; hash: string } | undefined,
): ChainProblem[] {
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
  if (head ? head.count !== rows.length || head.hash !== prev : rows.length > 0) {
    problems.push({ id: lastId, problem: '末尾记录被删除或替换 (tail truncated)' });
  }
  return problems;
}
