import { machineCpuMs, type Child } from './children.js';
import type { CpuUse } from './report.js';

/**
 * CPU ms each process used during `run`: the load generator (this process), each child, the
 * bot's door thread apart (it is part of the bot's figure too), and `others`, whatever else ran
 * on the machine meanwhile (other jobs skew every figure here).
 */
export async function withCpu<T>(children: Child[], run: () => Promise<T>): Promise<{ value: T; cpu: CpuUse }> {
  const before = children.map((c) => c.cpuMs());
  const doorBefore = children.map((c) => c.mainThreadCpuMs());
  const machine = machineCpuMs();
  const gen = process.cpuUsage();
  const value = await run();
  const g = process.cpuUsage(gen);
  const cpu: CpuUse = { generator: (g.user + g.system) / 1000 };
  children.forEach((c, i) => {
    const a = before[i];
    const b = c.cpuMs();
    if (a !== undefined && b !== undefined) cpu[c.name] = b - a;
    const da = doorBefore[i];
    const db = c.mainThreadCpuMs();
    if (c.name === 'pledge-bot' && da !== undefined && db !== undefined) cpu['(door thread)'] = db - da;
  });
  const after = machineCpuMs();
  if (machine !== undefined && after !== undefined) cpu.others = Math.max(0, after - machine - Object.entries(cpu).filter(([k]) => !k.startsWith('(')).reduce((a, [, b]) => a + b, 0));
  return { value, cpu };
}

/** Two measurements' CPU added up, process by process. */
export function addCpu(a: CpuUse, b: CpuUse): CpuUse {
  const sum: CpuUse = { ...a };
  for (const [k, v] of Object.entries(b)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}
