import { orgByCode, orgById } from '../../../db/repos/directory.js';
import { appendAudit } from '../../../db/repos/audit.js';
import { checkNewDeadline, deadlineYearFor, DEADLINE_LABELS, type DeadlineKind } from '../../domain/cycle.js';
import { addDays, localDate, normalizeDate } from '../../domain/dates.js';
import { subtreeUpperBound } from '../../domain/org-path.js';
import { canActOn } from '../../domain/roles.js';
import type { Deps } from '../deps.js';
import { whoIs } from '../who-is.js';
import { deadlineFor, dueDay } from './deadline-for.js';

export type SetDeadlineResult =
  | {
      ok: true;
      orgName: string;
      label: string;
      year: number;
      /** The date set, and the working day it falls due (work-calendar.ts). */
      date: string;
      due: string;
      previous: string | undefined;
      unchanged: boolean;
      /** Lower levels whose own later dates no longer count (the earliest on a path is in force); at most OVERRIDDEN_SHOWN + 1. */
      overridden: { name: string; date: string }[];
    }
  | { ok: false; reason: string };

export const OVERRIDDEN_SHOWN = 5;

/**
 * Sets one level's deadline. Admins of the organization or above; the CLI (actor null) always.
 * Without a year, the date decides it (deadlineYearFor). Never a date outside the kind's window
 * (deadlineWindow), nor, from the chat, one already past (today in the deployment's time zone).
 */
export async function setDeadline(deps: Deps, input: { actor: string | null; orgCode: string; year?: number; kind: DeadlineKind; date: string }): Promise<SetDeadlineResult> {
  const org = await orgByCode(deps.db, input.orgCode);
  if (!org) return { ok: false, reason: `没有编码为「${input.orgCode.slice(0, 64)}」的组织。` };
  if (input.actor !== null) {
    const me = await whoIs(deps, input.actor);
    if (!canActOn(me.grants, org.path, ['admin'])) return { ok: false, reason: `只有「${org.name}」或上级的管理员可以设置截止日期。` };
  }
  const date = normalizeDate(input.date);
  const now = deps.now();
  const today = localDate(now, deps.timeZone);
  // The example shows the format with a date still to come.
  if (!date) return { ok: false, reason: `「${input.date.slice(0, 20)}」不是有效日期，请写成年-月-日，例如 ${addDays(today, 30)}。` };
  const year = input.year ?? deadlineYearFor(input.kind, date);
  const parent = org.parent_id ? await orgById(deps.db, org.parent_id) : undefined;
  const parentEffective = parent ? await deadlineFor(deps, parent.path, year, input.kind) : undefined;
  const parentSetsIt = parent
    ? (await deps.db.selectFrom('cycle_deadlines').select('org_id').where('year', '=', year).where('kind', '=', input.kind).where('org_id', 'in', parent.path.split('/').filter(Boolean).map(Number)).executeTakeFirst()) !== undefined
    : false;
  // The CLI (an operator) may record a date already past, e.g. entering an earlier cycle's; a
  // person in the chat is stopped from setting one by mistake. The kind's window holds for both.
  const problem = checkNewDeadline(year, date, parent && parentSetsIt && parentEffective ? { date: parentEffective.set, due: parentEffective.due, name: parent.name } : undefined, { kind: input.kind, today: input.actor === null ? undefined : today });
  if (problem) return { ok: false, reason: problem };
  const before = await deps.db.selectFrom('cycle_deadlines').select('due_date').where('year', '=', year).where('org_id', '=', org.id).where('kind', '=', input.kind).executeTakeFirst();
  // The same date again changes nothing, and is not logged as a change.
  if (before?.due_date === date) return { ok: true, orgName: org.name, label: DEADLINE_LABELS[input.kind], year, date, due: await dueDay(deps, date, year, input.kind), previous: date, unchanged: true, overridden: [] };
  await deps.db.insertInto('cycles').values({ year, created_at: now.toISOString() }).onConflict((oc) => oc.column('year').doNothing()).execute();
  const values = { due_date: date, set_by: input.actor ?? 'cli', set_at: now.toISOString() };
  await deps.db.insertInto('cycle_deadlines').values({ year, org_id: org.id, kind: input.kind, ...values }).onConflict((oc) => oc.columns(['year', 'org_id', 'kind']).doUpdateSet(values)).execute();
  await appendAudit(deps.db, { actor: input.actor ?? 'cli', action: 'deadline.set', entity: 'cycle_deadline', entityId: `${year}:${org.code}:${input.kind}`, before: before ? { due: before.due_date } : null, after: { due: date } }, now);
  const overridden = await deps.db
    .selectFrom('cycle_deadlines')
    .innerJoin('organizations', 'organizations.id', 'cycle_deadlines.org_id')
    .select(['organizations.name', 'cycle_deadlines.due_date as date'])
    .where('cycle_deadlines.year', '=', year)
    .where('cycle_deadlines.kind', '=', input.kind)
    .where('cycle_deadlines.due_date', '>', date)
    .where('organizations.path', '>', org.path)
    .where('organizations.path', '<', subtreeUpperBound(org.path))
    .orderBy('organizations.path')
    .limit(OVERRIDDEN_SHOWN + 1)
    .execute();
  return { ok: true, orgName: org.name, label: DEADLINE_LABELS[input.kind], year, date, due: await dueDay(deps, date, year, input.kind), previous: before?.due_date, unchanged: false, overridden };
}
