import { orgByCode, orgOfChat } from '../../db/repos/directory.js';
import { hasCalendarFor } from '../../db/repos/work-calendar.js';
import { deadlineText, DEADLINE_KINDS, DEADLINE_LABELS, parseDeadlineKind, pledgeYearFor } from '../../src/domain/cycle.js';
import { chineseDate, localDate, normalizeDate } from '../../src/domain/dates.js';
import { canRead } from '../../src/domain/pledge-rules.js';
import { deadlineFor } from '../../src/usecases/pledge/deadline-for.js';
import { OVERRIDDEN_SHOWN, setDeadline } from '../../src/usecases/pledge/set-deadline.js';
import { noRoleText, whoIs, type Identity } from '../../src/usecases/who-is.js';
import type { Deps } from '../../src/usecases/deps.js';
import { answer, type MessageContext } from '../context.js';
import type { CommandHandler } from './registry.js';

const USAGE = '设置截止日期：「期限 承诺 2027-01-15 组织编码」（承诺 / 一季度 … 四季度；承诺书从 11 月 1 日起算下一年度，要指定年度可在末尾写年份）。只发「期限」查看现行截止日期，「期限 组织编码」查看某个组织的。';
const NOT_ADMIN = '只有管理员可以设置截止日期。发送「期限」查看本组织的截止日期。';
const YEAR = /^\d{4}$/;

/**
 * `期限`: the deadlines in force for my organization; `期限 〈组织编码〉[年份]` those of one I may
 * read; admins set one level's: `期限 〈承诺/一季度…〉〈日期〉[组织编码] [年份]`.
 */
export const deadline: CommandHandler = async (deps, ctx) => {
  const me = await whoIs(deps, ctx.openId);
  const [first = '', ...rest] = ctx.args;
  const kind = parseDeadlineKind(first);
  if (!kind) {
    // A date without its kind is an attempt to set one: say how (to admins) or who may.
    if (normalizeDate(first)) return answer(deps, ctx, { text: !me.grants.length ? noRoleText(me) : me.roles.has('admin') ? USAGE : NOT_ADMIN });
    if (ctx.args.length > 2 || (rest[0] !== undefined && !YEAR.test(rest[0]))) {
      // 「期限 春节 2027-01-16」: a date after a word that is no deadline kind — say which words are.
      const unknownKind = me.roles.has('admin') && rest.some((w) => normalizeDate(w)) ? `「${first.slice(0, 10)}」不是可设置的期限，可写：承诺、一季度、二季度、三季度、四季度。` : '';
      return answer(deps, ctx, { text: me.roles.has('admin') ? unknownKind + USAGE : me.grants.length ? NOT_ADMIN : noRoleText(me) });
    }
    const code = first && !YEAR.test(first) ? first : undefined;
    const yearWord = YEAR.test(first) ? first : rest[0];
    return show(deps, ctx, me, code, yearWord ? Number(yearWord) : undefined);
  }
  if (!me.roles.has('admin')) return answer(deps, ctx, { text: me.grants.length ? NOT_ADMIN : noRoleText(me) });
  const [date = '', ...more] = rest;
  // 〈组织编码〉 and 〈年份〉 are both optional: a lone four-digit word is the year.
  const yearWord = more.find((w) => YEAR.test(w));
  const code = more.find((w) => w !== yearWord) ?? me.grants.find((g) => g.role === 'admin')?.orgCode;
  if (!date || !code || more.length > 2) return answer(deps, ctx, { text: USAGE });
  const r = await setDeadline(deps, { actor: ctx.openId, orgCode: code, year: yearWord ? Number(yearWord) : undefined, kind, date });
  if (!r.ok) return answer(deps, ctx, { text: r.reason });
  // The day it falls due first (what everyone will see), then why it differs from the date typed.
  const moved = r.due === r.date ? '' : `你填的 ${chineseDate(r.date)} 是休息日，已${r.due > r.date ? '顺延到其后第一个工作日' : '提前到此前最后一个工作日'}。`;
  const lines = r.unchanged
    ? [`${r.orgName} ${r.year} 年度${r.label}的截止日期已是 ${chineseDate(r.due)}，没有改动。${moved}`]
    : [
        `已设置：${r.orgName} ${r.year} 年度${r.label}截止 ${chineseDate(r.due)}。${moved}${r.previous ? `此前是 ${chineseDate(r.previous)}。` : ''}`,
        `下级组织的日期须不晚于 ${chineseDate(r.date)}。`,
        ...(r.overridden.length ? [`下级已设的较晚日期不再生效：${overriddenText(r.overridden)}。`] : []),
      ];
  const note = await holidaysNote(deps, Number(r.due.slice(0, 4)));
  await answer(deps, ctx, { text: [...lines, ...(note ? [note] : [])].join('\n') });
};

const overriddenText = (list: { name: string; date: string }[]) =>
  list.slice(0, OVERRIDDEN_SHOWN).map((o) => `${o.name} ${chineseDate(o.date)}`).join('、') + (list.length > OVERRIDDEN_SHOWN ? ' 等' : '');

/** Said to admins while a year's statutory holidays are unknown: its due days avoid weekends only. */
async function holidaysNote(deps: Deps, year: number): Promise<string | undefined> {
  if (await hasCalendarFor(deps.db, year)) return undefined;
  return `（${year} 年法定节假日尚未导入，目前只避开了周末，到期日可能再调整；国务院放假通知发布后请联系系统管理员导入。）`;
}

/** The deadlines in force for my organization, or for the one named (if I may read it). */
async function show(deps: Deps, ctx: MessageContext, me: Identity, code: string | undefined, yearArg: number | undefined): Promise<void> {
  const mine = me.grants[0];
  if (!mine) return answer(deps, ctx, { text: noRoleText(me) });
  const year = yearArg ?? pledgeYearFor(localDate(deps.now(), deps.timeZone));
  let org = { name: mine.orgName, path: mine.orgPath };
  // In a bound group, the group's organization is the one meant (if the asker may read it).
  const ofChat = !code && ctx.chatType === 'group' ? await orgOfChat(deps.db, ctx.chatId) : undefined;
  if (ofChat && canRead(me.grants, { id: ofChat.id, path: ofChat.path, parentId: ofChat.parent_id })) org = ofChat;
  if (code) {
    const found = await orgByCode(deps.db, code);
    if (!found) return answer(deps, ctx, { text: `没有编码为「${code.slice(0, 64)}」的组织。请核对编码后重发（发送「我的」查看你所在组织的编码）。` });
    if (!canRead(me.grants, { id: found.id, path: found.path, parentId: found.parent_id })) {
      return answer(deps, ctx, { text: `你不能查看「${found.name}」的截止日期：可以查看本组织的，领导和管理员还可查看下级组织的。发送「期限」查看本组织的截止日期。` });
    }
    org = found;
  }
  const { path } = org;
  const deadlines = await Promise.all(DEADLINE_KINDS.map((k) => deadlineFor(deps, path, year, k)));
  const lines = DEADLINE_KINDS.map((k, i) => `${DEADLINE_LABELS[k]}：${deadlineText(deadlines[i]!)}`);
  // Dates on days off move (work-calendar.ts): an admin is told when a year they fall in has no holidays imported
  // (a pledge's deadline may fall in December of the year before).
  const years = [...new Set(deadlines.map((d) => Number(d.due.slice(0, 4))))];
  const notes = me.roles.has('admin') ? (await Promise.all(years.map((y) => holidaysNote(deps, y)))).filter((n) => n !== undefined) : [];
  const note = notes.join('\n');
  // What to do next: an admin may change them; a secretary files (in a private chat).
  const next = me.roles.has('admin') ? USAGE : me.roles.has('secretary') ? (ctx.chatType === 'p2p' ? '发送「承诺」填写或查看本组织的承诺书。' : '私聊我发送「承诺」填写或查看本组织的承诺书。') : '';
  await answer(deps, ctx, { text: `${org.name} ${year} 年度截止日期：\n${lines.join('\n')}${note ? `\n${note}` : ''}\n\n${next}`.trim() });
}
