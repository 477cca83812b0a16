import { writeLedgerXlsx } from '../documents/ledger-xlsx.js';
import { ledgerRows, ledgerScope } from '../usecases/ledger/ledger-rows.js';
import { parseArgs } from 'node:util';
import { DEADLINE_KINDS, DEADLINE_LABELS, parseDeadlineKind } from '../domain/cycle.js';
import { localDate } from '../domain/dates.js';
import { pledgeYearFor } from '../domain/cycle.js';
import type { Deps } from '../usecases/deps.js';
import { deadlineFor } from '../usecases/pledge/deadline-for.js';
import { PLEDGE_STATUS_LABEL } from '../domain/pledge-status.js';
import { printablePledgeFile } from '../usecases/pledge/pledge-file.js';
import { ledgerYear } from '../usecases/ledger/ledger-year.js';
import { setDeadline } from '../usecases/pledge/set-deadline.js';
import { fromCaller } from './caller-path.js';
import { writeOutput } from './write-output.js';
import { orgByCode } from '../../db/repos/directory.js';

export const PLEDGE_USAGE = `  deadline set --org CODE --kind pledge|q1..q4 --date YYYY-MM-DD [--year Y]   设置截止日期
  deadline list --org CODE [--year Y]      查看某组织现行截止日期（到期日、设定日）
  export-pledge --org CODE --out file.docx [--year Y]  导出可打印的公开承诺书
  export --out file.xlsx [--org CODE] [--year Y]      导出承诺台账 (Excel)`;

/** `npm run admin -- deadline …` */
export async function deadlineCommand(deps: Deps, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, kind: { type: 'string' }, date: { type: 'string' }, year: { type: 'string' } } });
  // Without --year: set decides it from the date, as the chat command does (a December date is
  // next year's pledge's); list shows the year being filed.
  const year = values.year ? Number(values.year) : pledgeYearFor(localDate(deps.now(), deps.timeZone));
  if (!values.org || !Number.isInteger(year)) {
    console.error(`需要 --org 组织编码。\n${PLEDGE_USAGE}`);
    return 2;
  }
  if (sub === 'set') {
    const kind = parseDeadlineKind(values.kind ?? '');
    if (values.kind !== undefined && !kind) {
      console.error(`--kind「${values.kind.slice(0, 32)}」无效，应为 ${DEADLINE_KINDS.map((k) => `${k}（${DEADLINE_LABELS[k]}）`).join('、')}。`);
      return 2;
    }
    if (!kind || !values.date) {
      console.error(`需要 --kind (pledge|q1|q2|q3|q4) 和 --date YYYY-MM-DD。\n${PLEDGE_USAGE}`);
      return 2;
    }
    const r = await setDeadline(deps, { actor: null, orgCode: values.org, year: values.year ? year : undefined, kind, date: values.date });
    if (!r.ok) {
      console.error(`未设置 (not set): ${r.reason}`);
      return 1;
    }
    const moved = r.due === r.date ? '' : `；遇休息日，${r.due} 到期 (a day off: due ${r.due})`;
    console.log(r.unchanged ? `没有改动 (unchanged): ${r.orgName} ${r.year} ${r.label} 截止已是 ${r.date}${moved}` : `已设置 (set): ${r.orgName} ${r.year} ${r.label} 截止 ${r.date}${r.previous ? `（原 ${r.previous}）` : ''}${moved}`);
    return 0;
  }
  if (sub === 'list') {
    const org = await orgByCode(deps.db, values.org);
    if (!org) {
      console.error(`没有编码为「${values.org}」的组织。`);
      return 1;
    }
    // kind, label, the day it falls due (a working day), the date set
    for (const k of DEADLINE_KINDS) {
      const d = await deadlineFor(deps, org.path, year, k);
      console.log(`${k}\t${DEADLINE_LABELS[k]}\t${d.due}\t${d.set}`);
    }
    return 0;
  }
  console.error(PLEDGE_USAGE);
  return 2;
}

/** `npm run admin -- export-pledge --org CODE --out file.docx [--year Y]` (without a year as 导出 承诺书) */
export async function exportPledgeCommand(deps: Deps, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' }, year: { type: 'string' }, out: { type: 'string' } } });
  const year = values.year === undefined ? undefined : Number(values.year);
  if (!values.org || !values.out || (year !== undefined && !Number.isInteger(year))) {
    console.error(`需要 --org 和 --out（--year 可省略）。\n${PLEDGE_USAGE}`);
    return 2;
  }
  values.out = fromCaller(values.out);
  const f = await printablePledgeFile(deps, { openId: null, orgCode: values.org, year });
  if (!f.ok) {
    console.error(f.reason);
    return 1;
  }
  try {
    await writeOutput(values.out, async (out) => void out.end(f.data));
  } catch (err) {
    console.error(`导出失败，未写入 ${values.out} (export failed): ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  console.log(`已导出 (written): ${values.out}（${f.name}，第 ${f.ctx.version.version_no} 版，${PLEDGE_STATUS_LABEL[f.ctx.view.status]}）`);
  return 0;
}

/** `npm run admin -- export --out file.xlsx [--org CODE] [--year Y]`: the 台账 as Excel. */
export async function exportLedgerCommand(deps: Deps, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' }, year: { type: 'string' }, out: { type: 'string' } } });
  const asked = values.year === undefined ? undefined : Number(values.year);
  if (!values.out || (asked !== undefined && !Number.isInteger(asked))) {
    console.error('需要 --out 文件名，例如：npm run admin -- export --out ledger.xlsx --org HENU');
    return 2;
  }
  values.out = fromCaller(values.out);
  const scope = await ledgerScope(deps, values.org);
  if (!scope.ok) {
    console.error(scope.reason);
    return 1;
  }
  const year = asked ?? (await ledgerYear(deps, scope.path)).year;
  let count: number;
  try {
    count = await writeOutput(values.out, (out) => writeLedgerXlsx(ledgerRows(deps, { orgPath: scope.path, year }), out, deps.timeZone));
  } catch (err) {
    console.error(`导出失败，未写入 ${values.out} (export failed): ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  console.log(`已导出 (written): ${values.out}（${scope.name} ${year} 年度台账，${count} 项承诺）`);
  return 0;
}
