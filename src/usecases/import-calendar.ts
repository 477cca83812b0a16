import { appendAudit } from '../../db/repos/audit.js';
import { calendarRows, saveCalendarRows } from '../../db/repos/work-calendar.js';
import { validateCalendar, type CalendarProblem } from '../domain/work-calendar.js';
import type { Deps } from './deps.js';

type Table = Parameters<typeof validateCalendar>[0];

export type ImportCalendarResult =
  | { ok: true; added: number; changed: number; unchanged: number; from: string; to: string }
  | { ok: false; problems: CalendarProblem[] };

/**
 * A year's holidays and make-up working days (the State Council's notice) into the work
 * calendar: all rows checked first, nothing written if one is wrong; importing again updates.
 * One audit entry holds every day changed, what it was and what it is.
 */
export async function importCalendar(deps: Pick<Deps, 'db' | 'now'>, input: { table: Table; actor: string }): Promise<ImportCalendarResult> {
  const { rows, problems } = validateCalendar(input.table);
  if (problems.length) return { ok: false, problems };
  if (rows.length === 0) return { ok: false, problems: [{ line: 1, message: '文件里没有日期行' }] };
  const days = rows.map((r) => r.day).sort();
  const from = days[0]!;
  const to = days.at(-1)!;
  const before = new Map((await calendarRows(deps.db, from, to)).map((r) => [r.day, r]));
  const changed = rows.filter((r) => {
    const b = before.get(r.day);
    return !b || b.kind !== r.kind || b.name !== r.name;
  });
  const now = deps.now();
  if (changed.length > 0) {
    await saveCalendarRows(deps.db, changed, input.actor, now);
    await appendAudit(
      deps.db,
      {
        actor: input.actor,
        action: 'calendar.import',
        entity: 'work_calendar',
        entityId: `${from}..${to}`,
        before: Object.fromEntries(changed.map((r) => [r.day, before.get(r.day) ? { kind: before.get(r.day)!.kind, name: before.get(r.day)!.name } : null])),
        after: Object.fromEntries(changed.map((r) => [r.day, { kind: r.kind, name: r.name }])),
      },
      now,
    );
  }
  const added = changed.filter((r) => !before.has(r.day)).length;
  return { ok: true, added, changed: changed.length - added, unchanged: rows.length - changed.length, from, to };
}
