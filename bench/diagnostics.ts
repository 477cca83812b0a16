import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * BENCH_DIAG=1: the bot server watches its door thread's event loop and heap; on SIGTERM it
 * writes a summary to stderr (lines starting DIAG), which the bench prints.
 */
export function installDiagnostics(): void {
  if (!process.env.BENCH_DIAG) return;
  let peakHeap = 0;
  setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 250).unref();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.prependOnceListener('SIGTERM', () => {
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    console.error(`DIAG door thread: event loop delay p50 ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms; peak heap ${(peakHeap / 1e6).toFixed(0)} MB`);
  });
}
