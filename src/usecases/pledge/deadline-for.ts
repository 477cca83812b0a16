import { effectiveDeadline, type DeadlineKind } from '../../domain/cycle.js';
import type { Deps } from '../deps.js';

/** Ids on an organization's path, root first: '/1/5/9/' → [1, 5, 9]. */
export const pathIds = (path: string): number[] => path.split('/').filter(Boolean).map(Number);

/** The deadline in force for an organization: the earliest set by itself or any level above. */
export async function deadlineFor(deps: Pick<Deps, 'db'>, orgPath: string, year: number, kind: DeadlineKind): Promise<string> {
  const ids = pathIds(orgPath);
  const rows = await deps.db
    .selectFrom('cycle_deadlines')
    .select(['cycle_deadlines.org_id', 'cycle_deadlines.due_date'])
    .where('cycle_deadlines.year', '=', year)
    .where('cycle_deadlines.kind', '=', kind)
    .where('cycle_deadlines.org_id', 'in', ids)
    .execute();
  return effectiveDeadline(year, kind, rows.map((r) => ({ orgId: r.org_id, dueDate: r.due_date })));
}
