import { orgByCode, orgById, personByOpenId } from '../../../db/repos/directory.js';
import { createVersion, draftOf, ensurePledge, itemsOf, openVersionOf, pledgeOf, profileOf, versionById, versionsOf } from '../../../db/repos/pledges.js';
import type { PledgeFormView } from '../../../cards/pledge-form-card.js';
import { closedYearReason, pledgeYearFor } from '../../domain/cycle.js';
import { daysBetween, localDate } from '../../domain/dates.js';
import { emptyProfile, type FieldErrors, type PledgeDraft } from '../../domain/pledge-form.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { loadPledgeContext, newItemKey, type PledgeContext } from './pledge-context.js';

export type OpenPledgeResult =
  | { kind: 'refused'; reason: string }
  | { kind: 'choose'; orgs: { code: string; name: string }[] }
  | { kind: 'form'; form: PledgeFormView }
  | { kind: 'status'; ctx: PledgeContext; canRevise: boolean; openRevision?: { versionNo: number; status: string } };

export async function formViewOf(deps: Deps, ctx: PledgeContext, errors: FieldErrors = {}, extra: { notice?: string; emptySlots?: number; draft?: PledgeDraft } = {}): Promise<PledgeFormView> {
  const v = ctx.version;
  const reviewOrg = v.status === 'returned' && v.review_org_id ? await orgById(deps.db, v.review_org_id) : undefined;
  // Who sent it back and why, on top of the form: a returned pledge must not look like a fresh one.
  const returned = v.status === 'returned' ? { by: `${v.reviewed_by_name ?? '上级'}${reviewOrg ? `（${reviewOrg.name}）` : ''}`, opinion: (v.opinion ?? '').replace(/[。.！!\s]+$/u, '') } : undefined;
  // A revision says so every time it is opened, not only when it was started.
  const inForceId = ctx.pledge.current_version_id;
  const inForce = inForceId && inForceId !== v.id ? await versionById(deps.db, inForceId) : undefined;
  // A revision never submitted may be abandoned (deleted); one submitted and sent back, withdrawn (kept) (abandon-revision.ts).
  const revising = inForce ? { inForceNo: inForce.version_no, abandon: v.submitted_at ? ('withdraw' as const) : ('delete' as const) } : undefined;
  return {
    returned,
    revising,
    versionId: ctx.version.id,
    revision: ctx.version.revision,
    versionNo: ctx.version.version_no,
    year: ctx.pledge.year,
    orgName: ctx.org.name,
    deadline: ctx.view.deadline,
    // A first filing not yet submitted, past its deadline, says so (one submitted in time and
    // returned is not late; a revision has no deadline of its own).
    overdueDays: inForce || v.submitted_at ? 0 : Math.max(0, daysBetween(ctx.view.deadline.due, localDate(deps.now(), deps.timeZone))),
    draft: extra.draft ?? (await draftOf(deps.db, ctx.version)),
    errors,
    notice: extra.notice ?? (revising ? `修订第 ${v.version_no} 版：审定前第 ${revising.inForceNo} 版继续有效；不改了可点「${revising.abandon === 'delete' ? '放弃修订' : '撤回修订'}」。` : undefined),
    emptySlots: extra.emptySlots,
  };
}

/** First draft of a year: the profile from the directory and last year's pledge, last year's unfinished items moved to this year. */
async function prefill(deps: Deps, openId: string, orgId: number, year: number): Promise<PledgeDraft> {
  const person = await personByOpenId(deps.db, openId);
  const profile = { ...emptyProfile(), name: person?.name ?? '', contact: person?.mobile ?? '' };
  const last = await pledgeOf(deps.db, orgId, year - 1);
  const lastVersion = last?.current_version_id ? await versionById(deps.db, last.current_version_id) : undefined;
  if (!lastVersion) return { profile, items: [] };
  // Last year's profile is this person's only if they signed it (a new secretary starts fresh).
  const lastProfile = profileOf(lastVersion);
  const mine = lastVersion.submitted_by === openId;
  const done = new Set((await deps.db.selectFrom('item_states').select('item_key').where('pledge_id', '=', last!.id).execute()).map((r) => r.item_key));
  const items = (await itemsOf(deps.db, lastVersion.id))
    .filter((i) => !done.has(i.item_key))
    .map((i) => ({ content: i.content, standard: i.standard, due: `${year}${i.due_date.slice(4)}`.replace(/-02-29$/, '-02-28') }));
  return { profile: mine ? { ...lastProfile, name: person?.name ?? lastProfile.name } : profile, items };
}

/** `承诺`: the secretary's pledge for this year: a form to fill, or its state and what to do next. */
export async function openPledge(deps: Deps, input: { openId: string; orgCode?: string; year?: number }): Promise<OpenPledgeResult> {
  const me = await whoIs(deps, input.openId);
  const mine = me.grants.filter((g) => g.role === 'secretary');
  if (mine.length === 0) {
    return { kind: 'refused', reason: '只有党组织书记可以填写公开承诺书。如果你是书记，请联系创先办把你登记为书记。' };
  }
  let grant = mine[0]!;
  if (input.orgCode) {
    // The organization the code names (orgByCode: any case, if unambiguous), then the grant on it.
    const named = await orgByCode(deps.db, input.orgCode);
    const chosen = named ? mine.find((g) => g.orgId === named.id) : undefined;
    // What to send instead: the secretary's own organizations, by code.
    const own = mine.map((g) => `「承诺 ${g.orgCode}」（${g.orgName}）`).slice(0, 5).join('、');
    if (!named) return { kind: 'refused', reason: `没有编码为「${input.orgCode.slice(0, 64)}」的组织。你可以发送${own}。` };
    if (!chosen) return { kind: 'refused', reason: `你不是「${named.name}」的书记，不能为它填写承诺书。你可以发送${own}。` };
    grant = chosen;
  } else if (mine.length > 1) {
    return { kind: 'choose', orgs: mine.map((g) => ({ code: g.orgCode, name: g.orgName })) };
  }
  const org = await orgByCode(deps.db, grant.orgCode);
  if (!org) return { kind: 'refused', reason: '组织不存在，请联系管理员。' };
  const now = deps.now();
  const filing = pledgeYearFor(localDate(now, deps.timeZone));
  // Last year's pledge stays reachable (to finish or revise it); no other year is open.
  const closed = input.year === undefined ? undefined : closedYearReason(input.year, localDate(now, deps.timeZone));
  if (closed) return { kind: 'refused', reason: closed };
  const year = input.year ?? filing;
  const pledge = await ensurePledge(deps.db, org.id, year, now);
  const open = await openVersionOf(deps.db, pledge.id);
  if (open && open.status !== 'submitted') {
    const ctx = await loadPledgeContext(deps, open.id);
    return { kind: 'form', form: await formViewOf(deps, ctx!) };
  }
  if (pledge.current_version_id) {
    const ctx = (await loadPledgeContext(deps, pledge.current_version_id))!;
    return { kind: 'status', ctx, canRevise: true, openRevision: open ? { versionNo: open.version_no, status: open.status } : undefined };
  }
  if (open) return { kind: 'status', ctx: (await loadPledgeContext(deps, open.id))!, canRevise: false };
  const versions = await versionsOf(deps.db, pledge.id);
  const created =
    (await createVersion(deps.db, { pledgeId: pledge.id, versionNo: versions.length + 1, basedOn: null, author: input.openId, draft: await prefill(deps, input.openId, org.id, year), now, newKey: newItemKey })) ??
    (await openVersionOf(deps.db, pledge.id));
  const ctx = (await loadPledgeContext(deps, created!.id))!;
  return { kind: 'form', form: await formViewOf(deps, ctx) };
}
