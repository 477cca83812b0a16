import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { READY, type ServerConfig } from './config.js';

export interface Child {
  name: string;
  port: number;
  pid: number;
  /** The last lines the child wrote to stderr (warnings, errors). */
  stderrTail: string[];
  stderrLines: () => number;
  /** CPU time the process has used so far (user + system), ms; undefined off Linux. */
  cpuMs(): number | undefined;
  /** CPU time of the process's main thread alone (the bot's door thread), ms. */
  mainThreadCpuMs(): number | undefined;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** CPU time all processes on the machine have used (from /proc/stat), ms; undefined off Linux. */
export function machineCpuMs(): number | undefined {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
  } catch {
    return undefined;
  }
}

/** utime + stime from /proc/<pid>/stat (or one thread's), in ms (clock ticks are 10 ms on Linux). */
function cpuOf(pid: number, thread?: number): number | undefined {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Kills every child still running (used on Ctrl-C and on a crash of the bench itself). */
export function killAll(): void {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  live.clear();
}

/**
 * Starts `bench/<file>` in its own Node process (tsx as a loader, so the pid is the server
 * itself) and waits for its READY line. The load generator never shares an event loop with it.
 */
export function startChild(name: string, file: string, config: ServerConfig, timeoutMs = 60_000): Promise<Child> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every server to <dir> when it stops.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${name}`] : [];
  // BENCH_NODE_FLAGS adds Node flags (e.g. --trace-gc); BENCH_CHILD_LOG=<dir> keeps each server's output.
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...prof, ...extra, '--import', 'tsx', script], {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const stderrTail: string[] = [];
  const logDir = process.env.BENCH_CHILD_LOG;
  if (logDir) {
    const out = createWriteStream(join(logDir, `${name}.log`));
    proc.stdout!.pipe(out);
    proc.stderr!.pipe(out);
  }
  let stderrCount = 0;
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    stderrCount++;
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });
  // 'close' (not 'exit'): by then everything the child wrote has been read.
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));

  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (proc.exitCode === null && proc.pid) proc.kill('SIGKILL');
      live.delete(proc);
      reject(new Error(`${err.message}\n${stderrTail.join('\n')}`));
    };
    const early = (code: number | null) => fail(new Error(`${name} exited (code ${code}) before it was ready`));
    proc.once('exit', early);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.startsWith(READY)) return;
      clearTimeout(timer);
      proc.removeListener('exit', early);
      const { port } = JSON.parse(line.slice(READY.length)) as { port: number };
      resolve({
        name,
        port,
        pid: proc.pid!,
        stderrTail,
        stderrLines: () => stderrCount,
        cpuMs: () => cpuOf(proc.pid!),
        mainThreadCpuMs: () => cpuOf(proc.pid!, proc.pid!),
        async stop() {
          if (proc.exitCode === null) {
            proc.kill('SIGTERM');
            // A child the bench had stopped (SIGSTOP, bench/pairs.ts) would not see it until woken.
            proc.kill('SIGCONT');
            const killer = setTimeout(() => proc.exitCode === null && proc.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(killer);
          }
          live.delete(proc);
        },
      });
    });
  });
}
