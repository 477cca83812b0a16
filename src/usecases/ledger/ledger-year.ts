import { HAS_SUBMISSION } from '../../../db/repos/pledges.js';
import { subtreeUpperBound } from '../../domain/org-path.js';
import { yearsInView } from '../../domain/cycle.js';
import { localDate } from '../../domain/dates.js';
import type { Deps } from '../deps.js';

type LedgerDeps = Pick<Deps, 'db' | 'now' | 'timeZone'>;

/** Whether any organization in the subtree (all of them for null) has a pledge for `year` with something submitted. */
async function hasPledges(deps: LedgerDeps, orgPath: string | null, year: number): Promise<boolean> {
  let q = deps.db.selectFrom('pledges').innerJoin('organizations', 'organizations.id', 'pledges.org_id').select('pledges.id').where('pledges.year', '=', year).where(HAS_SUBMISSION);
  if (orgPath) q = q.where('organizations.path', '>=', orgPath).where('organizations.path', '<', subtreeUpperBound(orgPath));
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/**
 * The year a 台账 asked for without one is of: the year being carried out, which in November and
 * December is still this one (its fourth quarter and its appraisal), not the coming year that
 * secretaries are filing for; the coming year only while nothing of this year is in the subtree
 * (a bot started in November). `other`: the year left out, when the subtree has pledges for it,
 * to offer in the answer.
 */
export async function ledgerYear(deps: LedgerDeps, orgPath: string | null): Promise<{ year: number; other?: number }> {
  const [coming, inForce] = yearsInView(localDate(deps.now(), deps.timeZone));
  if (inForce === undefined) return { year: coming! };
  const [hasInForce, hasComing] = await Promise.all([hasPledges(deps, orgPath, inForce), hasPledges(deps, orgPath, coming!)]);
  // Nothing of the year in force: the one being filed (November, December) is what there is, or will be.
  if (!hasInForce) return { year: coming! };
  return { year: inForce, other: hasComing ? coming : undefined };
}
