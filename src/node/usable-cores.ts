import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Cores a cgroup v2 `cpu.max` ("<quota> <period>", or "max <period>") allows, rounded up; undefined
 * when it sets no limit or cannot be read. (Node 20's availableParallelism sees the CPU affinity
 * mask only: `docker run --cpus=1` on an 8-core host still reports 8.)
 */
export function coresFromCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  if (quota === 'max' || !Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

/** The cores this process may use: its CPU affinity, capped by its cgroup's CPU quota if any. */
export function usableCores(readCpuMax: () => string = () => readFileSync('/sys/fs/cgroup/cpu.max', 'utf8')): number {
  let limit: number | undefined;
  try {
    limit = coresFromCpuMax(readCpuMax());
  } catch {
    // not Linux, cgroup v1, or not readable: the affinity mask is all there is to go on
  }
  return Math.min(availableParallelism(), limit ?? Infinity);
}
