import type BetterSqlite3 from 'better-sqlite3';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * BENCH_DIAG=1: the bot server times every SQL statement and watches its event loop and heap;
 * on SIGTERM it writes a summary to stderr (lines starting DIAG), which the bench prints.
 * Wraps `raw.prepare`, so call it before the first query.
 */
export function installDiagnostics(raw: BetterSqlite3.Database, pending: () => number): void {
  if (!process.env.BENCH_DIAG) return;
  const stats = new Map<string, { n: number; ms: number; max: number }>();
  const prepare = raw.prepare.bind(raw);
  (raw as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
    const stmt = prepare(sql) as unknown as Record<'all' | 'run', (...a: unknown[]) => unknown>;
    for (const fn of ['all', 'run'] as const) {
      const call = stmt[fn].bind(stmt);
      stmt[fn] = (...args: unknown[]) => {
        const t = performance.now();
        try {
          return call(...args);
        } finally {
          const took = performance.now() - t;
          const e = stats.get(sql) ?? { n: 0, ms: 0, max: 0 };
          e.n++;
          e.ms += took;
          e.max = Math.max(e.max, took);
          stats.set(sql, e);
        }
      };
    }
    return stmt;
  };
  let peakHeap = 0;
  let peakPending = 0;
  setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    peakPending = Math.max(peakPending, pending());
  }, 250).unref();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.prependOnceListener('SIGTERM', () => {
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    console.error(`DIAG event loop delay p50 ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms; peak heap ${(peakHeap / 1e6).toFixed(0)} MB; peak deferred tasks ${peakPending}`);
    for (const [sql, e] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
      console.error(`DIAG SQL ${e.ms.toFixed(0)} ms ${e.n}× avg ${((e.ms / e.n) * 1000).toFixed(0)} µs max ${e.max.toFixed(1)} ms  ${sql.slice(0, 80)}`);
    }
  });
}
