import { NOTHING_TO_REVIEW, reviewListCard } from '../../cards/review-list-card.js';
import { pendingReviews } from '../../src/usecases/pledge/pending-reviews.js';
import { reviewListKey } from '../../src/usecases/pledge/review-list.js';
import { answer, sendWord } from '../context.js';
import type { CommandHandler } from './registry.js';

/** `审核`: what awaits the asker's decision. */
export const review: CommandHandler = async (deps, ctx) => {
  const r = await pendingReviews(deps, ctx.openId);
  if (!r.canReviewAny) {
    await answer(deps, ctx, { text: `只有上级党组织的领导和管理员可以审定承诺书。${sendWord(ctx.chatType)}「帮助」查看你能用的命令。` });
    return;
  }
  if (r.total === 0) {
    await answer(deps, ctx, { text: NOTHING_TO_REVIEW });
    return;
  }
  // Always privately, keyed so that a decision can redraw it (review-list.ts): versions not yet
  // approved are for their secretaries and supervisors (canReadVersion), not for a group.
  await deps.outbox.enqueue({ key: reviewListKey(ctx.openId, ctx.messageId), to: { openId: ctx.openId }, card: reviewListCard(r, deps.timeZone) });
  if (ctx.chatType === 'group') await answer(deps, ctx, { text: '已私信回复你。' });
};
