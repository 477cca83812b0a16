import { orgById } from '../../../db/repos/directory.js';
import { queuedKeysWithPrefix } from '../../../db/repos/outbox.js';
import { subtreeUpperBound } from '../../domain/org-path.js';
import type { Deps } from '../deps.js';
import { loadPledgeContext } from './pledge-context.js';
import { reviewCardFor } from './review-card.js';
import { reviewCardKey } from './file-pledge.js';
import { reviewersOf } from './reviewers-of.js';

/** What changed in the directory that may change who reviews a waiting submission. */
export interface ReviewerChanges {
  /** Organizations whose leaders changed: they review the submissions of the organizations directly below. */
  leadersAt: Set<number>;
  /** Organizations whose admins changed: they review below them where a parent has no leader. */
  adminsAt: Set<number>;
  /** Organizations moved to another parent: their own submissions have other reviewers now. */
  moved: Set<number>;
}

/** D1 binds at most 100 values to a statement: scopes go in groups. */
const CHUNK = 40;

/**
 * After a directory import: each submission waiting where reviewers may have changed goes to
 * whoever reviews it now and has not got its card (a new leader; the admins above once the last
 * leader left). Only those submissions are read (by subtree in SQL), and a card is built only
 * when someone lacks it. `cards`: review cards queued; `unreviewed`: organizations whose waiting
 * submission has nobody to review it now.
 */
export async function resendPendingReviews(deps: Deps, changes: ReviewerChanges): Promise<{ cards: number; unreviewed: string[] }> {
  const result = { cards: 0, unreviewed: [] as string[] };
  const adminPaths = changes.adminsAt.size ? (await deps.db.selectFrom('organizations').select('path').where('id', 'in', [...changes.adminsAt]).execute()).map((o) => o.path) : [];
  const waiting = new Map<number, { id: number; revision: number; submitted_by: string | null; org_id: number }>();
  const base = () =>
    deps.db
      .selectFrom('pledge_versions')
      .innerJoin('pledges', 'pledges.id', 'pledge_versions.pledge_id')
      .innerJoin('organizations', 'organizations.id', 'pledges.org_id')
      .select(['pledge_versions.id', 'pledge_versions.revision', 'pledge_versions.submitted_by', 'pledges.org_id'])
      .where('pledge_versions.status', '=', 'submitted');
  const parents = [...changes.leadersAt];
  const own = [...changes.moved];
  for (let i = 0; i < parents.length; i += CHUNK) for (const v of await base().where('organizations.parent_id', 'in', parents.slice(i, i + CHUNK)).execute()) waiting.set(v.id, v);
  for (let i = 0; i < own.length; i += CHUNK) for (const v of await base().where('organizations.id', 'in', own.slice(i, i + CHUNK)).execute()) waiting.set(v.id, v);
  for (let i = 0; i < adminPaths.length; i += CHUNK) {
    const group = adminPaths.slice(i, i + CHUNK);
    const rows = await base()
      .where((eb) => eb.or(group.map((p) => eb.and([eb('organizations.path', '>', p), eb('organizations.path', '<', subtreeUpperBound(p))]))))
      .execute();
    for (const v of rows) waiting.set(v.id, v);
  }
  for (const v of waiting.values()) {
    const org = await orgById(deps.db, v.org_id);
    if (!org) continue;
    const { people } = await reviewersOf(deps, org, v.submitted_by);
    if (people.length === 0) {
      result.unreviewed.push(`${org.name}（${org.code}）`);
      continue;
    }
    const have = await queuedKeysWithPrefix(deps.db, reviewCardKey(v.id, v.revision, ''));
    const missing = people.filter((p) => !have.has(reviewCardKey(v.id, v.revision, p.open_id!)));
    if (missing.length === 0) continue;
    const ctx = await loadPledgeContext(deps, v.id);
    if (!ctx) continue;
    const card = await reviewCardFor(deps, ctx);
    for (const p of missing) await deps.outbox.enqueue({ key: reviewCardKey(v.id, v.revision, p.open_id!), to: { openId: p.open_id! }, card });
    result.cards += missing.length;
  }
  return result;
}
