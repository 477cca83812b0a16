import { sql, type Kysely, type SqlBool } from 'kysely';
import type { PledgeDraft, PledgeItemDraft, PledgeProfile } from '../../src/domain/pledge-form.js';
import { subtreeUpperBound } from '../../src/domain/org-path.js';
import type { PledgeStatus } from '../../src/domain/pledge-status.js';
import type { Database, PledgeItemRow, PledgeRow, PledgeVersionRow } from '../schema.js';

type Db = Kysely<Database>;

export const OPEN_STATUSES: PledgeStatus[] = ['draft', 'submitted', 'returned'];
/** The statuses in which the secretary may still change a version (and submit or withdraw it). */
export const EDITABLE_STATUSES: PledgeStatus[] = ['draft', 'returned'];
export const isEditable = (status: string): boolean => (EDITABLE_STATUSES as string[]).includes(status);

export async function ensurePledge(db: Db, orgId: number, year: number, now: Date): Promise<PledgeRow> {
  await db.insertInto('pledges').values({ org_id: orgId, year, current_version_id: null, created_at: now.toISOString() }).onConflict((oc) => oc.columns(['org_id', 'year']).doNothing()).execute();
  return db.selectFrom('pledges').selectAll().where('org_id', '=', orgId).where('year', '=', year).executeTakeFirstOrThrow();
}

export function pledgeOf(db: Db, orgId: number, year: number): Promise<PledgeRow | undefined> {
  return db.selectFrom('pledges').selectAll().where('org_id', '=', orgId).where('year', '=', year).executeTakeFirst();
}

export function pledgeById(db: Db, id: number): Promise<PledgeRow | undefined> {
  return db.selectFrom('pledges').selectAll().where('id', '=', id).executeTakeFirst();
}

export function versionById(db: Db, id: number): Promise<PledgeVersionRow | undefined> {
  return db.selectFrom('pledge_versions').selectAll().where('id', '=', id).executeTakeFirst();
}

export function versionsOf(db: Db, pledgeId: number): Promise<PledgeVersionRow[]> {
  return db.selectFrom('pledge_versions').selectAll().where('pledge_id', '=', pledgeId).orderBy('version_no').execute();
}

/** The version being drafted, under review or returned (at most one at a time). */
export function openVersionOf(db: Db, pledgeId: number): Promise<PledgeVersionRow | undefined> {
  return db.selectFrom('pledge_versions').selectAll().where('pledge_id', '=', pledgeId).where('status', 'in', OPEN_STATUSES).orderBy('version_no', 'desc').executeTakeFirst();
}

export function itemsOf(db: Db, versionId: number): Promise<PledgeItemRow[]> {
  return db.selectFrom('pledge_items').selectAll().where('version_id', '=', versionId).orderBy('position').execute();
}

export const profileOf = (v: PledgeVersionRow): PledgeProfile => JSON.parse(v.profile) as PledgeProfile;

export const draftItemsOf = (items: PledgeItemRow[]): PledgeItemDraft[] =>
  items.map((i) => ({ key: i.item_key, content: i.content, standard: i.standard, due: i.due_date, follows: i.follows_key ?? undefined }));

export async function draftOf(db: Db, v: PledgeVersionRow): Promise<PledgeDraft> {
  return { profile: profileOf(v), items: draftItemsOf(await itemsOf(db, v.id)) };
}

async function writeItems(db: Db, versionId: number, items: PledgeItemDraft[], newKey: () => string): Promise<void> {
  await db.deleteFrom('pledge_items').where('version_id', '=', versionId).execute();
  if (items.length === 0) return;
  await db
    .insertInto('pledge_items')
    .values(items.map((it, i) => ({ version_id: versionId, position: i + 1, item_key: it.key ?? newKey(), content: it.content, standard: it.standard, due_date: it.due, follows_key: it.follows ?? null })))
    .execute();
}

/**
 * A new version; returns undefined if another one with that number appeared first (two
 * presses racing): the UNIQUE (pledge_id, version_no) key decides, no transaction needed.
 */
export async function createVersion(
  db: Db,
  input: { pledgeId: number; versionNo: number; basedOn: number | null; author: string; draft: PledgeDraft; now: Date; newKey: () => string },
): Promise<PledgeVersionRow | undefined> {
  const at = input.now.toISOString();
  const inserted = await db
    .insertInto('pledge_versions')
    .values({ pledge_id: input.pledgeId, version_no: input.versionNo, status: 'draft', profile: JSON.stringify(input.draft.profile), based_on_version_id: input.basedOn, author_open_id: input.author, submitted_by: null, submitted_by_name: null, submitted_at: null, reviewed_by: null, reviewed_by_name: null, review_org_id: null, reviewed_at: null, opinion: null, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['pledge_id', 'version_no']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return undefined;
  await writeItems(db, inserted.id, input.draft.items, input.newKey);
  return versionById(db, inserted.id);
}

/**
 * Saves a draft if the card was built from the current revision (compare-and-set on
 * `revision`): a stale card or a second press of the same card changes nothing.
 */
export async function saveDraft(db: Db, versionId: number, expectedRevision: number, draft: PledgeDraft, now: Date, newKey: () => string): Promise<number | undefined> {
  const r = await db
    .updateTable('pledge_versions')
    .set({ profile: JSON.stringify(draft.profile), revision: expectedRevision + 1, updated_at: now.toISOString() })
    .where('id', '=', versionId)
    .where('revision', '=', expectedRevision)
    .where('status', 'in', EDITABLE_STATUSES)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return undefined;
  await writeItems(db, versionId, draft.items, newKey);
  return expectedRevision + 1;
}

/** Moves a version between statuses only from the expected ones; false when someone was first. */
export async function transition(
  db: Db,
  versionId: number,
  from: PledgeStatus[],
  to: PledgeStatus,
  fields: Partial<Pick<PledgeVersionRow, 'submitted_by' | 'submitted_by_name' | 'submitted_at' | 'reviewed_by' | 'reviewed_by_name' | 'review_org_id' | 'reviewed_at' | 'opinion' | 'returned_content' | 'submitted_card_message_id'>>,
  now: Date,
  expectedRevision?: number,
): Promise<boolean> {
  let q = db
    .updateTable('pledge_versions')
    .set((eb) => ({ ...fields, status: to, updated_at: now.toISOString(), revision: eb('revision', '+', 1) }))
    .where('id', '=', versionId)
    .where('status', 'in', from);
  if (expectedRevision !== undefined) q = q.where('revision', '=', expectedRevision);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Pledges with something submitted. A first draft never signed is its secretary's alone
 * (canReadVersion): lists, ledgers and their year choices for anyone else skip pledges without.
 */
export const HAS_SUBMISSION = sql<SqlBool>`EXISTS (SELECT 1 FROM pledge_versions sv WHERE sv.pledge_id = pledges.id AND sv.status != 'draft')`;

/** Organizations below `path` (not it) with a pledge for one of `years` with something submitted, approved or not, in tree order. */
export function orgsWithPledgesBelow(db: Db, path: string, years: number[], limit: number) {
  return db
    .selectFrom('pledges')
    .innerJoin('organizations', 'organizations.id', 'pledges.org_id')
    .select(['organizations.code', 'organizations.name'])
    .distinct()
    .where('organizations.path', '>', path)
    .where('organizations.path', '<', subtreeUpperBound(path))
    .where('pledges.year', 'in', years)
    .where(HAS_SUBMISSION)
    .orderBy('organizations.path')
    .limit(limit)
    .execute();
}
