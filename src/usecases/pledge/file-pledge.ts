import { personByOpenId } from '../../../db/repos/directory.js';
import { appendAudit } from '../../../db/repos/audit.js';
import { draftOf, EDITABLE_STATUSES, saveDraft, transition } from '../../../db/repos/pledges.js';
import type { PledgeFormView } from '../../../cards/pledge-form-card.js';
import { closedYearReason } from '../../domain/cycle.js';
import { localDate } from '../../domain/dates.js';
import { errorSummary, readPledgeForm, validatePledge, type PledgeDraft } from '../../domain/pledge-form.js';
import { canFile, isPublished } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { formViewOf } from './open-pledge.js';
import { loadPledgeContext, newItemKey, type PledgeContext } from './pledge-context.js';
import { reviewCardFor } from './review-card.js';
import { reviewersOf } from './reviewers-of.js';

export type FileResult =
  | { kind: 'refused'; reason: string }
  | { kind: 'form'; form: PledgeFormView; message: string }
  | { kind: 'preview'; ctx: PledgeContext }
  /** `again`: it was submitted by this person already; what follows a submission is finished now if it was cut short. */
  | { kind: 'submitted'; ctx: PledgeContext; reviewers: number; again?: boolean };

const STALE = '这张卡片已过期（内容已在别处更新），请发送「承诺」获取最新卡片。';

/** Loads the version and checks the presser may still write it (the current secretary). */
async function writable(deps: Deps, openId: string, versionId: number, rev: number): Promise<PledgeContext | { kind: 'refused'; reason: string }> {
  const ctx = await loadPledgeContext(deps, versionId);
  if (!ctx) return { kind: 'refused', reason: '找不到这份承诺书，请发送「承诺」重新开始。' };
  const me = await whoIs(deps, openId);
  if (!canFile(me.grants, ctx.orgRef)) return { kind: 'refused', reason: `只有「${ctx.org.name}」的现任书记可以填写和提交它的承诺书。` };
  // An old card must not reopen a year that is the record now (承诺 itself refuses it).
  const closed = closedYearReason(ctx.pledge.year, localDate(deps.now(), deps.timeZone));
  if (closed) return { kind: 'refused', reason: closed };
  if (ctx.version.status === 'submitted') return { kind: 'refused', reason: '这份承诺书已提交，正在等待上级审定，不能重复提交。' };
  if (isPublished(ctx.version.status)) return { kind: 'refused', reason: '这一版已经审定。如需修改，请发送「承诺」后点「修订承诺」。' };
  if (ctx.version.status === 'withdrawn') return { kind: 'refused', reason: `第 ${ctx.version.version_no} 版修订已经撤回，现行承诺书不变。如需修改，请发送「承诺」后点「修订承诺」。` };
  if (ctx.version.revision !== rev) return { kind: 'refused', reason: STALE };
  return ctx;
}

/** Saves what the form holds ("保存草稿", "添加一项", or before a preview). */
export async function savePledgeForm(deps: Deps, input: { openId: string; versionId: number; rev: number; form: Record<string, unknown>; addSlot?: boolean }): Promise<FileResult> {
  const ctx = await writable(deps, input.openId, input.versionId, input.rev);
  if ('kind' in ctx) return ctx;
  const slots = (await draftOf(deps.db, ctx.version)).items;
  const draft = readPledgeForm(input.form, slots);
  const saved = await saveDraft(deps.db, ctx.version.id, input.rev, draft, deps.now(), newItemKey);
  if (saved === undefined) return { kind: 'refused', reason: STALE };
  const fresh = (await loadPledgeContext(deps, ctx.version.id))!;
  return {
    kind: 'form',
    form: await formViewOf(deps, fresh, {}, { emptySlots: input.addSlot ? 1 : 0 }),
    message: input.addSlot ? '已添加一项，填好后点「预览并提交」' : '草稿已保存，可随时发送「承诺」继续填写',
  };
}

/** Saves and validates; shows the confirm step, or the form again with each problem beside its field. */
export async function previewPledge(deps: Deps, input: { openId: string; versionId: number; rev: number; form: Record<string, unknown> }): Promise<FileResult> {
  const ctx = await writable(deps, input.openId, input.versionId, input.rev);
  if ('kind' in ctx) return ctx;
  const draft = readPledgeForm(input.form, (await draftOf(deps.db, ctx.version)).items);
  const saved = await saveDraft(deps.db, ctx.version.id, input.rev, draft, deps.now(), newItemKey);
  if (saved === undefined) return { kind: 'refused', reason: STALE };
  const fresh = (await loadPledgeContext(deps, ctx.version.id))!;
  const errors = validatePledge(draft, fresh.pledge.year, localDate(deps.now(), deps.timeZone));
  if (Object.keys(errors).length) return { kind: 'form', form: await formViewOf(deps, fresh, errors), message: errorSummary(errors) };
  return { kind: 'preview', ctx: fresh };
}

/**
 * Submitting is the signature: the presser's Feishu identity and the time are recorded, the
 * version moves draft/returned → submitted exactly once (compare-and-set on status and
 * revision, so a second press of the same card does nothing), and the superiors get review cards.
 * With form values (a form's own submit) the form is saved first; without, the stored draft is sent.
 */
/** `cardMessageId`: the message whose card was pressed (it shows the submission from now on), none from the chat dialog. */
export async function submitPledge(deps: Deps, input: { openId: string; versionId: number; rev: number; form?: Record<string, unknown>; cardMessageId?: string }): Promise<FileResult> {
  const resumed = await resumeSubmission(deps, input.openId, input.versionId);
  if (resumed) return resumed;
  let ctx = await writable(deps, input.openId, input.versionId, input.rev);
  if ('kind' in ctx) return ctx;
  let rev = input.rev;
  let draft: PledgeDraft = await draftOf(deps.db, ctx.version);
  if (input.form && Object.keys(input.form).length) {
    draft = readPledgeForm(input.form, draft.items);
    const saved = await saveDraft(deps.db, ctx.version.id, rev, draft, deps.now(), newItemKey);
    if (saved === undefined) return { kind: 'refused', reason: STALE };
    rev = saved;
    ctx = (await loadPledgeContext(deps, ctx.version.id))!;
  }
  const now = deps.now();
  const errors = validatePledge(draft, ctx.pledge.year, localDate(now, deps.timeZone));
  if (Object.keys(errors).length) return { kind: 'form', form: await formViewOf(deps, ctx, errors), message: errorSummary(errors) };
  const person = await personByOpenId(deps.db, input.openId);
  const ok = await transition(deps.db, ctx.version.id, EDITABLE_STATUSES, 'submitted', { submitted_by: input.openId, submitted_by_name: person?.name ?? draft.profile.name, submitted_at: now.toISOString(), reviewed_by: null, reviewed_by_name: null, reviewed_at: null, review_org_id: null, submitted_card_message_id: input.cardMessageId ?? null }, now, rev);
  if (!ok) return { kind: 'refused', reason: '这份承诺书已提交，正在等待上级审定，不能重复提交。' };
  // Once: a second press racing this one may have found it submitted and finished it already.
  await appendAudit(deps.db, submitAudit(input.openId, ctx, ctx.version.status), now, { once: { since: now.toISOString() } });
  const fresh = (await loadPledgeContext(deps, ctx.version.id))!;
  return { kind: 'submitted', ctx: fresh, reviewers: await sendReviewCards(deps, fresh, input.openId) };
}

const submitAudit = (actor: string, ctx: PledgeContext, from: string) => ({
  actor,
  action: 'pledge.submit',
  entity: 'pledge_version',
  entityId: ctx.version.id,
  before: { status: from },
  after: { status: 'submitted', org: ctx.org.code, year: ctx.pledge.year, version: ctx.version.version_no },
});

/** The outbox key of a submission's review card to one reviewer (a revision is one submission). */
export const reviewCardKey = (versionId: number, revision: number, openId: string): string => `review:${versionId}:${revision}:${openId}`;

/** The review card to each reviewer, keyed by submission and reviewer: safe to send again. */
async function sendReviewCards(deps: Deps, fresh: PledgeContext, filer: string): Promise<number> {
  const { people } = await reviewersOf(deps, fresh.org, filer);
  const card = await reviewCardFor(deps, fresh);
  for (const p of people) {
    await deps.outbox.enqueue({ key: reviewCardKey(fresh.version.id, fresh.version.revision, p.open_id!), to: { openId: p.open_id! }, card });
  }
  if (people.length === 0) deps.logger.warn({ org: fresh.org.code }, 'pledge submitted but no reviewer in the directory');
  return people.length;
}

/**
 * The same secretary submitting a version already submitted by them (a second press, recovery
 * of the stored press): the submission stands, and what follows it is finished if a failure cut
 * it short (on Workers every write is its own request). Undefined when this is no such repeat.
 */
async function resumeSubmission(deps: Deps, openId: string, versionId: number): Promise<FileResult | undefined> {
  const ctx = await loadPledgeContext(deps, versionId);
  if (!ctx || ctx.version.status !== 'submitted' || ctx.version.submitted_by !== openId || !ctx.version.submitted_at) return undefined;
  if (!canFile((await whoIs(deps, openId)).grants, ctx.orgRef)) return undefined;
  const entry = submitAudit(openId, ctx, 'draft');
  await appendAudit(deps.db, entry, new Date(ctx.version.submitted_at), { once: { since: ctx.version.submitted_at } });
  return { kind: 'submitted', ctx, reviewers: await sendReviewCards(deps, ctx, openId), again: true };
}

/** "返回修改": the form again, for the secretary, while the version is still editable. */
export async function editPledgeForm(deps: Deps, input: { openId: string; versionId: number; rev: number }): Promise<FileResult> {
  const ctx = await writable(deps, input.openId, input.versionId, input.rev);
  if ('kind' in ctx) return ctx;
  return { kind: 'form', form: await formViewOf(deps, ctx), message: '修改后点「预览并提交」' };
}
