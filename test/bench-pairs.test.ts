import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Child } from '../bench/children.js';
import type { Outcome, PhaseResult, Sender, Shot } from '../bench/load.js';
import { measurePairs, mergeTurns, pairLines, type PairRound, type Turn } from '../bench/pairs.js';
import { botSection, type BotChecks } from '../bench/report.js';

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

describe('bench rounds, driven', () => {
  /** A stand-in for a server process (a real one, so that SIGSTOP and SIGCONT reach something). */
  function sleeper(name: string): { child: Child; proc: ChildProcess } {
    const proc = spawn('sleep', ['60']);
    const child: Child = { name, port: 0, pid: proc.pid!, stderrTail: [], stderrLines: () => 0, cpuMs: () => undefined, mainThreadCpuMs: () => undefined, stop: async () => void proc.kill() };
    return { child, proc };
  }
  const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
  const shot = (i: number): Shot => ({ path: '/', headers: {}, body: Buffer.from(String(i)), kind: 'message', repeat: i % 10 === 9, check: () => true });

  it('tells each target exactly which of its shots were sent, settling included, and leaves nobody stopped', async () => {
    const bot = sleeper('pledge-bot');
    const echo = sleeper('bare-echo');
    try {
      // Every request is answered after a moment; the bodies the "servers" saw are kept in order.
      const seen: string[] = [];
      const newSender = (): Sender => ({
        send: (s) => new Promise<Outcome>((r) => setTimeout(() => (seen.push(`${s.kind}:${s.body.toString()}`), r({ status: 200, body: '' })), 1)),
        close: () => {},
      });
      let next = 0;
      const told: Shot[][] = [];
      const botAtRoundStart: string[] = [];
      const rounds = await measurePairs({
        rounds: 2,
        seconds: 0.15,
        settleSeconds: 0.05,
        connections: 2,
        log: () => {},
        newSender,
        targets: [
          { name: 'pledge-bot', group: [bot.child], cycle: false, shots: () => Array.from({ length: 10_000 }, () => shot(next++)), sent: (s) => told.push(s) },
          {
            name: 'bare-echo',
            group: [echo.child],
            cycle: true,
            shots: () => {
              botAtRoundStart.push(state(bot.child.pid)!);
              return [{ ...shot(-1), kind: 'echo' }];
            },
          },
        ],
      });
      expect(rounds).toHaveLength(2);
      // The bot's shots, as the "server" saw them, are exactly the ones it was told of, turn by turn.
      const botSeen = seen.filter((x) => x.startsWith('message:')).sort();
      const toldSeen = told.flat().map((s) => `message:${s.body.toString()}`).sort();
      expect(told).toHaveLength(2);
      expect(toldSeen).toEqual(botSeen);
      for (const [i, r] of rounds.entries()) expect(told[i]!.length).toBe(r.get('pledge-bot')!.sent);
      // Settling sent some that the measured part does not count.
      expect(rounds[0]!.get('pledge-bot')!.sent).toBeGreaterThan(rounds[0]!.get('pledge-bot')!.result.sent);
      // At the start of each round every target is stopped; afterwards both run again.
      expect(botAtRoundStart).toEqual(['T', 'T']);
      expect(state(bot.child.pid)).not.toBe('T');
      expect(state(echo.child.pid)).not.toBe('T');
    } finally {
      bot.proc.kill('SIGKILL');
      echo.proc.kill('SIGKILL');
    }
  });
});

describe('bench checks on the bot', () => {
  const checks = (created: number, retriedSends: number): BotChecks => ({
    uniqueSent: 100,
    repeatsSent: 1,
    eventRows: 100,
    eventRowsDone: 100,
    messageRows: 90,
    messagesSent: 90,
    notDone: 0,
    replies: { created, uniqueUuids: 100, sendRequests: created },
    retriedSends,
    drainFixedMs: 0,
    drainClosedMs: 1000,
    warnings: 0,
    warningTail: [],
  });
  const verdict = (c: BotChecks) => botSection(c).find((l) => l.includes('exactly once'));

  it('counts a reply the emulator made twice as once only when the bot tried it again under its uuid', () => {
    expect(verdict(checks(100, 0))).toContain('yes');
    expect(verdict(checks(103, 3))).toContain('yes');
    expect(verdict(checks(103, 2))).toContain('NO');
  });
});
