import { orgByCode } from '../../../db/repos/directory.js';
import { subtreeUpperBound } from '../../domain/org-path.js';
import type { Deps } from '../deps.js';

export interface LedgerRow {
  orgCode: string;
  orgName: string;
  year: number;
  versionNo: number;
  status: string;
  secretary: string;
  n: number;
  content: string;
  standard: string;
  due: string;
  done: boolean;
  doneAt: string | null;
  follows: boolean;
  reviewer: string;
  reviewedAt: string | null;
}

/**
 * 台账: every item of the pledge in force (else the latest version) of each organization in
 * a subtree, page by page so a province-size export never holds everything in memory.
 */
export async function* ledgerRows(deps: Pick<Deps, 'db'>, input: { orgPath: string | null; year: number; pageSize?: number }): AsyncGenerator<LedgerRow> {
  const pageSize = input.pageSize ?? 500;
  let afterPledge = 0;
  for (;;) {
    let q = deps.db
      .selectFrom('pledges')
      .innerJoin('organizations', 'organizations.id', 'pledges.org_id')
      .select(['pledges.id', 'pledges.current_version_id', 'organizations.code', 'organizations.name'])
      .where('pledges.year', '=', input.year)
      .where('pledges.id', '>', afterPledge)
      .orderBy('pledges.id')
      .limit(pageSize);
    if (input.orgPath) q = q.where('organizations.path', '>=', input.orgPath).where('organizations.path', '<', subtreeUpperBound(input.orgPath));
    const pledges = await q.execute();
    if (pledges.length === 0) return;
    afterPledge = pledges.at(-1)!.id;
    for (const p of pledges) {
      const version = await deps.db
        .selectFrom('pledge_versions')
        .selectAll()
        .where('pledge_id', '=', p.id)
        .$if(p.current_version_id !== null, (qb) => qb.where('id', '=', p.current_version_id!))
        .orderBy('version_no', 'desc')
        .executeTakeFirst();
      if (!version) continue;
      const items = await deps.db.selectFrom('pledge_items').selectAll().where('version_id', '=', version.id).orderBy('position').execute();
      const states = await deps.db.selectFrom('item_states').select(['item_key', 'done_at']).where('pledge_id', '=', p.id).execute();
      const doneAt = new Map(states.map((s) => [s.item_key, s.done_at]));
      for (const i of items) {
        yield {
          orgCode: p.code,
          orgName: p.name,
          year: input.year,
          versionNo: version.version_no,
          status: version.status,
          secretary: version.submitted_by_name ?? '',
          n: i.position,
          content: i.content,
          standard: i.standard,
          due: i.due_date,
          done: doneAt.has(i.item_key),
          doneAt: doneAt.get(i.item_key) ?? null,
          follows: i.follows_key !== null,
          reviewer: version.reviewed_by_name ?? '',
          reviewedAt: version.reviewed_at,
        };
      }
    }
  }
}

export async function ledgerScope(deps: Pick<Deps, 'db'>, orgCode: string | undefined): Promise<{ ok: true; path: string | null; name: string } | { ok: false; reason: string }> {
  if (!orgCode) return { ok: true, path: null, name: '全部组织' };
  const org = await orgByCode(deps.db, orgCode);
  return org ? { ok: true, path: org.path, name: org.name } : { ok: false, reason: `没有编码为「${orgCode.slice(0, 64)}」的组织。` };
}
