import type { Child } from './children.js';
import { closedLoop, type Sender, type Shot } from './load.js';
import { achieved } from './report.js';

/** One target's turn in a round: max throughput (acknowledged events/s) and CPU per event (µs). */
export interface Turn {
  thr: number;
  cpuUs: number | undefined;
  /** CPU per event divided by the load generator's (this process) in the same turn. */
  perGen: number | undefined;
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
}

export interface PairOptions {
  rounds: number;
  seconds: number;
  connections: number;
  /** The bot first, then the baselines it is compared with. */
  targets: Contender[];
  log: (s: string) => void;
  newSender: (port: number, maxSockets: number) => Sender;
}

const stop = (c: Child) => process.kill(c.pid, 'SIGSTOP');
const resume = (c: Child) => process.kill(c.pid, 'SIGCONT');

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
  const drive = async (child: Child, shots: Shot[], cycle: boolean): Promise<Turn> => {
    const sender = o.newSender(child.port, o.connections);
    const before = child.cpuMs();
    const gen = process.cpuUsage();
    try {
      const r = await closedLoop(sender, shots, o.connections, o.seconds, cycle);
      const after = child.cpuMs();
      const genUsed = process.cpuUsage(gen);
      const cpuUs = before !== undefined && after !== undefined && r.ok > 0 ? ((after - before) * 1000) / r.ok : undefined;
      // The generator's work per request is about the same for every target, so the ratio cancels
      // the drift of this VM's speed that moves throughput by 10–20% within minutes.
      const genUs = r.ok > 0 ? (genUsed.user + genUsed.system) / r.ok : 0;
      return { thr: achieved(r), cpuUs, perGen: cpuUs !== undefined && genUs > 0 ? cpuUs / genUs : undefined };
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
        (globalThis as { gc?: () => void }).gc?.();
        t.group.forEach(resume);
        try {
          round.set(t.name, await drive(t.group[0]!, shots[j]!, t.cycle));
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

export function pairLines(rounds: PairRound[], seconds: number, bot: string): string[] {
  const names = [...(rounds[0]?.keys() ?? [])];
  const out = [
    `max throughput in alternating rounds of ${seconds} s (the ones not driven are stopped):`,
    ...rounds.map(
      (r, i) =>
        `  round ${i + 1}: ` +
        names.map((n) => `${n} ${f(r.get(n)!.thr)}/s (${f(r.get(n)!.cpuUs)} µs CPU per event, ${f(r.get(n)!.perGen, 2)}× the generator's)`).join(', '),
    ),
  ];
  for (const base of names.filter((n) => n !== bot)) {
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
