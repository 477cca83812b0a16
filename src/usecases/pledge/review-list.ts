import { lastSentWithKeyPrefix } from '../../../db/repos/outbox.js';
import { reviewListCard, type ReviewListEntry } from '../../../cards/review-list-card.js';
import { orgByCode } from '../../../db/repos/directory.js';
import type { Deps } from '../deps.js';
import { pendingReviews } from './pending-reviews.js';
import { reviewersOf } from './reviewers-of.js';

/** The outbox key of a 审核 list sent privately: the reviewer's lists can be found again. */
export const reviewListKey = (openId: string, messageId: string): string => `reviews:${openId}:${messageId}`;

/**
 * Feishu updates a message only within 14 days of sending it
 * (https://open.feishu.cn/document/server-docs/im-v1/message/patch); an older list is left as it
 * is rather than turned into a failed send. A week: the list being worked through is recent.
 */
const REDRAW_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * After this reviewer decided: their latest 审核 list (the one they are most likely working
 * through), if recent, redrawn with `pending` — what still waits for them — instead of still
 * offering what they just decided. `tag` (the decision's press) keys the update, so a press run
 * again updates once.
 */
export async function refreshReviewList(deps: Deps, openId: string, pending: { items: ReviewListEntry[]; total: number }, tag: string): Promise<void> {
  const latest = await lastSentWithKeyPrefix(deps.db, reviewListKey(openId, ''));
  if (!latest?.result_message_id || !latest.sent_at) return;
  if (deps.now().getTime() - Date.parse(latest.sent_at) > REDRAW_WITHIN_MS) return;
  const card = reviewListCard(pending, deps.timeZone);
  await deps.outbox.enqueue({ key: `relist:${latest.result_message_id}:${tag}`.slice(0, 200), patch: { messageId: latest.result_message_id, to: { openId } }, card });
}

/**
 * The other reviewers of an organization's pledges (those who got its review card): each one's
 * latest 审核 list redrawn too, so that it no longer offers what someone else just decided.
 */
export async function refreshOtherReviewersLists(deps: Deps, orgCode: string, decider: string, tag: string): Promise<void> {
  const org = await orgByCode(deps.db, orgCode);
  if (!org) return;
  const { people } = await reviewersOf(deps, org);
  for (const p of people) {
    if (!p.open_id || p.open_id === decider) continue;
    await refreshReviewList(deps, p.open_id, await pendingReviews(deps, p.open_id), tag);
  }
}
