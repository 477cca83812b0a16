import { sentWithKeyPrefix } from '../../../db/repos/outbox.js';
import { reviewListCard } from '../../../cards/review-list-card.js';
import type { Deps } from '../deps.js';
import { pendingReviews } from './pending-reviews.js';

/** The outbox key of a 审核 list sent privately: the reviewer's lists can be found again. */
export const reviewListKey = (openId: string, messageId: string): string => `reviews:${openId}:${messageId}`;

/**
 * After this reviewer decided: their latest 审核 list (the one they are most likely working
 * through) redrawn with what is still waiting, instead of still offering what they just decided.
 * `tag` (the decision's press) keys the update, so a press run again updates once.
 */
export async function refreshReviewList(deps: Deps, openId: string, tag: string): Promise<void> {
  const latest = (await sentWithKeyPrefix(deps.db, reviewListKey(openId, ''))).at(-1);
  if (!latest?.result_message_id) return;
  const card = reviewListCard(await pendingReviews(deps, openId), deps.timeZone);
  await deps.outbox.enqueue({ key: `relist:${latest.result_message_id}:${tag}`.slice(0, 200), patch: { messageId: latest.result_message_id, to: { openId } }, card });
}
