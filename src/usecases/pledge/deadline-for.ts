import { calendarExceptions } from '../../../db/repos/work-calendar.js';
import { addDays } from '../../domain/dates.js';
import { deadlineWindow, effectiveDeadline, type Deadline, type DeadlineKind } from '../../domain/cycle.js';
import { LOOK_AHEAD_DAYS, workingDeadline } from '../../domain/work-calendar.js';
import type { Deps } from '../deps.js';

/** Ids on an organization's path, root first: '/1/5/9/' → [1, 5, 9]. */
export const pathIds = (path: string): number[] => path.split('/').filter(Boolean).map(Number);

/**
 * The deadline in force for an organization: the earliest set by itself or any level above (else
 * the default), and the day it falls due — the next working day when that is a day off.
 */
export async function deadlineFor(deps: Pick<Deps, 'db'>, orgPath: string, year: number, kind: DeadlineKind): Promise<Deadline> {
  const ids = pathIds(orgPath);
  const rows = await deps.db
    .selectFrom('cycle_deadlines')
    .select(['cycle_deadlines.org_id', 'cycle_deadlines.due_date'])
    .where('cycle_deadlines.year', '=', year)
    .where('cycle_deadlines.kind', '=', kind)
    .where('cycle_deadlines.org_id', 'in', ids)
    .execute();
  const set = effectiveDeadline(year, kind, rows.map((r) => ({ orgId: r.org_id, dueDate: r.due_date })));
  return { set, due: await dueDay(deps, set, year, kind) };
}

/** The working day a deadline set on `day` falls due (work-calendar.ts workingDeadline). */
export async function dueDay(deps: Pick<Deps, 'db'>, day: string, year: number, kind: DeadlineKind): Promise<string> {
  const exceptions = await calendarExceptions(deps.db, addDays(day, -LOOK_AHEAD_DAYS), addDays(day, LOOK_AHEAD_DAYS));
  return workingDeadline(day, deadlineWindow(year, kind), exceptions);
}
