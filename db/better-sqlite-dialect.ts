import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

/**
 * Kysely over better-sqlite3 (in place of kysely's SqliteDialect), built for a server that
 * handles many small requests at once (see bench/):
 *
 * - Group commit. Writes made outside an explicit transaction join one transaction that is
 *   committed at the end of the current event-loop turn (setImmediate), and each write's
 *   promise resolves only after that commit: an awaited write is committed, as before, but a
 *   hundred concurrent requests share one commit instead of paying for a hundred. A failing
 *   statement rejects its own caller only (SQLite undoes just that statement); if SQLite
 *   abandons the whole transaction, or the commit fails, every write in it is rejected.
 * - Explicit transactions (`db.transaction()`) commit the open group first and then have the
 *   database to themselves: other queries wait until they end.
 * - Prepared statements are kept by SQL text (an LRU), not prepared again for every query.
 * - `early()`: a second dialect on the same connection whose writes resolve as soon as their
 *   statement has run, inside the open group. For a chain of writes that must all be durable
 *   before one answer (a card press): one commit to wait for instead of one per write. The chain
 *   takes `mark()` before its first write and awaits `committed(mark)` before it answers. The
 *   chain may span turns, so its writes may lie in several groups, some already settled: the
 *   groups are numbered and the last one that failed is kept, so a group rolled back before
 *   `committed` is called still fails it (waiting for only the open group would not).
 */
export class BetterSqliteDialect implements Dialect {
  private readonly core: Core;

  constructor(raw: BetterSqlite3.Database, cacheSize = 500, core?: Core, private readonly isEarly = false) {
    this.core = core ?? new Core(raw, cacheSize);
  }

  createDriver(): Driver {
    return new BetterSqliteDriver(this.core, this.isEarly);
  }

  /** The same connection, writes resolving before their commit (see above). */
  early(): BetterSqliteDialect {
    return new BetterSqliteDialect(this.core.raw, 0, this.core, true);
  }

  /** Names "every write from now on", for `committed`: the number of the group the next write joins. */
  mark(): number {
    return this.core.mark();
  }

  /**
   * Resolves when every write made since `mark` is committed; rejects with a failed group's error
   * if any group from `mark` on failed. Conservative: that group may have held only other
   * callers' writes, but a group fails whole, so "done" is never said of a lost write.
   */
  committed(mark: number): Promise<void> {
    return this.core.committed(mark);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

type Waiter = { resolve: () => void; reject: (err: unknown) => void };
/** Writes committed together; `seq` counts groups from 1 in the order they were opened. */
type Group = { seq: number; waiters: Waiter[] };

/** The one better-sqlite3 connection, shared by every handle Kysely acquires. */
class Core {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** The open group of writes, committed at the end of this turn. */
  private group: Group | undefined;
  /** Groups opened so far (the open one included). */
  private opened = 0;
  /** The last group that failed (groups settle in order, so no earlier one outranks it). */
  private failed: { seq: number; err: unknown } | undefined;
  /** The handle inside an explicit transaction, if any; everyone else waits for it. */
  private owner: Handle | undefined;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly raw: BetterSqlite3.Database, private readonly cacheSize: number) {}

  prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      this.statements.delete(sql); // most recently used goes last; the first key is evicted
    } else {
      stmt = this.raw.prepare(sql);
      if (this.statements.size >= this.cacheSize) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  /** Resolves when no other handle is inside an explicit transaction. */
  async turn(handle: Handle): Promise<void> {
    while (this.owner && this.owner !== handle) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  execute<R>(handle: Handle, compiled: CompiledQuery, early = false): Promise<QueryResult<R>> {
    if (this.owner && this.owner !== handle) return this.turn(handle).then(() => this.execute<R>(handle, compiled, early));
    try {
      const stmt = this.prepare(compiled.sql);
      const params = compiled.parameters as unknown[];
      if (this.owner === handle || stmt.readonly) return Promise.resolve(run<R>(stmt, params));
      const group = this.openGroup();
      let result: QueryResult<R>;
      try {
        result = run<R>(stmt, params);
      } catch (err) {
        // Some errors (disk full, I/O) make SQLite abandon the whole transaction.
        if (!this.raw.inTransaction) this.fail(group, err);
        throw err;
      }
      if (early) return Promise.resolve(result);
      return new Promise((resolve, reject) => group.waiters.push({ resolve: () => resolve(result), reject }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  mark(): number {
    return this.group?.seq ?? this.opened + 1;
  }

  async committed(mark: number): Promise<void> {
    this.check(mark);
    // Every group before the open one has settled: the open one is the last to wait for.
    const open = this.group;
    if (!open) return;
    await new Promise<void>((resolve) => open.waiters.push({ resolve, reject: () => resolve() }));
    this.check(mark);
  }

  private check(mark: number): void {
    if (this.failed && this.failed.seq >= mark) throw this.failed.err;
  }

  private openGroup(): Group {
    if (this.group) return this.group;
    this.prepare('BEGIN IMMEDIATE').run();
    const group: Group = { seq: ++this.opened, waiters: [] };
    this.group = group;
    setImmediate(() => this.commit(group));
    return group;
  }

  /** Commits the open group (if it is `only`, when given) and settles its writers. */
  commit(only?: Group): void {
    const group = this.group;
    if (!group || (only && only !== group)) return;
    this.group = undefined;
    try {
      if (!this.raw.inTransaction) throw new Error('SQLite rolled the transaction back');
      this.prepare('COMMIT').run();
    } catch (err) {
      try {
        if (this.raw.inTransaction) this.prepare('ROLLBACK').run();
      } finally {
        this.fail(group, err);
      }
      return;
    }
    for (const w of group.waiters) w.resolve();
  }

  /** Rejects a group's writers and remembers it failed, for `committed` callers still to come. */
  private fail(group: Group, err: unknown): void {
    if (this.group === group) this.group = undefined;
    this.failed = { seq: group.seq, err };
    for (const w of group.waiters) w.reject(err);
  }

  async begin(handle: Handle): Promise<void> {
    await this.turn(handle);
    this.owner = handle;
    try {
      this.commit();
      this.prepare('BEGIN').run();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  end(sql: 'COMMIT' | 'ROLLBACK'): void {
    try {
      this.prepare(sql).run();
    } catch (err) {
      if (this.raw.inTransaction) this.prepare('ROLLBACK').run();
      throw err;
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.owner = undefined;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

function run<R>(stmt: BetterSqlite3.Statement, params: unknown[]): QueryResult<R> {
  if (stmt.reader) return { rows: stmt.all(params) as R[] };
  const { changes, lastInsertRowid } = stmt.run(params);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** What Kysely acquires per query or per transaction: cheap, no lock of its own. */
class Handle implements DatabaseConnection {
  constructor(private readonly core: Core, private readonly early: boolean) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.core.execute<R>(this, compiled, this.early);
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) throw new Error('Sqlite driver only supports streaming of select queries');
    await this.core.turn(this);
    // Its own statement: a cached one could be needed again while this iterator is open.
    for (const row of this.core.raw.prepare(compiled.sql).iterate(compiled.parameters as unknown[])) yield { rows: [row as R] };
  }
}

class BetterSqliteDriver implements Driver {
  constructor(private readonly core: Core, private readonly early: boolean) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Handle(this.core, this.early);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.core.begin(connection as Handle);
  }

  async commitTransaction(): Promise<void> {
    this.core.end('COMMIT');
  }

  async rollbackTransaction(): Promise<void> {
    this.core.end('ROLLBACK');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.core.commit();
    // The early dialect shares the connection: the main one closes it.
    if (!this.early) this.core.raw.close();
  }
}
