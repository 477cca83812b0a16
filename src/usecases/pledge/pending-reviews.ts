import { subtreeUpperBound } from '../../domain/org-path.js';
import { canReview, isOwnPledge } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';

export interface PendingReview {
  versionId: number;
  versionNo: number;
  orgName: string;
  orgCode: string;
  year: number;
  submittedBy: string | null;
  submittedAt: string | null;
}

/** `审核`: submitted pledges the asker may decide, oldest first. */
export async function pendingReviews(deps: Deps, openId: string, limit = 20): Promise<{ items: PendingReview[]; total: number; canReviewAny: boolean }> {
  const me = await whoIs(deps, openId);
  const scopes = me.grants.filter((g) => g.role === 'leader' || g.role === 'admin');
  const seen = new Map<number, PendingReview & { at: string }>();
  for (const g of scopes) {
    const rows = await deps.db
      .selectFrom('pledge_versions')
      .innerJoin('pledges', 'pledges.id', 'pledge_versions.pledge_id')
      .innerJoin('organizations', 'organizations.id', 'pledges.org_id')
      .select(['pledge_versions.id', 'pledge_versions.version_no', 'pledge_versions.submitted_by', 'pledge_versions.submitted_by_name', 'pledge_versions.submitted_at', 'pledges.year', 'organizations.id as orgId', 'organizations.name', 'organizations.code', 'organizations.path', 'organizations.parent_id'])
      .where('pledge_versions.status', '=', 'submitted')
      .where('organizations.path', '>=', g.orgPath)
      .where('organizations.path', '<', subtreeUpperBound(g.orgPath))
      .execute();
    for (const r of rows) {
      const org = { id: r.orgId, path: r.path, parentId: r.parent_id };
      // As reviewPledge decides: not one's own.
      if (seen.has(r.id) || !canReview(me.grants, org) || isOwnPledge(me.grants, org, r.submitted_by, openId)) continue;
      seen.set(r.id, { versionId: r.id, versionNo: r.version_no, orgName: r.name, orgCode: r.code, year: r.year, submittedBy: r.submitted_by_name, submittedAt: r.submitted_at, at: r.submitted_at ?? '' });
    }
  }
  const all = [...seen.values()].sort((a, b) => a.at.localeCompare(b.at));
  return { items: all.slice(0, limit), total: all.length, canReviewAny: scopes.length > 0 };
}
