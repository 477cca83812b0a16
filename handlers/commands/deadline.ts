import { DEADLINE_KINDS, DEADLINE_LABELS, parseDeadlineKind } from '../../src/domain/cycle.js';
import { chineseDate, localDate } from '../../src/domain/dates.js';
import { pledgeYearFor } from '../../src/domain/cycle.js';
import { deadlineFor } from '../../src/usecases/pledge/deadline-for.js';
import { setDeadline } from '../../src/usecases/pledge/set-deadline.js';
import { whoIs } from '../../src/usecases/who-is.js';
import { answer } from '../context.js';
import type { CommandHandler } from './registry.js';

const USAGE = '设置截止日期：「期限 承诺 2027-01-15 组织编码」（承诺 / 一季度 … 四季度）。只发「期限」查看现行截止日期。';

/** `期限`: the deadlines in force for my organization; admins set one level's deadline. */
export const deadline: CommandHandler = async (deps, ctx) => {
  const me = await whoIs(deps, ctx.openId);
  const year = pledgeYearFor(localDate(deps.now(), deps.timeZone));
  if (ctx.args.length === 0) {
    const g = me.grants[0];
    if (!g) {
      await answer(deps, ctx, { text: '你还不在组织名录中，请联系创先办。' });
      return;
    }
    const lines = await Promise.all(DEADLINE_KINDS.map(async (k) => `${DEADLINE_LABELS[k]}：${chineseDate(await deadlineFor(deps, g.orgPath, year, k))}`));
    await answer(deps, ctx, { text: `${g.orgName} ${year} 年度截止日期：\n${lines.join('\n')}\n\n${me.roles.has('admin') ? USAGE : ''}`.trim() });
    return;
  }
  const [kindWord = '', date = '', code, yearArg] = ctx.args;
  const kind = parseDeadlineKind(kindWord);
  const orgCode = code ?? me.grants.find((g) => g.role === 'admin')?.orgCode;
  if (!kind || !date || !orgCode) {
    await answer(deps, ctx, { text: USAGE });
    return;
  }
  const r = await setDeadline(deps, { actor: ctx.openId, orgCode, year: yearArg && /^\d{4}$/.test(yearArg) ? Number(yearArg) : Number(date.slice(0, 4)) || year, kind, date });
  await answer(deps, ctx, { text: r.ok ? `已设置：${r.orgName} ${r.label}截止 ${chineseDate(r.date)}${r.previous ? `（原 ${chineseDate(r.previous)}）` : ''}。下级组织只能在此之前。` : r.reason });
};
