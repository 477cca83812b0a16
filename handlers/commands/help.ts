import { helpCard, type HelpEntry } from '../../cards/help-card.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { answer } from '../context.js';
import type { CommandHandler } from './registry.js';

/** The commands that work today, by role. Each feature adds its line here. */
export const HELP_ENTRIES: HelpEntry[] = [
  { words: '帮助 / help', what: '查看你能用的命令', roles: 'all' },
  { words: '我的 / me', what: '查看你的组织和角色', roles: 'all' },
  { words: '绑定 / bind 〈组织编码〉', what: '在群里 @我 使用：把本群绑定到组织，接收提醒和公示', roles: ['admin', 'leader'] },
  { words: '取消 / cancel', what: '退出正在进行的对话式填写', roles: 'all' },
];

export const help: CommandHandler = async (deps, ctx) => {
  const me = await whoIs(deps, ctx.openId);
  await answer(deps, ctx, { card: helpCard(HELP_ENTRIES, me.roles, me.grants.length > 0) });
};
