import { orgById, personByOpenId, secretaryOf } from '../../../db/repos/directory.js';
import { appendAudit } from '../../../db/repos/audit.js';
import { transition } from '../../../db/repos/pledges.js';
import type { Card } from '../../../cards/card-kit.js';
import { pledgeDecidedCard, pledgeReplacedCard, pledgeStatusCard } from '../../../cards/pledge-cards.js';
import { pledgeFormCard } from '../../../cards/pledge-form-card.js';
import { LIMITS } from '../../domain/pledge-form.js';
import { chineseDateTime } from '../../domain/dates.js';
import { isOwnPledge, reviewingOrgId } from '../../domain/pledge-rules.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { formViewOf } from './open-pledge.js';
import { loadPledgeContext, type PledgeContext } from './pledge-context.js';
import { publishPledge } from './publish-pledge.js';
import { replaceSent } from './replace-sent.js';
import { contentOf, reviewCardFor } from './review-card.js';

/**
 * `again`: this reviewer had made this decision already; it stands as first made (its follow-up
 * finished now if it was cut short). A refusal about the opinion brings the review card back with
 * it shown under the field.
 */
export type ReviewResult = { kind: 'refused'; reason: string; card?: Card } | { kind: 'decided'; approved: boolean; card: Card; published: number; orgCode: string; again?: boolean };



/**
 * 审定: approve (the digital 盖章: who, when, which organization) or return with an opinion.
 * Exactly one decision per submitted version, whoever presses first; the approved version
 * replaces the one in force, is published and the secretary is told.
 */
export async function reviewPledge(deps: Deps, input: { openId: string; versionId: number; revision?: number; approve: boolean; opinion: string }): Promise<ReviewResult> {
  const ctx = await loadPledgeContext(deps, input.versionId);
  if (!ctx) return { kind: 'refused', reason: '找不到这份承诺书。' };
  const me = await whoIs(deps, input.openId);
  const parent = ctx.org.parent_id ? await orgById(deps.db, ctx.org.parent_id) : undefined;
  const reviewOrgId = reviewingOrgId(me.grants, ctx.orgRef);
  const reviewOrg = reviewOrgId === undefined ? undefined : reviewOrgId === parent?.id ? parent : await orgById(deps.db, reviewOrgId);
  if (!parent || !reviewOrg) {
    return { kind: 'refused', reason: `只有上一级党组织「${parent?.name ?? '—'}」的领导或上级管理员可以审定这份承诺书。` };
  }
  if (isOwnPledge(me.grants, ctx.orgRef, ctx.version.submitted_by, input.openId)) {
    return { kind: 'refused', reason: '不能审定自己组织或自己提交的承诺书，请由上级党组织的其他领导或管理员审定。' };
  }
  // The same reviewer's same decision again (Feishu's retry, recovery of the stored press): the
  // decision stands; what follows it is finished if a failure cut it short (on Workers every
  // write is its own request, so the status can be saved and the rest not).
  const same = ctx.version.reviewed_by === input.openId && ctx.version.status === (input.approve ? 'approved' : 'returned');
  if (same && ctx.version.reviewed_at) {
    const at = new Date(ctx.version.reviewed_at);
    const entry = decisionAudit(input.openId, input.approve, ctx.version.id, ctx.version.opinion ?? '', reviewOrg.code);
    await appendAudit(deps.db, entry, at, { once: { since: ctx.version.reviewed_at } });
    return { ...(await followUp(deps, ctx, { approve: input.approve, reviewer: ctx.version.reviewed_by_name ?? '上级', reviewOrgName: reviewOrg.name, at })), again: true };
  }
  if (ctx.version.status === 'withdrawn') {
    // This reviewer's return pressed again (a retry after a cut) once the secretary had withdrawn
    // it: nothing follows a withdrawn version but the return's own audit row, if the cut left it out.
    if (!input.approve && ctx.version.reviewed_by === input.openId && ctx.version.reviewed_at) {
      const entry = decisionAudit(input.openId, false, ctx.version.id, ctx.version.opinion ?? '', reviewOrg.code);
      await appendAudit(deps.db, entry, new Date(ctx.version.reviewed_at), { once: { since: ctx.version.reviewed_at } });
    }
    return { kind: 'refused', reason: '这份修订已退回，书记已撤回，无需再审定。' };
  }
  if (ctx.version.status !== 'submitted') {
    const who = ctx.version.reviewed_by_name ? `（${ctx.version.reviewed_by_name} 已处理）` : '';
    return { kind: 'refused', reason: `这份承诺书已经${ctx.version.status === 'returned' ? '退回' : '审定'}过了${who}，无需再操作。` };
  }
  if (input.revision !== undefined && input.revision !== ctx.version.revision) {
    return { kind: 'refused', reason: '这张审定卡片已过期（承诺书已重新提交），请使用最新收到的审定卡片。' };
  }
  const opinion = input.opinion.trim();
  const opinionProblem = !input.approve && !opinion ? '退回时请在「审定意见」里写明修改意见。' : opinion.length > LIMITS.opinion ? `审定意见最多 ${LIMITS.opinion} 字，现在 ${opinion.length} 字。` : undefined;
  if (opinionProblem) return { kind: 'refused', reason: opinionProblem, card: await reviewCardFor(deps, ctx, { error: opinionProblem, typed: opinion }) };
  const now = deps.now();
  const person = await personByOpenId(deps.db, input.openId);
  const reviewer = person?.name ?? '上级';
  // A return keeps what it returned: the resubmission's review card says what changed since.
  const kept = input.approve ? {} : { returned_content: JSON.stringify(contentOf(ctx)) };
  const ok = await transition(deps.db, ctx.version.id, ['submitted'], input.approve ? 'approved' : 'returned', { reviewed_by: input.openId, reviewed_by_name: reviewer, review_org_id: reviewOrg.id, reviewed_at: now.toISOString(), opinion: opinion || (input.approve ? '同意' : ''), ...kept }, now);
  if (!ok) return { kind: 'refused', reason: '这份承诺书刚刚已被处理，无需再操作。' };
  // Once: a second press racing this one may have found the decision saved and finished it already.
  await appendAudit(deps.db, decisionAudit(input.openId, input.approve, ctx.version.id, opinion, reviewOrg.code), now, { once: { since: now.toISOString() } });
  return followUp(deps, ctx, { approve: input.approve, reviewer, reviewOrgName: reviewOrg.name, at: now });
}

const decisionAudit = (actor: string, approve: boolean, versionId: number, opinion: string, reviewOrgCode: string) => ({
  actor,
  action: approve ? 'pledge.approve' : 'pledge.return',
  entity: 'pledge_version',
  entityId: versionId,
  before: { status: 'submitted' },
  after: { status: approve ? 'approved' : 'returned', opinion, review_org: reviewOrgCode },
});

/**
 * What follows a decision, every step safe to run again: the version in force, the reviewers'
 * cards closed, the secretary told, the pledge published (each message keyed once).
 */
async function followUp(deps: Deps, ctx: PledgeContext, d: { approve: boolean; reviewer: string; reviewOrgName: string; at: Date }): Promise<Extract<ReviewResult, { kind: 'decided' }>> {
  if (d.approve) {
    const previous = ctx.pledge.current_version_id;
    if (previous && previous !== ctx.version.id) await transition(deps.db, previous, ['approved'], 'superseded', {}, d.at);
    await deps.db.updateTable('pledges').set({ current_version_id: ctx.version.id }).where('id', '=', ctx.pledge.id).execute();
  }
  const fresh = (await loadPledgeContext(deps, ctx.version.id))!;
  const decided = pledgeDecidedCard(fresh.view, fresh.times, { approved: d.approve, by: `${d.reviewer}（${d.reviewOrgName}）`, opinion: fresh.version.opinion ?? '', at: chineseDateTime(d.at, deps.timeZone) });
  // Every reviewer's copy of the review card shows the decision.
  await replaceSent(deps, `review:${ctx.version.id}:`, decided, (m) => `decided:${ctx.version.id}:${m}`);
  // So does the card the secretary submitted from, which still read 待审定 (what to do next comes below it).
  const submittedCard = fresh.version.submitted_card_message_id;
  if (submittedCard && fresh.version.submitted_by) {
    await deps.outbox.enqueue({ key: `submitted-card:${ctx.version.id}:${fresh.version.reviewed_at ?? ''}`, patch: { messageId: submittedCard, to: { openId: fresh.version.submitted_by } }, card: decided });
  }
  // The organization's current secretary carries the pledge on (it may have changed hands).
  const current = await secretaryOf(deps.db, ctx.org.id);
  const secretary = current ?? ctx.version.submitted_by;
  let published = 0;
  if (d.approve) {
    published = await publishPledge(deps, fresh);
    // The version it replaces: its publications say so, instead of still taking opinions as if in force.
    const replaced = ctx.version.based_on_version_id ? await loadPledgeContext(deps, ctx.version.based_on_version_id) : undefined;
    if (replaced) await replaceSent(deps, `publish:${replaced.version.id}:`, pledgeReplacedCard(replaced.view, { versionNo: fresh.version.version_no }), (m) => `replaced:${replaced.version.id}:${m}`);
    if (secretary) await deps.outbox.enqueue({ key: `approved:${ctx.version.id}`, to: { openId: secretary }, card: pledgeStatusCard(fresh.view, fresh.times, { canRevise: true }) });
  } else if (secretary) {
    // Keyed by the decision's time, which a resumed follow-up shares (the revision may have moved on).
    await deps.outbox.enqueue({ key: `returned:${ctx.version.id}:${fresh.version.reviewed_at ?? ''}`, to: { openId: secretary }, card: pledgeFormCard(await formViewOf(deps, fresh)) });
  }
  return { kind: 'decided', approved: d.approve, card: decided, published, orgCode: ctx.org.code };
}
