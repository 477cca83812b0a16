import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../bench/load.js';
import { mergeTurns, pairLines, type PairRound, type Turn } from '../bench/pairs.js';

/** The bench's verdicts on throughput come from here: the rounds merged and judged by their median. */
function turn(thr: number, latencies: number[], kind = 'message', errors = 0): Turn {
  const result: PhaseResult = {
    sent: latencies.length + errors,
    ok: latencies.length,
    errors,
    errorKinds: errors ? new Map([['HTTP 500', errors]]) : new Map(),
    latencies: Float64Array.from(latencies),
    elapsedMs: 1000,
    maxSendLagMs: 0,
    byKind: new Map([[kind, Float64Array.from(latencies)]]),
  };
  return { thr, cpuUs: 50, perGen: 2, result, cpu: { generator: 10, 'pledge-bot': 40 }, drivenMs: 1500, sent: result.sent };
}

const round = (bot: number, echo: number): PairRound =>
  new Map([
    ['pledge-bot', turn(bot, [1])],
    ['bare-echo', turn(echo, [1])],
  ]);

describe('bench rounds', () => {
  it('merges a target’s turns: counts and CPU added, latencies and kinds joined', () => {
    const { result, cpu } = mergeTurns([turn(10, [1, 2], 'message'), turn(20, [3], 'card', 2)]);
    expect(result).toMatchObject({ sent: 5, ok: 3, errors: 2, elapsedMs: 2000 });
    expect([...result.latencies]).toEqual([1, 2, 3]);
    expect([...result.byKind.get('message')!]).toEqual([1, 2]);
    expect([...result.byKind.get('card')!]).toEqual([3]);
    expect(result.errorKinds.get('HTTP 500')).toBe(2);
    expect(cpu).toEqual({ generator: 20, 'pledge-bot': 80 });
  });

  it('judges by the median of the rounds’ ratios, not by the best or the worst round', () => {
    const opts = { seconds: 2, settleSeconds: 0.5 };
    const met = pairLines([round(30, 100), round(45, 100), round(41, 100)], opts, 'pledge-bot');
    expect(met.join('\n')).toContain('median of 3 rounds: 0.41× (rounds 0.30–0.45×)');
    expect(met.at(-1)).toBe('  target throughput ≥ 40% of bare echo (median): met');
    const notMet = pairLines([round(30, 100), round(45, 100), round(39, 100)], opts, 'pledge-bot');
    expect(notMet.at(-1)).toBe('  target throughput ≥ 40% of bare echo (median): NOT MET');
  });

  it('prints no ratio when the bot is not among the targets', () => {
    const only = pairLines([new Map([['bare-echo', turn(100, [1])]])], { seconds: 2, settleSeconds: 0.5 }, 'pledge-bot');
    expect(only.some((l) => l.includes('median'))).toBe(false);
  });
});
