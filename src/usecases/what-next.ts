import { chatsOf } from '../../db/repos/directory.js';
import { openVersionOf, pledgeOf } from '../../db/repos/pledges.js';
import { pledgeYearFor } from '../domain/cycle.js';
import { localDate } from '../domain/dates.js';
import type { Deps } from './deps.js';
import { pendingReviews } from './pledge/pending-reviews.js';
import type { Identity } from './who-is.js';

const OPEN_STATE: Record<string, (cmd: string) => string> = {
  draft: (cmd) => `未提交，发送「${cmd}」继续填写`,
  submitted: () => '已提交，等待上级审定',
  returned: (cmd) => `已退回，发送「${cmd}」按意见修改后重新提交`,
};

/**
 * What each of a person's roles has to do now, one line each, for 我的: a secretary's pledge of
 * the year being filed, a leader's or admin's reviews waiting, a member's part.
 */
export async function whatNext(deps: Deps, who: Identity): Promise<string[]> {
  const lines: string[] = [];
  const year = pledgeYearFor(localDate(deps.now(), deps.timeZone));
  const filing = who.grants.filter((g) => g.role === 'secretary');
  for (const g of filing) {
    const cmd = filing.length > 1 ? `承诺 ${g.orgCode}` : '承诺';
    const pledge = await pledgeOf(deps.db, g.orgId, year);
    const open = pledge ? await openVersionOf(deps.db, pledge.id) : undefined;
    // An open version beside an approved one is a revision: say which.
    const what = open && pledge?.current_version_id ? `第 ${open.version_no} 版修订` : '';
    const published = (await chatsOf(deps.db, g.orgId)).length > 0;
    const state = open
      ? `${what}${OPEN_STATE[open.status]?.(cmd) ?? open.status}`
      : pledge?.current_version_id
        ? `${published ? '已审定公示' : `已审定（本组织还没有绑定群，未公示：请领导或管理员在群里发送「@践诺助手 绑定 ${g.orgCode}」）`}；回头审诺可发送「${cmd}」修订`
        : `还未填写，发送「${cmd}」开始`;
    lines.push(`${g.orgName} ${year} 年度承诺书：${state}。`);
  }
  if (who.roles.has('leader') || who.roles.has('admin')) {
    const { total } = await pendingReviews(deps, who.openId);
    lines.push(total ? `有 ${total} 份承诺书等你审定，发送「审核」。` : '暂无等你审定的承诺书。');
  }
  if (who.roles.has('member') && lines.length === 0) {
    lines.push('本组织的承诺书公示后，可在群里的公示卡片上提交「意见和建议」。');
  }
  return lines;
}
