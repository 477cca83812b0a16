import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { botNiceness } from '../src/node/start-node-bot.js';
import { coresFromCpuMax, usableCores } from '../src/node/usable-cores.js';

/** The bot thread's priority follows the cores the process may really use (a container's quota too). */
describe('usable cores', () => {
  it('reads a cgroup v2 cpu.max quota, rounded up; no limit is no number', () => {
    expect(coresFromCpuMax('max 100000\n')).toBeUndefined();
    expect(coresFromCpuMax('100000 100000\n')).toBe(1);
    expect(coresFromCpuMax('50000 100000')).toBe(1);
    expect(coresFromCpuMax('150000 100000')).toBe(2);
    expect(coresFromCpuMax('garbage')).toBeUndefined();
  });

  it('caps the affinity mask by the quota, and falls back to it when there is none', () => {
    expect(usableCores(() => '100000 100000')).toBe(1);
    expect(usableCores(() => 'max 100000')).toBe(availableParallelism());
    expect(
      usableCores(() => {
        throw new Error('ENOENT');
      }),
    ).toBe(availableParallelism());
    // `docker run --cpus=1` on a big host: one core, so the door comes first.
    expect(botNiceness(usableCores(() => '100000 100000'))).toBe(5);
    expect(botNiceness(2)).toBe(0);
  });
});
