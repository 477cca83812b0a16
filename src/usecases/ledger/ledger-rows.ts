import { orgByCode } from '../../../db/repos/directory.js';
import { HAS_SUBMISSION } from '../../../db/repos/pledges.js';
import { subtreeUpperBound } from '../../domain/org-path.js';
import { isPublished } from '../../domain/pledge-rules.js';
import { wasReturned } from '../../domain/pledge-status.js';
import { parseReturnedContent } from '../pledge/returned-content.js';
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
 * a subtree, page by page so a province-size export never holds everything in memory. Each page
 * of organizations takes five queries, not three per organization: on Workers an invocation may
 * make only so many (D1: 1,000 on Paid), and D1 binds at most 100 parameters to one, hence
 * pages of 90.
 */
export async function* ledgerRows(deps: Pick<Deps, 'db'>, input: { orgPath: string | null; year: number; pageSize?: number }): AsyncGenerator<LedgerRow> {
  const pageSize = Math.min(input.pageSize ?? 90, 90);
  let afterPledge = 0;
  for (;;) {
    let q = deps.db
      .selectFrom('pledges')
      .innerJoin('organizations', 'organizations.id', 'pledges.org_id')
      .select(['pledges.id', 'pledges.current_version_id', 'organizations.code', 'organizations.name'])
      .where('pledges.year', '=', input.year)
      .where(HAS_SUBMISSION) // a first draft never submitted is its secretary's alone: in nobody's ledger yet
      .where('pledges.id', '>', afterPledge)
      .orderBy('pledges.id')
      .limit(pageSize);
    if (input.orgPath) q = q.where('organizations.path', '>=', input.orgPath).where('organizations.path', '<', subtreeUpperBound(input.orgPath));
    const pledges = await q.execute();
    if (pledges.length === 0) return;
    afterPledge = pledges.at(-1)!.id;
    const versionOf = await versionsFor(deps, pledges);
    const versionIds = [...versionOf.values()].map((v) => v.id);
    const items = versionIds.length ? await deps.db.selectFrom('pledge_items').selectAll().where('version_id', 'in', versionIds).orderBy('version_id').orderBy('position').execute() : [];
    const states = await deps.db.selectFrom('item_states').select(['pledge_id', 'item_key', 'done_at']).where('pledge_id', 'in', pledges.map((p) => p.id)).execute();
    const doneAt = new Map(states.map((st) => [`${st.pledge_id}:${st.item_key}`, st.done_at]));
    const itemsOf = new Map<number, typeof items>();
    for (const i of items) {
      const list = itemsOf.get(i.version_id);
      if (list) list.push(i);
      else itemsOf.set(i.version_id, [i]);
    }
    for (const p of pledges) {
      const version = versionOf.get(p.id);
      if (!version) continue;
      const live = itemsOf.get(version.id) ?? [];
      const approved = isPublished(version.status);
      // A returned version is edited in place by its secretary: the ledger holds it as returned.
      const returned = wasReturned(version.status) ? parseReturnedContent(version.returned_content) : undefined;
      const follows = new Set(live.filter((i) => i.follows_key !== null).map((i) => i.item_key));
      const rows = returned
        ? returned.items.map((i, at) => ({ item_key: i.key, position: at + 1, content: i.content, standard: i.standard, due_date: i.due, follows: follows.has(i.key) }))
        : live.map((i) => ({ ...i, follows: i.follows_key !== null }));
      for (const i of rows) {
        const done = doneAt.get(`${p.id}:${i.item_key}`);
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
          done: done !== undefined,
          doneAt: done ?? null,
          follows: i.follows,
          // 审定人 / 审定日期 of an approval only: a returned version's are who returned it, and when.
          reviewer: approved ? (version.reviewed_by_name ?? '') : '',
          reviewedAt: approved ? version.reviewed_at : null,
        };
      }
    }
  }
}

/** For each pledge of a page: its version in force, else its latest one (two queries). */
async function versionsFor(deps: Pick<Deps, 'db'>, pledges: { id: number; current_version_id: number | null }[]) {
  const current = pledges.flatMap((p) => (p.current_version_id === null ? [] : [p.current_version_id]));
  const none = pledges.filter((p) => p.current_version_id === null).map((p) => p.id);
  const rows = [
    ...(current.length ? await deps.db.selectFrom('pledge_versions').selectAll().where('id', 'in', current).execute() : []),
    ...(none.length
      ? await deps.db
          .selectFrom('pledge_versions as v')
          .selectAll()
          .where('v.pledge_id', 'in', none)
          .where('v.version_no', '=', (eb) => eb.selectFrom('pledge_versions as w').select((w) => w.fn.max('w.version_no').as('n')).whereRef('w.pledge_id', '=', 'v.pledge_id'))
          .execute()
      : []),
  ];
  return new Map(rows.map((v) => [v.pledge_id, v]));
}

export async function ledgerScope(deps: Pick<Deps, 'db'>, orgCode: string | undefined): Promise<{ ok: true; path: string | null; name: string } | { ok: false; reason: string }> {
  if (!orgCode) return { ok: true, path: null, name: '全部组织' };
  const org = await orgByCode(deps.db, orgCode);
  return org ? { ok: true, path: org.path, name: org.name } : { ok: false, reason: `没有编码为「${orgCode.slice(0, 64)}」的组织。` };
}
