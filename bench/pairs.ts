import { performance } from 'node:perf_hooks';
import type { Child } from './children.js';
import { addCpu, withCpu } from './cpu-use.js';
import { closedLoop, type PhaseResult, type Sender, type Shot } from './load.js';
import { achieved, type CpuUse } from './report.js';

/** One target's turn in a round: max throughput (acknowledged events/s) and CPU per event (µs). */
export interface Turn {
  thr: number;
  cpuUs: number | undefined;
  /** CPU per event divided by the load generator's (this process) in the same turn. */
  perGen: number | undefined;
  /** The measured part of the turn (after its settling), and the CPU each process used in it. */
  result: PhaseResult;
  cpu: CpuUse;
  /** How long the target ran in this turn, settling included, ms. */
  drivenMs: number;
  /** Requests sent in this turn, settling included. */
  sent: number;
}

/** One round: a turn of each target, by name. */
export type PairRound = Map<string, Turn>;

export interface Contender {
  name: string;
  /** The target's process first, then what is stopped with it (the bot's Open API emulator). */
  group: Child[];
  /** The events for its next turn: the bot's are new in every round; the baselines keep no state and are sent one set again and again. */
  shots: () => Shot[];
  cycle: boolean;
  /** Told after each of its turns which of that turn's shots were sent (settling included). */
  sent?: (shots: Shot[]) => void;
}

export interface PairOptions {
  rounds: number;
  /** Measured seconds of each turn. */
  seconds: number;
  /**
   * Seconds each turn runs before it is measured, on the same connections: a target just woken
   * from SIGSTOP (and the bot's door gate, which has to see the load) runs slower at first. The
   * bot's first second of an 8 s phase was 10–15% below the rest (the echo's 4%); its first turn,
   * after the others' fixed-rate phases, is often its lowest even so (README, twelfth round).
   */
  settleSeconds: number;
  connections: number;
  /** The bot and the baselines it is compared with, in the first round's order. */
  targets: Contender[];
  log: (s: string) => void;
  newSender: (port: number, maxSockets: number) => Sender;
}

/** A signal to a child; one that has died already (ESRCH) is left alone, so that the rest still get theirs. */
function signal(c: Child, sig: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(c.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
const stop = (c: Child) => signal(c, 'SIGSTOP');
const resume = (c: Child) => signal(c, 'SIGCONT');
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Runs `run` with only `t` going: the other targets stopped, and this process's garbage collected
 * before, so that no one else's work lands in its figures (npm run bench has --expose-gc).
 */
export async function alone<T>(all: Contender[], t: Contender, run: () => Promise<T>): Promise<T> {
  const others = all.filter((o) => o !== t).flatMap((o) => o.group);
  try {
    others.forEach(stop);
    collectGarbage();
    return await run();
  } finally {
    others.forEach(resume);
  }
}

/**
 * The max-throughput comparison in alternating rounds. On this VM the machine's speed drifts by
 * 10–20% within minutes, so one measurement of each, minutes apart, says little about their ratio.
 * Here the targets run side by side and are driven in turn, a few seconds each, in an order that
 * rotates from round to round; whichever is not driven is stopped (SIGSTOP, with the bot's
 * emulator: the bot's background work waits too), so each round's figures come from nearly the
 * same machine. Rounds in a multiple of twice the number of targets give each the same places.
 */
export async function measurePairs(o: PairOptions): Promise<PairRound[]> {
  const rounds: PairRound[] = [];
  const drive = async (t: Contender, shots: Shot[]): Promise<Turn> => {
    const child = t.group[0]!;
    const sender = o.newSender(child.port, o.connections);
    const t0 = performance.now();
    try {
      const settle = o.settleSeconds > 0 ? await closedLoop(sender, shots, o.connections, o.settleSeconds, t.cycle) : undefined;
      const rest = settle && !t.cycle ? shots.slice(settle.sent) : shots;
      const { value: result, cpu } = await withCpu(t.group, () => closedLoop(sender, rest, o.connections, o.seconds, t.cycle));
      const used = cpu[child.name];
      const cpuUs = used !== undefined && result.ok > 0 ? (used * 1000) / result.ok : undefined;
      // The generator's work per request is about the same for every target, so the ratio cancels
      // the drift of this VM's speed that moves throughput by 10–20% within minutes.
      const genUs = result.ok > 0 ? ((cpu.generator ?? 0) * 1000) / result.ok : 0;
      return {
        thr: achieved(result),
        cpuUs,
        perGen: cpuUs !== undefined && genUs > 0 ? cpuUs / genUs : undefined,
        result,
        cpu,
        drivenMs: performance.now() - t0,
        sent: (settle?.sent ?? 0) + result.sent,
      };
    } finally {
      sender.close();
    }
  };
  const all = o.targets.flatMap((t) => t.group);
  try {
    all.forEach(stop);
    for (let i = 0; i < o.rounds; i++) {
      // The next events are made between rounds, not between the turns of one (which should see
      // the same machine); garbage is collected before every turn, so that no turn's generator
      // pays for another's (npm run bench has --expose-gc).
      const shots = o.targets.map((t) => t.shots());
      o.log(`  round ${i + 1} of ${o.rounds} …`);
      const round: PairRound = new Map();
      // Each target in each place and after each other target equally often over 2n rounds: the
      // order rotates from round to round, and runs backwards every other n rounds.
      const n = o.targets.length;
      const backwards = Math.floor(i / n) % 2 === 1;
      for (let k = 0; k < n; k++) {
        const j = backwards ? (i + n - 1 - k) % n : (i + k) % n;
        const t = o.targets[j]!;
        // The last turn's garbage is collected before this one, not during it.
        collectGarbage();
        t.group.forEach(resume);
        try {
          const turn = await drive(t, shots[j]!);
          round.set(t.name, turn);
          t.sent?.(shots[j]!.slice(0, turn.sent));
        } finally {
          t.group.forEach(stop);
        }
      }
      rounds.push(round);
    }
  } finally {
    all.forEach(resume);
  }
  return rounds;
}

/** A target's turns as one max-throughput result: requests, latencies and CPU added up over their measured parts. */
export function mergeTurns(turns: Turn[]): { result: PhaseResult; cpu: CpuUse } {
  const result: PhaseResult = { sent: 0, ok: 0, errors: 0, errorKinds: new Map(), latencies: new Float64Array(0), elapsedMs: 0, maxSendLagMs: 0, byKind: new Map() };
  const latencies: Float64Array[] = [];
  const byKind = new Map<string, Float64Array[]>();
  let cpu: CpuUse = {};
  for (const { result: r, cpu: c } of turns) {
    result.sent += r.sent;
    result.ok += r.ok;
    result.errors += r.errors;
    result.elapsedMs += r.elapsedMs;
    for (const [k, n] of r.errorKinds) result.errorKinds.set(k, (result.errorKinds.get(k) ?? 0) + n);
    latencies.push(r.latencies);
    for (const [k, l] of r.byKind) byKind.set(k, [...(byKind.get(k) ?? []), l]);
    cpu = addCpu(cpu, c);
  }
  const join = (parts: Float64Array[]) => {
    const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  result.latencies = join(latencies);
  for (const [k, parts] of byKind) result.byKind.set(k, join(parts));
  return { result, cpu };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const f = (n: number | undefined, d = 0) => (n === undefined ? '?' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));

/** What the issue asks of the bot against each baseline: a share of its throughput. */
const TARGETS: Record<string, { share: number; text: string }> = {
  'sdk-adapter': { share: 1, text: '≥ sdk-adapter' },
  'bare-echo': { share: 0.4, text: '≥ 40% of bare echo' },
};

/** Each round's figures, then the median ratio of the bot to each baseline, with its verdict. */
export function pairLines(rounds: PairRound[], o: { seconds: number; settleSeconds: number }, bot: string): string[] {
  const names = [...(rounds[0]?.keys() ?? [])];
  const out = [
    `max throughput in alternating rounds, each turn ${o.settleSeconds} s to settle and ${o.seconds} s measured (the ones not driven are stopped):`,
    ...rounds.map(
      (r, i) =>
        `  round ${i + 1}: ` +
        names.map((n) => `${n} ${f(r.get(n)!.thr)}/s (${f(r.get(n)!.cpuUs)} µs CPU per event, ${f(r.get(n)!.perGen, 2)}× the generator's)`).join(', '),
    ),
  ];
  for (const base of names.includes(bot) ? names.filter((n) => n !== bot) : []) {
    const ratios = rounds.map((r) => r.get(bot)!.thr / r.get(base)!.thr);
    const m = median(ratios);
    const cpu = rounds.flatMap((r) => {
      const [a, b] = [r.get(bot)!.perGen, r.get(base)!.perGen];
      return a !== undefined && b !== undefined ? [a / b] : [];
    });
    const goal = TARGETS[base];
    out.push(
      `${bot} / ${base} throughput, median of ${rounds.length} rounds: ${f(m, 2)}× (rounds ${f(Math.min(...ratios), 2)}–${f(Math.max(...ratios), 2)}×)`,
      ...(cpu.length ? [`  CPU per event, each against the generator's (steadier than throughput on a drifting VM), median: ${f(median(cpu), 2)}×`] : []),
      ...(goal ? [`  target throughput ${goal.text} (median): ${m >= goal.share ? 'met' : 'NOT MET'}`] : []),
    );
  }
  return out;
}
