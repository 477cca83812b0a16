import { createQueryId, type Compilable, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
type Params = Record<string, unknown>;

/** Stands for one named parameter while the query is built and compiled the first time. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query that Kysely builds and compiles once; each call only binds its own values. Building and
 * compiling took about a quarter of the bot thread's time on the per-event paths (a card press,
 * a handled message: `npm run bench` with BENCH_CPU_PROF), and the SQL text it keeps is one string,
 * which the SQLite dialect's statement cache then finds without hashing a new one.
 *
 * `build` gets an object of stand-ins with the keys of the first call's params, and must place
 * each of them in the query as a value (a where operand, a column's value), not compute with
 * them: the first compile checks that every one of them became a bound parameter. Every later call
 * must bring the same keys, none of them undefined (Kysely would leave such a column out; here it
 * would be bound as NULL, so it is refused instead). The SQL is compiled by the first database it
 * runs on; all of ours are SQLite (better-sqlite3, D1), which compile alike.
 */
export function prepared<P extends Params, R>(build: (db: Db, p: P) => Compilable<R>) {
  let compiled: CompiledQuery<R> | undefined;
  let names = new Set<string>();
  /** For each bound parameter: the name of the param it takes, or undefined for a constant. */
  let bind: (string | undefined)[] = [];

  function compile(db: Db, params: P): CompiledQuery<R> {
    names = new Set(Object.keys(params));
    const slots = Object.fromEntries([...names].map((n) => [n, new Slot(n)])) as unknown as P;
    const c = build(db, slots).compile();
    bind = c.parameters.map((v) => (v instanceof Slot ? v.name : undefined));
    const missing = [...names].filter((n) => !bind.includes(n));
    if (missing.length > 0) throw new Error(`prepared query: ${missing.join(', ')} did not become bound parameters in ${c.sql}`);
    return c;
  }

  async function execute(db: Db, params: P) {
    const c = (compiled ??= compile(db, params));
    const keys = Object.keys(params);
    if (keys.length !== names.size || keys.some((k) => !names.has(k))) {
      throw new Error(`prepared query: called with ${keys.sort().join(', ')}, compiled for ${[...names].sort().join(', ')}`);
    }
    const parameters = bind.map((name, i) => {
      if (name === undefined) return c.parameters[i];
      const v = params[name];
      if (v === undefined) throw new Error(`prepared query: ${name} is undefined`);
      return v;
    });
    return db.executeQuery<R>({ query: c.query, queryId: createQueryId(), sql: c.sql, parameters });
  }

  return {
    /** Every row (a select, or a write with returning). */
    rows: async (db: Db, params: P): Promise<R[]> => (await execute(db, params)).rows,
    first: async (db: Db, params: P): Promise<R | undefined> => (await execute(db, params)).rows[0],
    /** A write without returning: how many rows it changed. */
    run: async (db: Db, params: P): Promise<number> => Number((await execute(db, params)).numAffectedRows ?? 0),
  };
}
