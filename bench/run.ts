import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { killAll, machineCpuMs, startChild, type Child } from './children.js';
import type { ServerConfig } from './config.js';
import { closedLoop, createSender, openLoop, waitUntil, type PhaseResult, type Sender, type Shot } from './load.js';
import { createRawSender, withWire } from './raw-sender.js';
import { measurePairs, pairLines, type Contender } from './pairs.js';
import { botSection, cpuLines, errorDetails, latenciesByKind, table, timeline, verdicts, type BotChecks, type CpuUse, type TargetResult } from './report.js';
import { buildSlice, DEFAULT_WORKLOAD, type Delivery, type Slice, type WorkloadOptions } from './workload.js';

/**
 * npm run bench [-- --rate 1000 --seconds 10 --warmup 2 --max-seconds 8 --connections 32 --nice 10]
 * npm run bench -- --pairs 6 --max-seconds 3   (only max throughput, the bot and the baselines taking turns: bench/pairs.ts)
 *
 * Starts the real bot (with the Open API emulator) and two baselines, each in its own process on
 * 127.0.0.1, and drives each with the same signed, encrypted events: first at a fixed offered
 * rate (open loop), then as fast as `connections` keep-alive connections go (closed loop).
 */
const Flags = z.object({
  rate: z.coerce.number().int().min(1).max(20_000).default(1000),
  seconds: z.coerce.number().min(1).max(60).default(10),
  warmup: z.coerce.number().min(0).max(30).default(2),
  'max-seconds': z.coerce.number().min(1).max(60).default(8),
  'max-events': z.coerce.number().int().min(100).max(400_000).default(320_000),
  connections: z.coerce.number().int().min(1).max(512).default(32),
  /** The bot thread's nice value (0–19; the Node entry's default if absent). */
  nice: z.coerce.number().int().min(0).max(19).optional(),
  /** The bot thread's background pace while its door is the bottleneck (steps/s; the app's default if absent). */
  'busy-rate': z.coerce.number().positive().optional(),
  /** Every N-th event is a card press (0: messages only). */
  'card-every': z.coerce.number().int().min(0).default(DEFAULT_WORKLOAD.cardEvery),
  targets: z.string().default('pledge-bot,sdk-adapter,bare-echo'),
  /** Instead of the usual phases: this many rounds of the bot and the baselines in --targets, taking turns (bench/pairs.ts). */
  pairs: z.coerce.number().int().min(0).max(20).default(0),
  /** The generator's HTTP client: `raw` (lean, raw-sender.ts) or `http` (node:http's, as before the eleventh round). */
  client: z.enum(['raw', 'http']).default('raw'),
});
const { values } = parseArgs({
  options: Object.fromEntries(Object.keys(Flags.shape).map((k) => [k, { type: 'string' as const }])),
  strict: true,
});
const flags = Flags.parse(values);
const newSender: (port: number, maxSockets: number) => Sender = flags.client === 'raw' ? createRawSender : createSender;
const targets = flags.targets.split(',').map((t) => t.trim());
const DRAIN_TIMEOUT_MS = 120_000;
const HANDLED_MESSAGES = `SELECT count(*) AS n FROM inbound_events WHERE event_type = 'im.message.receive_v1' AND key NOT LIKE 'msg:%' AND status = 'done'`;
const WAITING_REPLIES = `SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`;
const EVENT_ROWS = `SELECT count(*) AS n FROM inbound_events WHERE key NOT LIKE 'msg:%'`;
const PENDING = `SELECT count(*) AS n FROM inbound_events WHERE status = 'pending'`;
const STORED_MESSAGES = `SELECT count(*) AS n FROM inbound_events WHERE event_type = 'im.message.receive_v1' AND key NOT LIKE 'msg:%'`;

const dir = mkdtempSync(join(tmpdir(), 'pledge-bench-'));
const secrets = {
  appId: `cli_bench_${process.pid}`,
  appSecret: randomBytes(16).toString('hex'),
  encryptKey: randomBytes(16).toString('hex'),
  verificationToken: randomBytes(16).toString('hex'),
};
const cleanup = () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
};
// Ctrl-C, or `timeout` / a CI runner stopping it: no server or temp file left behind.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(code);
  });
}

const log = (s: string) => process.stderr.write(`${s}\n`);

type Check = (d: Delivery, status: number, body: string) => boolean;
const CHECKS: Record<string, Check> = {
  // Messages are acknowledged with {code:0}; card presses get a toast that is not an error.
  'pledge-bot': (d, status, body) => status === 200 && (d.kind === 'message' ? body === '{"code":0}' : body.includes('"toast"') && !body.includes('"type":"error"')),
  // The SDK adapter answers an empty 200 when it refuses an event: only {code:0} means handled.
  'sdk-adapter': (_d, status, body) => status === 200 && body === '{"code":0}',
  'bare-echo': (d, status, body) => status === 200 && body.length === d.body.length,
};

function shots(slice: Slice, target: string, count = slice.deliveries.length): Shot[] {
  const check = CHECKS[target]!;
  const prepare = flags.client === 'raw' ? withWire : (s: Shot) => s;
  return slice.deliveries.slice(0, count).map((d) =>
    prepare({
      // The SDK adapter answers one path only; the bot and the echo take card presses on /lark/card.
      path: target === 'sdk-adapter' ? '/lark/events' : d.path,
      headers: d.headers,
      body: d.body,
      kind: d.kind,
      check: (status, body) => check(d, status, body),
    }),
  );
}

async function phase<T>(label: string, run: () => Promise<T>): Promise<T> {
  log(`  ${label} …`);
  return run();
}

/** CPU ms each process used during `run` (the generator is this process). */
async function withCpu<T>(children: Child[], run: () => Promise<T>): Promise<{ value: T; cpu: CpuUse }> {
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
    // The bot's door thread, apart (it is part of the process's figure above).
    const da = doorBefore[i];
    const db = c.mainThreadCpuMs();
    if (c.name === 'pledge-bot' && da !== undefined && db !== undefined) cpu['(door thread)'] = db - da;
  });
  const after = machineCpuMs();
  // Whatever else ran on the machine meanwhile (other jobs skew every figure here).
  if (machine !== undefined && after !== undefined) cpu.others = Math.max(0, after - machine - Object.entries(cpu).filter(([k]) => !k.startsWith('(')).reduce((a, [, b]) => a + b, 0));
  return { value, cpu };
}

async function runOpen(port: number, s: Shot[], rate: number): Promise<PhaseResult> {
  const sender = newSender(port, 256);
  try {
    return await openLoop(sender, s, rate);
  } finally {
    sender.close();
  }
}

async function runClosed(port: number, s: Shot[], cycle: boolean): Promise<PhaseResult> {
  const sender = newSender(port, flags.connections);
  try {
    return await closedLoop(sender, s, flags.connections, flags['max-seconds'], cycle);
  } finally {
    sender.close();
  }
}

const countIn = (botDb: BetterSqlite3.Database, sql: string) => (botDb.prepare(sql).get() as { n: number }).n;

/** Whether all of the first `events` events are in the database (not only in the door's journal), handled and replied to. */
const drainedIn = (botDb: BetterSqlite3.Database, events: number) => () =>
  countIn(botDb, EVENT_ROWS) >= events &&
  countIn(botDb, PENDING) === 0 &&
  countIn(botDb, WAITING_REPLIES) === 0;

const eventsLine = (w: WorkloadOptions) =>
  `events: 帮助 in p2p chats from ${w.users} users, ${w.cardEvery ? `every ${w.cardEvery}th a card press (me.show)` : 'no card presses'}, every ${w.repeatEvery}th a repeated delivery`;

/** The bot as `npm start` runs it, against the Open API emulator; both are added to `children`. */
async function startBot(config: ServerConfig, children: Child[]): Promise<{ emulator: Child; server: Child; dbPath: string }> {
  const emulator = await startChild('emulator', './server-emulator.ts', config);
  children.push(emulator);
  const dbPath = join(dir, 'bot.sqlite');
  const server = await startChild('pledge-bot', './server-bot.ts', { ...config, dbPath, larkDomain: `http://127.0.0.1:${emulator.port}`, directoryPeople: 200, niceness: flags.nice, busyRate: flags['busy-rate'] });
  children.push(server);
  return { emulator, server, dbPath };
}

/** `--pairs N`: only the max-throughput comparison of the bot and the baselines in `--targets`, in alternating rounds. */
async function pairsMain(workload: WorkloadOptions): Promise<void> {
  // Warmed up as long as the usual phases warm it (warm-up and fixed rate), each.
  const warm = buildSlice(secrets, 0, Math.round(flags.rate * (flags.warmup + flags.seconds)), workload);
  // The bot needs new events in every round, sealed just before it (their timestamps must be
  // within Feishu's 5 minutes, and all rounds' at once would not fit in memory): enough for
  // 40,000/s (it reached 26,000/s here), whatever --max-events says; a round that used them all
  // up would end early, its rate still right. The baselines keep no state and are sent one slice
  // again and again.
  let from = warm.deliveries.length;
  const perRound = Math.min(400_000, Math.ceil(flags['max-seconds'] * 40_000));
  const botShots = () => {
    const slice = buildSlice(secrets, from, perRound, workload);
    from += perRound;
    return shots(slice, 'pledge-bot');
  };
  const baseSlice = buildSlice(secrets, 0, Math.min(perRound, 50_000), workload);
  const config: ServerConfig = { ...secrets };
  const children: Child[] = [];
  try {
    const { emulator, server, dbPath } = await startBot(config, children);
    const contenders: Contender[] = [{ name: 'pledge-bot', group: [server, emulator], shots: botShots, cycle: false }];
    for (const name of ['sdk-adapter', 'bare-echo'].filter((t) => targets.includes(t))) {
      const child = await startChild(name, name === 'sdk-adapter' ? './server-sdk.ts' : './server-echo.ts', config);
      children.push(child);
      const fixed = shots(baseSlice, name);
      contenders.push({ name, group: [child], shots: () => fixed, cycle: true });
    }
    if (warm.deliveries.length) {
      await phase(`warm-up ${flags.warmup + flags.seconds} s at ${flags.rate}/s, each`, async () => {
        for (const c of contenders) await runOpen(c.group[0]!.port, shots(warm, c.name), flags.rate);
      });
      // The first round starts as the usual max phase does: with the warm-up handled and replied.
      const botDb = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
      try {
        await phase('waiting for the outbox to drain', () => waitUntil(drainedIn(botDb, warm.unique), DRAIN_TIMEOUT_MS));
      } finally {
        botDb.close();
      }
    }
    const rounds = await measurePairs({ rounds: flags.pairs, seconds: flags['max-seconds'], connections: flags.connections, targets: contenders, log, newSender });
    const out = [
      '',
      `pledge-bot bench — ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, loopback; closed loop, ${flags.connections} keep-alive connections from ${flags.client === 'raw' ? 'the lean HTTP/1.1 client' : "node:http's client"}`,
      eventsLine(workload),
      '',
      ...pairLines(rounds, flags['max-seconds'], 'pledge-bot'),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const c of children.reverse()) await c.stop();
  }
}

async function main(): Promise<void> {
  log(`pledge-bot bench: ${cpus().length} cores, Node ${process.version}; sealing events …`);
  const warmN = Math.round(flags.rate * flags.warmup);
  const fixedN = Math.round(flags.rate * flags.seconds);
  const workload = { ...DEFAULT_WORKLOAD, cardEvery: flags['card-every'] };
  if (flags.pairs > 0) return pairsMain(workload);
  const warm = buildSlice(secrets, 0, warmN, workload);
  const fixed = buildSlice(secrets, warmN, fixedN, workload);
  const closed = buildSlice(secrets, warmN + fixedN, flags['max-events'], workload);
  const config: ServerConfig = { ...secrets };
  const results: TargetResult[] = [];
  let checks: BotChecks | undefined;

  for (const target of targets) {
    if (!CHECKS[target]) throw new Error(`unknown target ${target}`);
    log(`${target}:`);
    const children: Child[] = [];
    try {
      let server: Child;
      let botDb: BetterSqlite3.Database | undefined;
      let emulator: Child | undefined;
      if (target === 'pledge-bot') {
        const started = await startBot(config, children);
        ({ emulator, server } = started);
        botDb = new BetterSqlite3(started.dbPath, { readonly: true, fileMustExist: true });
      } else {
        server = await startChild(target, target === 'sdk-adapter' ? './server-sdk.ts' : './server-echo.ts', config);
        children.push(server);
      }
      const count = (sql: string) => countIn(botDb!, sql);
      const drained = (events: number) => drainedIn(botDb!, events);

      if (warm.deliveries.length) await phase(`warm-up ${flags.warmup} s at ${flags.rate}/s`, () => runOpen(server.port, shots(warm, target), flags.rate));
      // Each phase's requests are made before it, so that their making is not the generator's CPU in it.
      const fixedShots = shots(fixed, target);
      const fixedRun = await phase(`fixed rate ${flags.rate}/s for ${flags.seconds} s`, () => withCpu(children, () => runOpen(server.port, fixedShots, flags.rate)));
      const drainFixedMs = botDb ? await phase('waiting for the outbox to drain', () => waitUntil(drained(warm.unique + fixed.unique), DRAIN_TIMEOUT_MS)) : undefined;
      const handledBefore = botDb ? count(HANDLED_MESSAGES) : 0;
      const storedBefore = botDb ? count(STORED_MESSAGES) : 0;
      // The baselines are sent one part again and again (they keep no state): less memory.
      const closedShots = target === 'pledge-bot' ? shots(closed, target) : shots(closed, target, Math.min(closed.deliveries.length, 50_000));
      const closedRun = await phase(`max throughput, ${flags.connections} connections, ${flags['max-seconds']} s`, () =>
        // The baselines keep no state, so they may see the same events again; the bot gets each once.
        withCpu(children, () => runClosed(server.port, closedShots, target !== 'pledge-bot')),
      );
      const closedResult = closedRun.value;
      // What the bot had handled and sent by the end of the burst (the rest waits in the database).
      const atBurstEnd = botDb
        ? {
            handled: count(HANDLED_MESSAGES) - handledBefore,
            stored: count(STORED_MESSAGES) - storedBefore,
            waitingReplies: count(WAITING_REPLIES),
          }
        : undefined;
      results.push({ name: target, offered: flags.rate, fixed: fixedRun.value, closed: closedResult, connections: flags.connections, cpuFixed: fixedRun.cpu, cpuClosed: closedRun.cpu });

      if (botDb && emulator) {
        const sentClosed = closed.deliveries.slice(0, closedResult.sent);
        const uniqueClosed = sentClosed.filter((d) => !d.repeat).length;
        const drainClosedMs = await phase('waiting for the outbox to drain', () => waitUntil(drained(warm.unique + fixed.unique + uniqueClosed), DRAIN_TIMEOUT_MS));
        const sent = [...warm.deliveries, ...fixed.deliveries, ...sentClosed];
        const stats = (await (await fetch(`http://127.0.0.1:${emulator.port}/__bench/stats`)).json()) as BotChecks['replies'];
        checks = {
          uniqueSent: sent.filter((d) => !d.repeat).length,
          repeatsSent: sent.filter((d) => d.repeat).length,
          eventRows: count(EVENT_ROWS),
          eventRowsDone: count(`SELECT count(*) AS n FROM inbound_events WHERE key NOT LIKE 'msg:%' AND status = 'done'`),
          messageRows: count(`SELECT count(*) AS n FROM inbound_events WHERE key LIKE 'msg:%'`),
          messagesSent: sent.filter((d) => !d.repeat && d.kind === 'message').length,
          notDone: count(`SELECT count(*) AS n FROM inbound_events WHERE key NOT LIKE 'msg:%' AND status <> 'done'`),
          replies: stats,
          drainFixedMs,
          drainClosedMs,
          atBurstEnd: atBurstEnd && {
            ...atBurstEnd,
            messages: sentClosed.filter((d) => !d.repeat && d.kind === 'message').length,
            cards: sentClosed.filter((d) => !d.repeat && d.kind === 'card').length,
          },
          warnings: server.stderrLines(),
          warningTail: [...server.stderrTail],
        };
        botDb.close();
      }
    } finally {
      for (const c of children.reverse()) await c.stop();
      if (process.env.BENCH_DIAG) for (const c of children) log(c.stderrTail.filter((l) => l.startsWith('DIAG')).join('\n'));
    }
  }

  const out = [
    '',
    `pledge-bot bench — ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, loopback; load generator (${flags.client === 'raw' ? 'lean HTTP/1.1 client' : "node:http's client"}), servers and emulator share the machine`,
    `fixed rate: open loop at ${flags.rate}/s for ${flags.seconds} s after ${flags.warmup} s warm-up, latency from each request's due time; max throughput: closed loop, ${flags.connections} keep-alive connections, ${flags['max-seconds']} s`,
    eventsLine(workload),
    '',
    table(results),
    '',
    ...verdicts(results, flags.rate),
    '',
    ...cpuLines(results, cpus().length),
    '',
    ...latenciesByKind(results),
    '',
    ...results.flatMap((r) => timeline(r, flags.rate)),
    ...(checks ? ['', ...botSection(results.find((r) => r.name === 'pledge-bot')!, checks)] : []),
  ];
  const errs = errorDetails(results);
  if (errs.length) out.push('', 'errors:', ...errs.slice(0, 20));
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  await main();
} finally {
  cleanup();
}
