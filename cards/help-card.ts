import type { Role } from '../src/domain/roles.js';
import { button, card, markdown, type Card } from './card-kit.js';

export interface HelpEntry {
  words: string;
  what: string;
  roles: Role[] | 'all';
}

/** What each role may ask for. Only commands that work are listed. */
export function helpCard(entries: HelpEntry[], roles: ReadonlySet<Role>, inDirectory: boolean): Card {
  const mine = entries.filter((e) => e.roles === 'all' || e.roles.some((r) => roles.has(r)));
  const lines = mine.map((e) => `**${e.words}**　${e.what}`);
  const tail = inDirectory
    ? '在群里使用时请先 @我。命令前加 / 也可以。'
    : '你还不在组织名录中：请联系本单位创先办（管理员）把你导入名录，之后即可使用全部功能。';
  return card('践诺助手 · 帮助', 'blue', [
    markdown(lines.join('\n')),
    markdown(`<font color='grey'>${tail}</font>`),
    button('我的身份', { action: 'me.show' }),
  ]);
}
