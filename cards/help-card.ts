import type { Role } from '../src/domain/roles.js';
import { button, card, markdown, type Card } from './card-kit.js';

export interface HelpEntry {
  words: string;
  what: string;
  roles: Role[] | 'all';
}

/** What each role may ask for. Only commands that work are listed. `noRole`: why the asker holds none, if so. */
export function helpCard(entries: HelpEntry[], roles: ReadonlySet<Role>, noRole?: string): Card {
  const mine = entries.filter((e) => e.roles === 'all' || e.roles.some((r) => roles.has(r)));
  const lines = mine.map((e) => `**${e.words}**　${e.what}`);
  const tail = noRole ?? '在群里使用时请先 @我。命令前加 / 也可以。';
  return card('践诺助手 · 帮助', 'blue', [
    markdown(lines.join('\n')),
    markdown(`<font color='grey'>${tail}</font>`),
    button('我的身份', { action: 'me.show' }),
  ]);
}
