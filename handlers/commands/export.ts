import { orgByCode } from '../../db/repos/directory.js';
import { orgsWithPledgesBelow } from '../../db/repos/pledges.js';
import { yearsInView } from '../../src/domain/cycle.js';
import { localDate } from '../../src/domain/dates.js';
import { ledgerXlsxBytes } from '../../src/documents/ledger-xlsx.js';
import { canFile, canReadLedger, isPublished } from '../../src/domain/pledge-rules.js';
import { PLEDGE_STATUS_LABEL } from '../../src/domain/pledge-status.js';
import type { Deps } from '../../src/usecases/deps.js';
import { ledgerRows } from '../../src/usecases/ledger/ledger-rows.js';
import { ledgerYear } from '../../src/usecases/ledger/ledger-year.js';
import { printablePledgeFile } from '../../src/usecases/pledge/pledge-file.js';
import { noRoleText, whoIs } from '../../src/usecases/who-is.js';
import { codeAndYear } from '../command-args.js';
import { answer, type MessageContext } from '../context.js';
import type { CommandHandler } from './registry.js';

/**
 * Files go to the asker, privately (by open_id, as a private chat's answers do, so the file comes
 * before the answer about it): the rights checked are the asker's.
 */
const fileTo = (ctx: MessageContext) => ({ openId: ctx.openId });

/**
 * `导出 承诺书 [组织编码] [年份]` (printable Word) and `导出 台账 …` (Excel), as files to the asker.
 * Asked in a group, everything is answered privately and the group is only told so: whether an
 * organization has filed, a version's status, how many items a subtree holds are the asker's to
 * read, not everyone's in the group.
 */
export const exportCommand: CommandHandler = async (deps, ctx) => {
  if (ctx.chatType === 'group') {
    await exportFor(deps, { ...ctx, chatType: 'p2p' });
    await answer(deps, ctx, { text: '已私信回复你。' }, 2);
    return;
  }
  await exportFor(deps, ctx);
};

async function exportFor(deps: Deps, ctx: MessageContext): Promise<void> {
  const [what, ...rest] = ctx.args;
  if (what === '台账' || what === 'ledger') {
    await exportLedger(deps, ctx, rest);
    return;
  }
  if (what !== '承诺书' && what !== 'pledge') {
    await answer(deps, ctx, { text: '可以导出：「导出 承诺书 〈组织编码〉〈年份〉」（可打印的 Word），「导出 台账 〈组织编码〉〈年份〉」（Excel）。' });
    return;
  }
  const parsed = codeAndYear(rest);
  if (parsed.extra.length > 0) {
    await answer(deps, ctx, { text: extraWords(parsed.extra, '导出 承诺书') });
    return;
  }
  const me = await whoIs(deps, ctx.openId);
  let code = parsed.code;
  /** Without a code, a leader or admin is offered the pledges below their organization if theirs has none to give. */
  let below: string | undefined;
  if (!code) {
    const grant = me.grants.find((g) => g.role === 'secretary') ?? me.grants[0];
    code = grant?.orgCode;
    // The organization they lead or administer (many leaders are also a branch's secretary).
    below = me.grants.find((g) => g.role === 'leader' || g.role === 'admin')?.orgCode;
    if (!code) {
      await answer(deps, ctx, { text: me.person ? noRoleText(me) : '你还不在组织名录中。请写明组织编码：「导出 承诺书 组织编码」。' });
      return;
    }
  }
  const f = await printablePledgeFile(deps, { openId: ctx.openId, orgCode: code, year: parsed.year });
  if (!f.ok) {
    // A leader rarely knows the codes: a dead end unless the reply names what can be exported.
    const list = below ? await pledgesBelow(deps, below, parsed.year) : '';
    await answer(deps, ctx, { text: f.reason + list });
    return;
  }
  await deps.outbox.enqueue({ key: `export:${ctx.messageId}`, to: fileTo(ctx), file: { name: f.name, data: f.data } });
  // Only an approved version is the 公开承诺书 to print and post — its secretary's to do; any other is for checking.
  const use = !isPublished(f.ctx.view.status)
    ? `这一版未经上级审定（${PLEDGE_STATUS_LABEL[f.ctx.view.status]}）：仅供核对，不能公示或报送。`
    : canFile(me.grants, f.ctx.orgRef)
      ? '打印一式四份：本级留存一份、公示一份、报送上级两份。'
      : '';
  await answer(deps, ctx, { text: `已生成「${f.name}」（第 ${f.ctx.version.version_no} 版），请查收。${use}` }, 1);
}

/** The organizations below `code` with a pledge in view, each with the command that exports it. */
async function pledgesBelow(deps: Deps, code: string, year: number | undefined): Promise<string> {
  const org = await orgByCode(deps.db, code);
  if (!org) return '';
  const years = year ? [year] : yearsInView(localDate(deps.now(), deps.timeZone));
  const rows = await orgsWithPledgesBelow(deps.db, org.path, years, SHOWN + 1);
  if (rows.length === 0) return '';
  const yearArg = year ? ` ${year}` : '';
  const list = rows.slice(0, SHOWN).map((r) => `· ${r.name}：发送「导出 承诺书 ${r.code}${yearArg}」`);
  const more = rows.length > SHOWN ? '\n…… 其余各组织的承诺见「导出 台账」。' : '';
  return `\n下级组织的承诺书可以这样导出：\n${list.join('\n')}${more}`;
}
const SHOWN = 8;

/** `导出 台账 [组织编码] [年份]`: the ledger of a subtree the asker leads or administers, as Excel. */
async function exportLedger(deps: Deps, ctx: MessageContext, args: string[]): Promise<void> {
  const parsed = codeAndYear(args);
  if (parsed.extra.length > 0) {
    await answer(deps, ctx, { text: extraWords(parsed.extra, '导出 台账') });
    return;
  }
  const me = await whoIs(deps, ctx.openId);
  const code = parsed.code ?? me.grants.find((g) => g.role === 'admin' || g.role === 'leader')?.orgCode;
  if (!code) {
    const text = me.grants.length ? '台账由上级领导和管理员导出。你可以「导出 承诺书」取本组织的承诺书。' : noRoleText(me);
    await answer(deps, ctx, { text });
    return;
  }
  const org = await orgByCode(deps.db, code);
  if (!org) {
    await answer(deps, ctx, { text: `没有编码为「${code.slice(0, 64)}」的组织。请核对编码后重发。` });
    return;
  }
  if (!canReadLedger(me.grants, { id: org.id, path: org.path, parentId: org.parent_id })) {
    await answer(deps, ctx, { text: `你没有查看「${org.name}」台账的权限：台账由本级及上级的领导和管理员导出。` });
    return;
  }
  const { year, other } = parsed.year ? { year: parsed.year, other: undefined } : await ledgerYear(deps, org.path);
  const { data, count } = await ledgerXlsxBytes(ledgerRows(deps, { orgPath: org.path, year }), deps.timeZone);
  if (count === 0) {
    // An empty spreadsheet answers nothing: say so, and where there is something.
    const elsewhere = other ? `要 ${other} 年度的，发送「导出 台账 ${code} ${other}」。` : '';
    await answer(deps, ctx, { text: `「${org.name}」及下级还没有 ${year} 年度的承诺书，没有可导出的台账。${elsewhere}` });
    return;
  }
  const name = `${year}年度承诺台账-${org.name.replace(/[\\/:*?"<>|\s]+/g, '')}.xlsx`;
  await deps.outbox.enqueue({ key: `ledger:${ctx.messageId}`, to: fileTo(ctx), file: { name, data } });
  const otherYear = other ? `\n要 ${other} 年度的，发送「导出 台账 ${code} ${other}」。` : '';
  await answer(deps, ctx, { text: `已生成「${name}」：${org.name} 及下级 ${count} 项承诺，请查收。${otherYear}` }, 1);
}

/** Words a command does not take: refused, not ignored (a typo there may change what is meant). */
const extraWords = (extra: string[], command: string) => `看不懂「${extra.join(' ').slice(0, 40)}」：格式是「${command} 〈组织编码〉〈年份〉」，两项都可省略。`;
