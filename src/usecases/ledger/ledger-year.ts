import { subtreeUpperBound } from '../../domain/org-path.js';
import { yearsInView } from '../../domain/cycle.js';
import { localDate } from '../../domain/dates.js';
import type { Deps } from '../deps.js';

/**
 * The year a 台账 asked for without one is of: the year being carried out, which in November and
 * December is still this one (its fourth quarter and its appraisal), not the coming year that
 * secretaries are filing for; the coming year only while nothing of this year is in the subtree
 * (a bot started in November). `other` is the year left out, to offer in the answer.
 */
export async function ledgerYear(deps: Pick<Deps, 'db' | 'now' | 'timeZone'>, orgPath: string | null): Promise<{ year: number; other?: number }> {
  const [newest, ...older] = yearsInView(localDate(deps.now(), deps.timeZone));
  const inForce = older[0] ?? newest!;
  if (inForce === newest) return { year: inForce };
  const coming = newest!;
  let q = deps.db.selectFrom('pledges').innerJoin('organizations', 'organizations.id', 'pledges.org_id').select('pledges.id').where('pledges.year', '=', inForce);
  if (orgPath) q = q.where('organizations.path', '>=', orgPath).where('organizations.path', '<', subtreeUpperBound(orgPath));
  const any = await q.limit(1).executeTakeFirst();
  return any ? { year: inForce, other: coming } : { year: coming, other: inForce };
}
