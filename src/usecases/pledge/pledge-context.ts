import { localYear } from '../../domain/dates.js';
import { randomUUID } from 'node:crypto';
import { chatsOf, orgById } from '../../../db/repos/directory.js';
import { itemsOf, pledgeById, profileOf, versionById } from '../../../db/repos/pledges.js';
import type { Organization, PledgeRow, PledgeVersionRow } from '../../../db/schema.js';
import type { PledgeView } from '../../../cards/pledge-view.js';
import type { Times } from '../../../cards/pledge-cards.js';
import { chineseDateTime } from '../../domain/dates.js';
import { isPublished, type OrgRef } from '../../domain/pledge-rules.js';
import type { PledgeStatus } from '../../domain/pledge-status.js';
import type { Deps } from '../deps.js';
import { deadlineFor } from './deadline-for.js';

export interface PledgeContext {
  version: PledgeVersionRow;
  pledge: PledgeRow;
  org: Organization;
  orgRef: OrgRef;
  view: PledgeView;
  times: Times;
}

export const newItemKey = (): string => `it_${randomUUID().replace(/-/g, '').slice(0, 16)}`;

export const refOf = (o: Organization): OrgRef => ({ id: o.id, path: o.path, parentId: o.parent_id });

/** Everything a pledge card needs, from the database (the card's own data is never trusted). */
export async function loadPledgeContext(deps: Deps, versionId: number): Promise<PledgeContext | undefined> {
  const version = await versionById(deps.db, versionId);
  if (!version) return undefined;
  const pledge = await pledgeById(deps.db, version.pledge_id);
  const org = pledge ? await orgById(deps.db, pledge.org_id) : undefined;
  if (!pledge || !org) return undefined;
  const [items, done, reviewOrg, deadline, groups] = await Promise.all([
    itemsOf(deps.db, version.id),
    deps.db.selectFrom('item_states').select('item_key').where('pledge_id', '=', pledge.id).execute(),
    version.review_org_id ? orgById(deps.db, version.review_org_id) : Promise.resolve(undefined),
    deadlineFor(deps, org.path, pledge.year, 'pledge'),
    chatsOf(deps.db, org.id),
  ]);
  const doneKeys = new Set(done.map((d) => d.item_key));
  // A re-pledge points at the completed item it follows; show that item's number in this version.
  const followed = new Map<string, number>();
  if (items.some((i) => i.follows_key)) {
    const prior = await deps.db
      .selectFrom('pledge_items')
      .innerJoin('pledge_versions', 'pledge_versions.id', 'pledge_items.version_id')
      .select(['pledge_items.item_key', 'pledge_items.position', 'pledge_versions.version_no'])
      .where('pledge_versions.pledge_id', '=', pledge.id)
      // Versions that never took effect do not number the items (a withdrawn one sorts after the one in force).
      .where('pledge_versions.status', 'not in', ['withdrawn', 'abandoning'])
      .orderBy('pledge_versions.version_no')
      .execute();
    for (const p of prior) followed.set(p.item_key, p.position);
    for (const i of items) followed.set(i.item_key, i.position);
  }
  const view: PledgeView = {
    pledgeId: pledge.id,
    versionId: version.id,
    versionNo: version.version_no,
    revision: version.revision,
    status: version.status as PledgeStatus,
    year: pledge.year,
    orgName: org.name,
    orgCode: org.code,
    profile: profileOf(version),
    items: items.map((i) => ({ n: i.position, key: i.item_key, content: i.content, standard: i.standard, due: i.due_date, followsN: i.follows_key ? followed.get(i.follows_key) : undefined, done: doneKeys.has(i.item_key) })),
    signedBy: version.submitted_by_name,
    signedAt: version.submitted_at,
    review:
      // Only a decision that approved it: a returned (or then withdrawn) version's opinion is a return, not a 审定意见.
      version.reviewed_at && isPublished(version.status)
        ? { opinion: version.opinion ?? '', reviewerName: version.reviewed_by_name ?? '', reviewOrgName: reviewOrg?.name ?? '', reviewedAt: version.reviewed_at }
        : null,
    // A resubmission keeps the opinion it was returned with until it is decided again.
    previousReturn: version.status === 'submitted' && version.opinion ? version.opinion : null,
    groups: groups.length,
    deadline,
    yearBegun: localYear(deps.now(), deps.timeZone) >= pledge.year,
  };
  const fmt = (iso: string | null) => (iso ? chineseDateTime(new Date(iso), deps.timeZone) : undefined);
  return { version, pledge, org, orgRef: refOf(org), view, times: { signedAt: fmt(version.submitted_at), reviewedAt: fmt(version.reviewed_at) } };
}
