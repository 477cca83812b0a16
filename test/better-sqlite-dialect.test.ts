import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BetterSqliteDialect } from '../db/better-sqlite-dialect.js';

interface Db {
  t: { id: number; v: string };
  /** Its key to `t` is checked at COMMIT (see `failingCommit`). */
  child: { id: number; t_id: number };
}

/** The group-committing dialect, checked from a second connection on the same file. */
describe('BetterSqliteDialect', () => {
  let dir: string;
  let raw: BetterSqlite3.Database;
  let db: Kysely<Db>;
  let other: BetterSqlite3.Database;
  const seen = () => (other.prepare('SELECT id FROM t ORDER BY id').all() as { id: number }[]).map((r) => r.id);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dialect-'));
    raw = new BetterSqlite3(join(dir, 'db.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    db = new Kysely<Db>({ dialect: new BetterSqliteDialect(raw) });
    other = new BetterSqlite3(join(dir, 'db.sqlite'), { readonly: true });
  });

  afterEach(async () => {
    other.close();
    if (raw.open) await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('early(): writes resolve once their statement ran; committed(mark) resolves once they are all committed', async () => {
    const dialect = new BetterSqliteDialect(raw);
    const main = new Kysely<Db>({ dialect });
    const early = new Kysely<Db>({ dialect: dialect.early() });
    const mark = dialect.mark();
    await early.insertInto('t').values({ id: 1, v: 'a' }).execute();
    // Ran, visible on this connection, not yet committed: another connection does not see it.
    expect(raw.inTransaction).toBe(true);
    expect((await early.selectFrom('t').select('id').execute()).map((r) => r.id)).toEqual([1]);
    expect(seen()).toEqual([]);
    await early.insertInto('t').values({ id: 2, v: 'b' }).execute();
    const plain = main.insertInto('t').values({ id: 3, v: 'c' }).execute(); // an ordinary write joins the group
    await dialect.committed(mark);
    expect(seen()).toEqual([1, 2, 3]);
    await plain;
    expect(await dialect.committed(mark)).toBeUndefined(); // nothing open: at once
    await early.destroy(); // does not close the shared connection
    expect(raw.open).toBe(true);
    await main.destroy();
    expect(raw.open).toBe(false);
  });

  const nextTurn = () => new Promise((r) => setImmediate(r));

  /**
   * A main and an early handle on one connection, with a real way to fail a COMMIT: `child`'s
   * foreign key is deferred, checked only at COMMIT, so a row with no parent runs fine and then
   * fails its group's commit, which rolls the whole group back.
   */
  function handles() {
    raw.pragma('foreign_keys = ON');
    raw.exec('CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED)');
    const dialect = new BetterSqliteDialect(raw);
    return { dialect, main: new Kysely<Db>({ dialect }), early: new Kysely<Db>({ dialect: dialect.early() }) };
  }

  it('committed(mark) rejects when a group since the mark failed, even though a later group committed', async () => {
    const { dialect, main, early } = handles();
    const mark = dialect.mark();
    await early.insertInto('t').values({ id: 1, v: 'a' }).execute();
    const orphan = main.insertInto('child').values({ id: 1, t_id: 99 }).execute(); // someone else's, same group
    // Awaiting it spans the turn: the group's commit failed and took the early write with it.
    await expect(orphan).rejects.toThrow('FOREIGN KEY constraint failed');
    expect(seen()).toEqual([]);
    await early.insertInto('t').values({ id: 2, v: 'b' }).execute(); // a later group, which commits
    await expect(dialect.committed(mark)).rejects.toThrow('FOREIGN KEY constraint failed');
    await nextTurn(); // it rejected at once, without waiting for the later group
    expect(seen()).toEqual([2]);
    await main.destroy();
  });

  it('committed(mark) rejects when SQLite abandoned a group since the mark (a statement rolled it back)', async () => {
    const { dialect, main, early } = handles();
    await main.insertInto('t').values({ id: 1, v: 'a' }).execute();
    const mark = dialect.mark();
    await early.insertInto('t').values({ id: 2, v: 'b' }).execute();
    // OR ROLLBACK ends the whole transaction on conflict, as disk full or an I/O error may.
    await expect(sql`INSERT OR ROLLBACK INTO t (id, v) VALUES (1, 'dup')`.execute(main)).rejects.toThrow('UNIQUE');
    expect(raw.inTransaction).toBe(false);
    await early.insertInto('t').values({ id: 3, v: 'c' }).execute(); // a new group, which commits
    await expect(dialect.committed(mark)).rejects.toThrow('UNIQUE');
    await nextTurn();
    expect(seen()).toEqual([1, 3]);
    await main.destroy();
  });

  it('a mark taken after a failed group is not failed by it, and still waits for the open group', async () => {
    const { dialect, main, early } = handles();
    const before = dialect.mark();
    await early.insertInto('child').values({ id: 1, t_id: 99 }).execute();
    await nextTurn(); // that group's commit fails
    const mark = dialect.mark();
    expect(mark).toBeGreaterThan(before);
    await early.insertInto('t').values({ id: 1, v: 'a' }).execute();
    expect(seen()).toEqual([]); // still open: committed(mark) has to wait for it
    await dialect.committed(mark);
    expect(seen()).toEqual([1]);
    await expect(dialect.committed(before)).rejects.toThrow('FOREIGN KEY constraint failed');
    // A mark taken while a group is open names that group.
    const open = main.insertInto('t').values({ id: 2, v: 'b' }).execute();
    expect(dialect.mark()).toBe(mark + 1);
    await dialect.committed(dialect.mark());
    await open;
    expect(seen()).toEqual([1, 2]);
    await main.destroy();
  });

  it('a write is committed (visible to another connection) once its promise resolves', async () => {
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    expect(seen()).toEqual([1]);
  });

  it('many concurrent writes all commit, and nothing is visible before they resolve', async () => {
    const writes = Array.from({ length: 100 }, (_, i) => db.insertInto('t').values({ id: i + 1, v: 'x' }).execute());
    expect(seen()).toEqual([]); // still in the open group
    await Promise.all(writes);
    expect(seen()).toHaveLength(100);
  });

  it('a failing statement rejects its own caller only; the rest of the group commits', async () => {
    await db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    const results = await Promise.allSettled([
      db.insertInto('t').values({ id: 2, v: 'b' }).execute(),
      db.insertInto('t').values({ id: 1, v: 'dup' }).execute(),
      db.insertInto('t').values({ id: 3, v: 'c' }).execute(),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen()).toEqual([1, 2, 3]);
    expect(other.prepare('SELECT v FROM t WHERE id = 1').get()).toEqual({ v: 'a' });
  });

  it('reads see the writes made before them, committed or not', async () => {
    const write = db.insertInto('t').values({ id: 7, v: 'g' }).execute();
    const row = await db.selectFrom('t').select('v').where('id', '=', 7).executeTakeFirst();
    expect(row).toEqual({ v: 'g' });
    await write;
  });

  it('an explicit transaction commits the open group first, has the database to itself, and rolls back alone', async () => {
    const before = db.insertInto('t').values({ id: 1, v: 'group' }).execute();
    let outside: Promise<unknown> | undefined;
    const order: string[] = [];
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2, v: 'in trx' }).execute();
        // Another query meanwhile waits for the transaction to end.
        outside = db.insertInto('t').values({ id: 3, v: 'after' }).execute().then(() => order.push('outside'));
        await new Promise((r) => setTimeout(r, 20));
        order.push('trx');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await before;
    await outside;
    expect(order).toEqual(['trx', 'outside']);
    expect(seen()).toEqual([1, 3]);
  });

  it('a committed transaction is visible, and writes after it still group-commit', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, v: 'a' }).execute();
      await trx.insertInto('t').values({ id: 2, v: 'b' }).execute();
    });
    expect(seen()).toEqual([1, 2]);
    await Promise.all([db.insertInto('t').values({ id: 3, v: 'c' }).execute(), db.deleteFrom('t').where('id', '=', 1).execute()]);
    expect(seen()).toEqual([2, 3]);
  });

  it('destroy commits what is still open', async () => {
    const write = db.insertInto('t').values({ id: 9, v: 'late' }).execute();
    expect(await db.selectFrom('t').select('id').execute()).toEqual([{ id: 9 }]); // ran, not committed
    await db.destroy();
    await write;
    expect(seen()).toEqual([9]);
  });

  it('runs raw SQL and INSERT … RETURNING through the group', async () => {
    const r = await db.insertInto('t').values({ id: 4, v: 'd' }).returning('id').executeTakeFirstOrThrow();
    expect(r.id).toBe(4);
    const n = await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db);
    expect(n.rows[0]?.n).toBe(1);
    expect(seen()).toEqual([4]);
  });
});
