import { ORG_KIND_LABELS, ROLE_LABELS, type OrgKind, type Role } from '../src/domain/roles.js';
import { card, markdown, md, type Card } from './card-kit.js';

export interface MeView {
  name: string | undefined;
  grants: { role: Role; orgCode: string; orgName: string; orgKind: string }[];
  /** What to do now, one line per role (src/usecases/what-next.ts). */
  next?: string[];
  /** With no role: in the directory once (and since left), or never imported. */
  noRole?: string;
  /** How to ask for 帮助 where the card is shown: in a group, '@我 发送' (the bot hears only @-mentions there). */
  send?: string;
}

export function meCard(view: MeView): Card {
  if (!view.name || view.grants.length === 0) {
    return card('我的身份', 'grey', [
      markdown(view.noRole ?? '你还不在组织名录中。\n请把你的飞书账号（手机号或邮箱）告诉本单位创先办，由管理员导入名录后再试。'),
    ]);
  }
  const lines = view.grants.map(
    (g) => `· **${ROLE_LABELS[g.role]}**　${md(g.orgName, 60)}（${ORG_KIND_LABELS[g.orgKind as OrgKind] ?? md(g.orgKind, 10)}，编码 ${md(g.orgCode, 64)}）`,
  );
  const next = view.next?.length ? [markdown(`**现在可以做**\n${view.next.map((l) => `· ${md(l, 200)}`).join('\n')}`)] : [];
  return card(`我的身份 · ${view.name}`, 'blue', [markdown(lines.join('\n')), ...next, markdown(`<font color='grey'>${view.send ?? '发送'}「帮助」查看你能用的命令。</font>`)]);
}
