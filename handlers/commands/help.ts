import { helpCard, type HelpEntry } from '../../cards/help-card.js';
import { noRoleText, whoIs } from '../../src/usecases/who-is.js';
import { answer } from '../context.js';
import type { CommandHandler } from './registry.js';

/** The commands that work today, by role. Each feature adds its line here. */
export const HELP_ENTRIES: HelpEntry[] = [
  { words: '帮助 / help', what: '查看你能用的命令', roles: 'all' },
  { words: '我的 / me', what: '查看你的组织和角色', roles: 'all' },
  { words: '承诺 / pledge', what: '填写、查看、修订本年度公开承诺书（「承诺 对话」逐项对话填写）', roles: ['secretary'] },
  { words: '审核 / review', what: '查看待你审定的承诺书', roles: ['leader', 'admin'] },
  { words: '导出 承诺书 〈组织编码〉〈年份〉', what: '下载可打印的公开承诺书（Word）', roles: ['secretary', 'leader', 'admin'] },
  { words: '导出 台账 〈组织编码〉〈年份〉', what: '下载承诺台账（Excel）', roles: ['leader', 'admin'] },
  { words: '期限 〈承诺/一季度…〉〈日期〉〈组织编码〉', what: '查看或设置截止日期（下级只能比上级提前）', roles: ['admin'] },
  { words: '期限 〈组织编码〉', what: '查看本组织（或所写组织）的截止日期', roles: ['secretary', 'leader', 'member'] },
  { words: '绑定 / bind 〈组织编码〉', what: '在群里 @我 使用：把本群绑定到组织，接收提醒和公示', roles: ['admin', 'leader'] },
  { words: '取消 / cancel', what: '退出正在进行的对话式填写', roles: ['secretary'] },
  // Members have no command of their own here: say where their part is.
  { words: '意见和建议', what: '本组织承诺书公示后，在群里的公示卡片上填写提交（书记和上级可见）', roles: ['member'] },
];

export const help: CommandHandler = async (deps, ctx) => {
  const me = await whoIs(deps, ctx.openId);
  await answer(deps, ctx, { card: helpCard(HELP_ENTRIES, me.roles, me.grants.length > 0 ? undefined : noRoleText(me)) });
};
