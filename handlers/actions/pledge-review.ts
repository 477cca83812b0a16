import { z } from 'zod';
import { orgById } from '../../db/repos/directory.js';
import { toast } from '../../cards/card-kit.js';
import { canReview, isPublished } from '../../src/domain/pledge-rules.js';
import { pendingReviews } from '../../src/usecases/pledge/pending-reviews.js';
import { loadPledgeContext } from '../../src/usecases/pledge/pledge-context.js';
import { reviewCardFor } from '../../src/usecases/pledge/review-card.js';
import { refreshOtherReviewersLists, refreshReviewList } from '../../src/usecases/pledge/review-list.js';
import { reviewPledge } from '../../src/usecases/pledge/review-pledge.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { defineAction, type CardActionContext } from '../on-card-action.js';
import type { Deps } from '../../src/usecases/deps.js';
import { fieldText, VersionRef } from './pledge-values.js';

async function decide(deps: Deps, ctx: CardActionContext, v: { pledge: number; rev?: number }, approve: boolean) {
  const r = await reviewPledge(deps, { openId: ctx.openId, versionId: v.pledge, revision: v.rev, approve, opinion: fieldText(ctx.formValue, 'opinion') });
  if (r.kind === 'refused') return toast('error', r.reason, r.card);
  if (r.again) return toast('info', `你已${r.approved ? '审定通过' : '退回'}这份承诺书，以第一次的意见为准。`, r.card);
  // Not published for want of a group: the reviewer (a leader or admin above it) is one who may bind it.
  const note = r.approved ? (r.published ? `已审定通过，已在 ${r.published} 个群公示` : `已审定通过；该组织还没有绑定群，未公示：在它的群里发送「@践诺助手 绑定 ${r.orgCode}」即公示`) : '已退回，书记会收到你的意见';
  // What to do next: the count in the toast, and the reviewers' latest 审核 lists redrawn. Only
  // niceties: the decision is saved, and a failure here must not answer it as failed.
  const nicety = <T>(what: string, fallback: T) => (err: unknown): T => {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, what);
    return fallback;
  };
  const pending = await pendingReviews(deps, ctx.openId).catch(nicety('counting the reviews left failed', undefined));
  if (pending) await refreshReviewList(deps, ctx.openId, pending, ctx.eventId).catch(nicety('redrawing the review list failed', undefined));
  await refreshOtherReviewersLists(deps, r.orgCode, ctx.openId, ctx.eventId).catch(nicety("redrawing the other reviewers' lists failed", undefined));
  const total = pending?.total ?? 0;
  return toast('success', total ? `${note}；还有 ${total} 份等你审定，发送「审核」查看` : note, r.card);
}

/** `rev` is the submission the card showed: a card from an earlier submission is stale. */
const Decision = VersionRef.extend({ rev: z.coerce.number().int().nonnegative().optional() });

export const pledgeApprove = defineAction({
  value: Decision,
  handle: (deps, ctx, v) => decide(deps, ctx, v, true),
});

export const pledgeReturn = defineAction({
  value: Decision,
  handle: (deps, ctx, v) => decide(deps, ctx, v, false),
});

/** From the `审核` list: the review card, privately, to whoever may decide it. */
export const pledgeReviewOpen = defineAction({
  value: VersionRef,
  async handle(deps, ctx, v) {
    const p = await loadPledgeContext(deps, v.pledge);
    if (!p) return toast('error', '找不到这份承诺书。');
    const me = await whoIs(deps, ctx.openId);
    if (!canReview(me.grants, p.orgRef)) {
      // Who does review it: the parent organization's leaders (or the admins above).
      const parent = p.org.parent_id ? await orgById(deps.db, p.org.parent_id) : undefined;
      return toast('error', parent ? `你不是这份承诺书的审定人：它由「${parent.name}」的领导（或上级管理员）审定。` : '你不是这份承诺书的审定人。');
    }
    if (p.version.status !== 'submitted') {
      // Who decided what, as the refused decision says it (review-pledge.ts): not just "done".
      const verb = isPublished(p.version.status) ? '审定通过' : '退回';
      const done = p.version.reviewed_by === ctx.openId ? `你已${verb}这份承诺书` : `这份承诺书${p.version.reviewed_by_name ? `已由${p.version.reviewed_by_name}` : '已'}${verb}`;
      const withdrawn = p.version.status === 'withdrawn' ? '（书记已撤回）' : '';
      return toast('info', `${done}${withdrawn}，无需再审定。发送「审核」查看还在等你的。`);
    }
    await deps.outbox.enqueue({ key: `review:${p.version.id}:${ctx.openId}:${ctx.eventId}`.slice(0, 200), to: { openId: ctx.openId }, card: await reviewCardFor(deps, p) });
    return toast('success', '审定卡片已私信发送给你');
  },
});
