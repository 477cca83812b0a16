import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type OpenedSqlite } from '../db/open-sqlite.js';
import { prepared } from '../db/prepared.js';
import { claimDelivery, deliveryByKey, finishDelivery } from '../db/repos/inbound.js';

/** Queries compiled once and bound per call (db/prepared.ts), on a real migrated SQLite file. */
describe('prepared queries', () => {
  let dir: string;
  let sqlite: OpenedSqlite;
  const now = new Date('2026-11-27T08:00:00Z');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prepared-'));
    sqlite = openSqlite(join(dir, 'db.sqlite'));
  });
  afterEach(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the query once and binds each call its own values', async () => {
    let builds = 0;
    const byType = prepared((db, p: { type: string; status: string }) => {
      builds++;
      return db.selectFrom('inbound_events').select('key').where('event_type', '=', p.type).where('status', '=', p.status).orderBy('key');
    });
    await claimDelivery(sqlite.db, ['e1'], 'card.action.trigger', '{}', now);
    await claimDelivery(sqlite.db, ['e2'], 'card.action.trigger', '{}', now);
    await claimDelivery(sqlite.db, ['e3'], 'im.message.receive_v1', '{}', now);
    await finishDelivery(sqlite.db, 'e2', 'done', now);

    expect(await byType.rows(sqlite.db, { type: 'card.action.trigger', status: 'pending' })).toEqual([{ key: 'e1' }]);
    expect(await byType.rows(sqlite.db, { status: 'pending', type: 'im.message.receive_v1' })).toEqual([{ key: 'e3' }]);
    expect(await byType.first(sqlite.db, { type: 'card.action.trigger', status: 'done' })).toEqual({ key: 'e2' });
    expect(await byType.first(sqlite.db, { type: 'none', status: 'done' })).toBeUndefined();
    expect(builds).toBe(1);
  });

  it('keeps the constants the query was built with (attempts + 1) and reports rows changed', async () => {
    await claimDelivery(sqlite.db, ['e1'], 'card.action.trigger', '{}', now);
    const bump = prepared((db, p: { key: string; status: string }) => db.updateTable('inbound_events').set((eb) => ({ status: p.status, attempts: eb('attempts', '+', 1) })).where('key', '=', p.key));
    await bump.run(sqlite.db, { key: 'e1', status: 'failed' });
    await bump.run(sqlite.db, { key: 'e1', status: 'done' });
    await finishDelivery(sqlite.db, 'e1', 'done', now, undefined, '{"toast":{}}');
    const row = await deliveryByKey(sqlite.db, 'e1');
    expect(row).toMatchObject({ status: 'done', attempts: 2, error: null, response: '{"toast":{}}' });

    const rename = prepared((db, p: { from: string; to: string }) => db.updateTable('inbound_events').set({ status: p.to }).where('status', '=', p.from));
    expect(await rename.run(sqlite.db, { from: 'done', to: 'failed' })).toBe(1);
    expect(await rename.run(sqlite.db, { from: 'done', to: 'failed' })).toBe(0);
  });

  it('refuses a call whose params do not fit the compiled query, and runs nothing', async () => {
    const insert = prepared((db, p: { key: string; payload: string | null }) =>
      db.insertInto('inbound_events').values({ key: p.key, event_type: 't', payload: p.payload as string, status: 'pending', received_at: now.toISOString() }),
    );
    await insert.run(sqlite.db, { key: 'a', payload: '{}' });
    const count = async () => Number((await sqlite.db.selectFrom('inbound_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    await expect(insert.run(sqlite.db, { key: 'b' } as never)).rejects.toThrow(/called with key, compiled for key, payload/);
    await expect(insert.run(sqlite.db, { key: 'b', payload: '{}', extra: 1 } as never)).rejects.toThrow(/called with/);
    await expect(insert.run(sqlite.db, { key: 'b', payload: undefined } as never)).rejects.toThrow(/payload is undefined/);
    expect(await count()).toBe(1);
  });

  it('refuses at the first call a param that the query does not bind', async () => {
    const unused = prepared((db, p: { openId: string; name: string }) => db.selectFrom('people').selectAll().where('open_id', '=', p.openId));
    await expect(unused.rows(sqlite.db, { openId: 'ou_1', name: 'x' })).rejects.toThrow(/name did not become bound parameters/);
  });
});
