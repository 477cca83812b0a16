import type { Grant } from './roles.js';

/** An organization as the rules see it: its id, path and parent. */
export interface OrgRef {
  id: number;
  path: string;
  parentId: number | null;
}

/** Only the organization's own (current) secretary files and revises its pledge. */
export function canFile(grants: Grant[], org: OrgRef): boolean {
  return grants.some((g) => g.role === 'secretary' && g.orgId === org.id);
}

/**
 * Nobody reviews what they filed or their own organization's pledge, even holding a role above
 * (a secretary who also leads the parent committee, an office admin who is also a branch secretary).
 */
export function isOwnPledge(grants: Grant[], org: OrgRef, submittedBy: string | null, openId: string): boolean {
  return submittedBy === openId || canFile(grants, org);
}

/** Leaders and admins of the organization or of one above it: they supervise it. */
const supervises = (grants: Grant[], org: OrgRef): boolean =>
  grants.some((g) => (g.role === 'leader' || g.role === 'admin') && org.path.startsWith(g.orgPath));

/**
 * The organization in whose name a reviewer decides (the 盖章 on the printable form): the direct
 * parent for its leader, else the nearest organization above where the reviewer is an admin.
 * Undefined for anyone who may not review (canReview).
 */
export function reviewingOrgId(grants: Grant[], org: OrgRef): number | undefined {
  if (org.parentId === null) return undefined;
  if (grants.some((g) => g.role === 'leader' && g.orgId === org.parentId)) return org.parentId;
  const admin = grants
    .filter((g) => g.role === 'admin' && g.orgId !== org.id && org.path.startsWith(g.orgPath))
    .sort((a, b) => b.orgPath.length - a.orgPath.length)[0];
  return admin?.orgId;
}

/**
 * 审定 belongs to the superior organization: leaders of the direct parent, or admins of the
 * parent or any organization above it. Nobody reviews their own organization's pledge.
 */
export function canReview(grants: Grant[], org: OrgRef): boolean {
  return reviewingOrgId(grants, org) !== undefined;
}

/** Who may read a pledge (any version, opinions, the printable form). */
export function canRead(grants: Grant[], org: OrgRef): boolean {
  return grants.some((g) => g.orgId === org.id) || supervises(grants, org);
}

/**
 * Who may take a subtree's ledger (台账): leaders and admins of the organization or above it.
 * A secretary or member reads their own pledge, not everyone's below it (drafts included).
 */
export function canReadLedger(grants: Grant[], org: OrgRef): boolean {
  return supervises(grants, org);
}

/** Versions that were approved are public (公示) — the 公开承诺书 to print and post; the others are work in progress. */
const PUBLISHED = new Set(['approved', 'superseded']);
export const isPublished = (status: string): boolean => PUBLISHED.has(status);

/**
 * Who may read one version: a published one, whoever may read the pledge; one submitted but not
 * (yet) approved (awaiting review, returned, withdrawn), its secretary and the leaders and admins
 * at or above the organization, who review and supervise it; a draft never submitted, its
 * secretary only (it is theirs until they sign it) — not its members.
 */
export function canReadVersion(grants: Grant[], org: OrgRef, status: string): boolean {
  if (PUBLISHED.has(status)) return canRead(grants, org);
  if (status === 'draft') return canFile(grants, org);
  return canFile(grants, org) || supervises(grants, org);
}

/** Who may give an opinion on a published pledge: anyone of the organization, or above it. */
export function canComment(grants: Grant[], org: OrgRef): boolean {
  return grants.some((g) => org.path.startsWith(g.orgPath));
}
