import { chineseDateTime } from '../src/domain/dates.js';
import { button, card, markdown, md, type Card } from './card-kit.js';

export interface ReviewListEntry {
  versionId: number;
  versionNo: number;
  orgName: string;
  year: number;
  submittedBy: string | null;
  submittedAt: string | null;
}

/** What 审核 says when nothing waits (as text, or on a redrawn list). */
export const NOTHING_TO_REVIEW = '目前没有等你审定的承诺书。有新的提交时我会私信通知你。';

/** `审核`: the pledges waiting for this reviewer, oldest first, each with its 审定 button. */
export function reviewListCard(r: { items: ReviewListEntry[]; total: number }, timeZone: string): Card {
  if (r.total === 0) return card('待审定的承诺书（0）', 'grey', [markdown(NOTHING_TO_REVIEW)]);
  const elements = r.items.flatMap((i) => [
    markdown(`**${md(i.orgName, 100)}** ${i.year}年度 · 第 ${i.versionNo} 版\n<font color='grey'>${md(i.submittedBy ?? '', 30)} 提交于 ${i.submittedAt ? chineseDateTime(new Date(i.submittedAt), timeZone) : ''}</font>`),
    button('审定', { action: 'pledge.review_open', pledge: i.versionId }, 'primary'),
  ]);
  const more = r.total > r.items.length ? [markdown(`<font color='grey'>另有 ${r.total - r.items.length} 份，处理完这些后再发送「审核」。</font>`)] : [];
  return card(`待审定的承诺书（${r.total}）`, 'purple', [...elements, ...more]);
}
