import { button, card, markdown, md } from '../../cards/card-kit.js';
import { chineseDateTime } from '../../src/domain/dates.js';
import { pendingReviews } from '../../src/usecases/pledge/pending-reviews.js';
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
    await answer(deps, ctx, { text: '目前没有等你审定的承诺书。有新的提交时我会私信通知你。' });
    return;
  }
  const elements = r.items.flatMap((i) => [
    markdown(`**${md(i.orgName, 100)}** ${i.year}年度 · 第 ${i.versionNo} 版\n<font color='grey'>${md(i.submittedBy ?? '', 30)} 提交于 ${i.submittedAt ? chineseDateTime(new Date(i.submittedAt), deps.timeZone) : ''}</font>`),
    button('审定', { action: 'pledge.review_open', pledge: i.versionId }, 'primary'),
  ]);
  const more = r.total > r.items.length ? [markdown(`<font color='grey'>另有 ${r.total - r.items.length} 份，处理完这些后再发送「审核」。</font>`)] : [];
  await answer(deps, ctx, { card: card(`待审定的承诺书（${r.total}）`, 'purple', [...elements, ...more]) });
};
