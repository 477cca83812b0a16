import type { Child } from './children.js';
import { closedLoop, createSender, type Shot } from './load.js';
import { achieved } from './report.js';

/**
 * One round: each target's max throughput (acknowledged events/s), CPU per event (µs), and that
 * CPU per event divided by the load generator's (this process) in the same turn.
 */
export interface PairRound {
  bot: number;
  adapter: number;
  botCpuUs: number | undefined;
  adapterCpuUs: number | undefined;
  botPerGen: number | undefined;
  adapterPerGen: number | undefined;
}

export interface PairOptions {
  rounds: number;
  seconds: number;
  connections: number;
  /** The bot, and what is stopped with it while the adapter runs (its Open API emulator); new events for each round. */
  bot: { child: Child; with: Child[]; shots: () => Shot[] };
  adapter: { child: Child; shots: Shot[] };
  log: (s: string) => void;
}

const stop = (c: Child) => process.kill(c.pid, 'SIGSTOP');
const resume = (c: Child) => process.kill(c.pid, 'SIGCONT');

/**
 * The max-throughput comparison in alternating rounds. On this VM the machine's speed drifts by
 * 10–20% within minutes, so one measurement of each, minutes apart, says little about their ratio.
 * Here the bot and the SDK adapter run side by side and are driven in turn, a few seconds each,
 * the bot first in odd rounds and the adapter first in even ones; whichever is not driven is
 * stopped (SIGSTOP, with the bot's emulator: the bot's background work waits too), so each
 * round's two figures come from nearly the same machine. The bot's events are new in every round.
 */
export async function measurePairs(o: PairOptions): Promise<PairRound[]> {
  const botGroup = [o.bot.child, ...o.bot.with];
  const rounds: PairRound[] = [];
  const drive = async (child: Child, shots: Shot[], cycle: boolean) => {
    const sender = createSender(child.port, o.connections);
    const before = child.cpuMs();
    const gen = process.cpuUsage();
    try {
      const r = await closedLoop(sender, shots, o.connections, o.seconds, cycle);
      const after = child.cpuMs();
      const genUsed = process.cpuUsage(gen);
      const cpuUs = before !== undefined && after !== undefined && r.ok > 0 ? ((after - before) * 1000) / r.ok : undefined;
      // The generator's work per request is the same for both, so the ratio cancels the drift of
      // this VM's speed that moves throughput by 10–20% within minutes.
      const genUs = r.ok > 0 ? (genUsed.user + genUsed.system) / r.ok : 0;
      return { thr: achieved(r), cpuUs, perGen: cpuUs !== undefined && genUs > 0 ? cpuUs / genUs : undefined };
    } finally {
      sender.close();
    }
  };
  /** One target's turn: its group goes on, it is driven, and the group is stopped again. */
  const turn = async (group: Child[], shots: Shot[], cycle: boolean) => {
    group.forEach(resume);
    try {
      return await drive(group[0]!, shots, cycle);
    } finally {
      group.forEach(stop);
    }
  };
  let botShots: Shot[] = [];
  const runBot = () => turn(botGroup, botShots, false);
  const runAdapter = () => turn([o.adapter.child], o.adapter.shots, true);
  try {
    botGroup.forEach(stop);
    stop(o.adapter.child);
    for (let i = 0; i < o.rounds; i++) {
      // Sealed between rounds, not between the two turns of one (which should see the same
      // machine), and the garbage of sealing (and of the last round's events) collected before
      // either turn, so that neither turn's generator pays for it (npm run bench has --expose-gc).
      botShots = []; // the last round's events can go while the next ones are sealed
      botShots = o.bot.shots();
      (globalThis as { gc?: () => void }).gc?.();
      o.log(`  round ${i + 1} of ${o.rounds} …`);
      let bot;
      let adapter;
      if (i % 2 === 0) {
        bot = await runBot();
        adapter = await runAdapter();
      } else {
        adapter = await runAdapter();
        bot = await runBot();
      }
      rounds.push({ bot: bot.thr, adapter: adapter.thr, botCpuUs: bot.cpuUs, adapterCpuUs: adapter.cpuUs, botPerGen: bot.perGen, adapterPerGen: adapter.perGen });
    }
  } finally {
    [...botGroup, o.adapter.child].forEach(resume);
  }
  return rounds;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function pairLines(rounds: PairRound[], seconds: number): string[] {
  const f = (n: number | undefined, d = 0) => (n === undefined ? '?' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  const ratios = rounds.map((r) => r.bot / r.adapter);
  const m = median(ratios);
  const cpu = rounds.flatMap((r) => (r.botPerGen !== undefined && r.adapterPerGen !== undefined ? [r.botPerGen / r.adapterPerGen] : []));
  return [
    `max throughput in alternating rounds of ${seconds} s (the one not driven is stopped):`,
    ...rounds.map(
      (r, i) =>
        `  round ${i + 1}: pledge-bot ${f(r.bot)}/s (${f(r.botCpuUs)} µs CPU per event, ${f(r.botPerGen, 2)}× the generator's), sdk-adapter ${f(r.adapter)}/s (${f(r.adapterCpuUs)} µs, ${f(r.adapterPerGen, 2)}×): ${f(ratios[i], 2)}×`,
    ),
    `pledge-bot / sdk-adapter throughput, median of ${rounds.length} rounds: ${f(m, 2)}× (rounds ${f(Math.min(...ratios), 2)}–${f(Math.max(...ratios), 2)}×)`,
    ...(cpu.length ? [`pledge-bot / sdk-adapter CPU per event, each against the generator's (steadier than throughput on a drifting VM), median: ${f(median(cpu), 2)}×`] : []),
    `target throughput ≥ sdk-adapter (median): ${m >= 1 ? 'met' : 'NOT MET'}`,
  ];
}
