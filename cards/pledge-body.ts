import { chineseDate } from '../src/domain/dates.js';
import { markdown, md, type CardElement } from './card-kit.js';
import type { PledgeView } from './pledge-view.js';

/** The pledge itself, for a narrow screen: profile lines, then one block per item. */
export function pledgeBody(v: PledgeView, opts: { showDone?: boolean } = {}): CardElement[] {
  const p = v.profile;
  const profile = [
    `**${md(p.name, 30)}**　${md(p.gender, 2)}　${md(p.birth_month, 7)} 生`,
    `职务：${md(p.position, 50)}　任职：${md(p.term_start, 10)}`,
    `联系方式：${md(p.contact, 50)}`,
    `党组织：${md(v.orgName, 100)}`,
  ].join('\n');
  const items = v.items
    .map((it) => {
      const mark = opts.showDone && it.done ? ' ✅ 已完成' : '';
      const follows = it.followsN ? `（再承诺，接第 ${it.followsN} 项）` : '';
      return `**${it.n}. ${md(it.content, 300)}**${follows}${mark}\n标准/目标：${md(it.standard, 300)}\n完成时限：${md(chineseDate(it.due), 20)}`;
    })
    .join('\n\n');
  return [markdown(profile), { tag: 'hr' }, markdown(`**公开承诺事项**\n${items || '（尚无）'}`)];
}

export function signatureLine(v: PledgeView, signedAtText: string | undefined): CardElement | undefined {
  if (!v.signedBy || !signedAtText) return undefined;
  return markdown(`<font color='grey'>承诺人：${md(v.signedBy, 30)}（飞书电子签名）　${signedAtText}</font>`);
}

export function reviewLine(v: PledgeView, reviewedAtText: string | undefined): CardElement | undefined {
  if (!v.review || !reviewedAtText) return undefined;
  return markdown(`**上一级党组织审定意见**：${md(v.review.opinion, 500)}\n<font color='grey'>${md(v.review.reviewOrgName, 100)}（${md(v.review.reviewerName, 30)}）　${reviewedAtText}</font>`);
}
