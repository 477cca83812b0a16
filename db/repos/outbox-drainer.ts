import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/**
 * Takes the outbox for one drainer until `until`, if nobody holds it (or a holder's lease ran
 * out). One statement, so two invocations racing for it cannot both win. Returns when Feishu last
 * asked the whole app to pause until, or undefined when another drainer holds the outbox.
 */
export async function takeDrainer(db: Db, holder: string, now: Date, until: Date): Promise<{ appPausedUntil: string | null } | undefined> {
  const row = await db
    .insertInto('outbox_drainer')
    .values({ id: 1, holder, until: until.toISOString(), app_paused_until: null })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ holder, until: until.toISOString() })
        .where('outbox_drainer.until', '<=', now.toISOString()),
    )
    .returning('app_paused_until')
    .executeTakeFirst();
  return row ? { appPausedUntil: row.app_paused_until } : undefined;
}

/** Lets the next drainer in at once (only the holder's own lease). */
export async function releaseDrainer(db: Db, holder: string): Promise<void> {
  await db.updateTable('outbox_drainer').set({ until: '' }).where('id', '=', 1).where('holder', '=', holder).execute();
}

/** Feishu throttled the whole app: no drainer sends before `until`. */
export async function pauseApp(db: Db, until: Date): Promise<void> {
  const iso = until.toISOString();
  await db
    .updateTable('outbox_drainer')
    .set({ app_paused_until: iso })
    .where('id', '=', 1)
    .where((eb) => eb.or([eb('app_paused_until', 'is', null), eb('app_paused_until', '<', iso)]))
    .execute();
}

/** Tries that got their answer after `since`: whom each went to, and when. */
export function triedSince(db: Db, since: Date) {
  return db
    .selectFrom('outbox')
    .select(['receive_id_type', 'receive_id', 'tried_at'])
    .where('tried_at', 'is not', null)
    .where('tried_at', '>', since.toISOString())
    .orderBy('tried_at')
    .execute();
}

/** The newest outbox row's id (0 when empty). */
export async function lastOutboxId(db: Db): Promise<number> {
  const r = await db.selectFrom('outbox').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(r?.id ?? 0);
}
