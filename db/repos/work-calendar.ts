import type { Kysely } from 'kysely';
import type { CalendarExceptions, CalendarRow, DayKind } from '../../src/domain/work-calendar.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/** The imported exceptions from `from` to `to` (both 'YYYY-MM-DD', inclusive). */
export async function calendarExceptions(db: Db, from: string, to: string): Promise<Map<string, DayKind>> {
  const rows = await db.selectFrom('work_calendar').select(['day', 'kind']).where('day', '>=', from).where('day', '<=', to).execute();
  return new Map(rows.map((r) => [r.day, r.kind]));
}

/** Whether any day of `year` was imported (its holiday notice). */
export async function hasCalendarFor(db: Db, year: number): Promise<boolean> {
  const row = await db.selectFrom('work_calendar').select('day').where('day', '>=', `${year}-01-01`).where('day', '<=', `${year}-12-31`).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function calendarRows(db: Db, from: string, to: string) {
  return db.selectFrom('work_calendar').select(['day', 'kind', 'name']).where('day', '>=', from).where('day', '<=', to).orderBy('day').execute();
}

/** Each row set as given: a day imported again takes the new kind and name. */
export async function saveCalendarRows(db: Db, rows: CalendarRow[], actor: string, at: Date): Promise<void> {
  for (const r of rows) {
    const values = { kind: r.kind, name: r.name, set_by: actor, set_at: at.toISOString() };
    await db
      .insertInto('work_calendar')
      .values({ day: r.day, ...values })
      .onConflict((oc) => oc.column('day').doUpdateSet(values))
      .execute();
  }
}
