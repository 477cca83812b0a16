import { parseArgs } from 'node:util';
import { calendarRows } from '../../db/repos/work-calendar.js';
import { localYear } from '../domain/dates.js';
import type { Deps } from '../usecases/deps.js';
import { importCalendar } from '../usecases/import-calendar.js';
import { fromCaller } from './caller-path.js';
import { readTable } from './read-table.js';

export const CALENDAR_USAGE = `  calendar import <calendar.csv|xlsx>      导入节假日和调休上班日 (import the year's holidays and make-up working days)
  calendar show [--year Y]                 查看某年导入的节假日安排 (list them)`;

const WEEKDAYS = '日一二三四五六';
const KIND_LABEL = { holiday: '休', workday: '班' } as const;

/** `npm run admin -- calendar …` (the database only: no Feishu credentials needed, on D1 either). */
export async function calendarCommand(deps: Pick<Deps, 'db' | 'now' | 'timeZone'>, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'import') {
    const [file, ...extra] = rest;
    if (!file || extra.length > 0) {
      console.error(`请给出一个文件：npm run admin -- calendar import calendar.csv\n${CALENDAR_USAGE}`);
      return 2;
    }
    const r = await importCalendar(deps, { table: await readTable(fromCaller(file)), actor: 'cli:calendar' });
    if (!r.ok) {
      console.error(`导入失败，未写入任何数据。共 ${r.problems.length} 处问题 (nothing imported):`);
      for (const p of r.problems) console.error(`  ${file} 第 ${p.line} 行: ${p.message}`);
      return 1;
    }
    console.log(`导入完成 (imported): ${r.from} 至 ${r.to}，新增 ${r.added} 天，更新 ${r.changed} 天，未变 ${r.unchanged} 天。落在休息日的截止日期顺延到其后第一个工作日（季度的不跨出本季度，改为提前）。`);
    return 0;
  }
  if (sub === 'show') {
    const { values } = parseArgs({ args: rest, options: { year: { type: 'string' } } });
    const year = values.year === undefined ? localYear(deps.now(), deps.timeZone) : Number(values.year);
    if (!Number.isInteger(year) || year < 2000 || year > 2100) {
      console.error(`--year「${String(values.year).slice(0, 10)}」不是有效年份。`);
      return 2;
    }
    const rows = await calendarRows(deps.db, `${year}-01-01`, `${year}-12-31`);
    if (rows.length === 0) {
      console.log(`${year} 年还没有导入节假日安排：目前只按周一至周五上班计算 (no holidays imported for ${year}: Monday to Friday are working days).`);
      return 0;
    }
    for (const r of rows) {
      const weekday = WEEKDAYS[new Date(`${r.day}T00:00:00Z`).getUTCDay()];
      console.log(`${r.day}\t周${weekday}\t${KIND_LABEL[r.kind]}\t${r.name}`);
    }
    return 0;
  }
  console.error(CALENDAR_USAGE);
  return 2;
}
