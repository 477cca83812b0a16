import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface DialogState {
  kind: string;
  step: string;
  data: Record<string, unknown>;
}

const stateOf = (row: { kind: string; step: string; data: string }): DialogState => ({ kind: row.kind, step: row.step, data: JSON.parse(row.data) as Record<string, unknown> });

/** A person's dialog row, open or run out (an expired row stays until takeExpiredDialog). */
export async function readDialog(db: Kysely<Database>, openId: string, now: Date): Promise<{ state: DialogState; open: boolean } | undefined> {
  const row = await db.selectFrom('dialogs').selectAll().where('open_id', '=', openId).executeTakeFirst();
  return row && { state: stateOf(row), open: row.expires_at > now.toISOString() };
}

/** A person's open multi-step dialog, or undefined when none or expired. */
export async function getDialog(db: Kysely<Database>, openId: string, now: Date): Promise<DialogState | undefined> {
  const found = await readDialog(db, openId, now);
  return found?.open ? found.state : undefined;
}

export async function saveDialog(db: Kysely<Database>, openId: string, state: DialogState, now: Date, ttlMs: number): Promise<void> {
  const values = {
    kind: state.kind,
    step: state.step,
    data: JSON.stringify(state.data),
    expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    updated_at: now.toISOString(),
  };
  await db
    .insertInto('dialogs')
    .values({ open_id: openId, ...values })
    .onConflict((oc) => oc.column('open_id').doUpdateSet(values))
    .execute();
}

export async function clearDialog(db: Kysely<Database>, openId: string): Promise<void> {
  await db.deleteFrom('dialogs').where('open_id', '=', openId).execute();
}

/** Ends the person's open dialog of `kind` on `versionId` (its data.versionId), if that is the one open; true if it was. */
export async function clearDialogOn(db: Kysely<Database>, openId: string, kind: string, versionId: number, now: Date): Promise<boolean> {
  const r = await db
    .deleteFrom('dialogs')
    .where('open_id', '=', openId)
    .where('kind', '=', kind)
    .where(sql`json_extract(data, '$.versionId')`, '=', versionId)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * A person's dialog that has run out, removed as it is read: whoever asks first gets it, once.
 * getDialog leaves an expired row in place, so the next message can be told the dialog ended
 * (rather than taken for an unknown command); after that it is gone.
 */
export async function takeExpiredDialog(db: Kysely<Database>, openId: string, now: Date): Promise<DialogState | undefined> {
  const row = await db
    .deleteFrom('dialogs')
    .where('open_id', '=', openId)
    .where('expires_at', '<=', now.toISOString())
    .returningAll()
    .executeTakeFirst();
  return row && stateOf(row);
}
