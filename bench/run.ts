import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { killAll, startChild, type Child } from './children.js';
import { withCpu } from './cpu-use.js';
import type { ServerConfig } from './config.js';
import { createSender, openLoop, waitUntil, type PhaseResult, type Sender, type Shot } from './load.js';
import { createRawSender, withWire } from './raw-sender.js';
import { alone, measurePairs, mergeTurns, pairLines, type Contender } from './pairs.js';
import { botSection, cpuLines, errorDetails, latenciesByKind, table, timeline, verdicts, type BotChecks, type CpuUse, type TargetResult } from './report.js';
import { buildSlice, DEFAULT_WORKLOAD, type Delivery, type Slice, type WorkloadOptions } from './workload.js';

/**
 * npm run bench [-- --rate 1000 --seconds 10 --warmup 2 --rounds 6 --max-seconds 2 --settle 1 --connections 32 --nice 10]
 * npm run bench -- --pairs 6 --max-seconds 3   (only the max-throughput rounds)
 *
 * Starts the real bot (with the Open API emulator) and two baselines, each in its own process on
 * 127.0.0.1, and drives each with the same signed, encrypted events: first at a fixed offered
 * rate (open loop), then as fast as `connections` keep-alive connections go (closed loop), in
 * rounds where the targets take turns (bench/pairs.ts).
 */
const Flags = z.object({
  rate: z.coerce.number().int().min(1).max(20_000).default(1000),
  seconds: z.coerce.number().min(1).max(60).default(10),
  warmup: z.coerce.number().min(0).max(30).default(2),
  /** Max throughput: rounds in which every target takes a turn (a multiple of twice the number of targets gives each every place equally often; 6 if absent). */
  rounds: z.coerce.number().int().min(1).max(20).optional(),
  /** Measured seconds of each turn. */
  'max-seconds': z.coerce.number().min(0.5).max(60).default(2),
  /** Seconds each turn runs on its connections before it is measured. */
  settle: z.coerce.number().min(0).max(10).default(1),
  connections: z.coerce.number().int().min(1).max(512).default(32),
  /** The bot thread's nice value (0–19; the Node entry's default if absent). */
  nice: z.coerce.number().int().min(0).max(19).optional(),
  /** The bot thread's background pace while its door is the bottleneck (steps/s; the app's default if absent). */
  'busy-rate': z.coerce.number().positive().optional(),
  /** Every N-th event is a card press (0: messages only). */
  'card-every': z.coerce.number().int().min(0).default(DEFAULT_WORKLOAD.cardEvery),
  targets: z.string().default('pledge-bot,sdk-adapter,bare-echo'),
  /** Only the max-throughput rounds, this many (no fixed-rate phase, no checks after). */
  pairs: z.coerce.number().int().min(0).max(20).default(0),
  /** The generator's HTTP client: `raw` (lean, raw-sender.ts) or `http` (node:http's, as before the eleventh round). */
  client: z.enum(['raw', 'http']).default('raw'),
});
const { values } = parseArgs({
  options: Object.fromEntries(Object.keys(Flags.shape).map((k) => [k, { type: 'string' as const }])),
  strict: true,
});
const flags = Flags.parse(values);
if (flags.pairs && flags.rounds) throw new Error('--pairs N is --rounds N without the fixed-rate phase: give one of them');
const newSender: (port: number, maxSockets: number) => Sender = flags.client === 'raw' ? createRawSender : createSender;
const targets = flags.targets.split(',').map((t) => t.trim());
const roundCount = flags.pairs || (flags.rounds ?? 6);
const roundsText = `${roundCount} rounds, each target ${flags.settle} s to settle and ${flags['max-seconds']} s measured per round`;
const clientName = flags.client === 'raw' ? 'the lean HTTP/1.1 client' : "node:http's client";
const machineLine = () => `pledge-bot bench — ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, loopback; load generator (${clientName}), servers and emulator share the machine`;
/** How long to wait for the bot to handle and answer `events` it has acknowledged: it does about 2,000 a second; twice that time, and two minutes more. */
const drainTimeoutMs = (events: number) => 120_000 + events;
const HANDLED_MESSAGES = `SELECT count(*) AS n FROM inbound_events WHERE event_type = 'im.message.receive_v1' AND key NOT LIKE 'msg:%' AND status = 'done'`;
const WAITING_REPLIES = `SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`;
const EVENT_ROWS = `SELECT count(*) AS n FROM inbound_events WHERE key NOT LIKE 'msg:%'`;
const PENDING = `SELECT count(*) AS n FROM inbound_events WHERE status = 'pending'`;
const RETRIED_SENDS = `SELECT coalesce(sum(attempts - 1), 0) AS n FROM outbox WHERE status = 'sent'`;
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

function shots(slice: Slice, target: string): Shot[] {
  const check = CHECKS[target]!;
  const prepare = flags.client === 'raw' ? withWire : (s: Shot) => s;
  return slice.deliveries.map((d) =>
    prepare({
      // The SDK adapter answers one path only; the bot and the echo take card presses on /lark/card.
      path: target === 'sdk-adapter' ? '/lark/events' : d.path,
      headers: d.headers,
      body: d.body,
      kind: d.kind,
      repeat: d.repeat,
      check: (status, body) => check(d, status, body),
    }),
  );
}

async function phase<T>(label: string, run: () => Promise<T>): Promise<T> {
  log(`  ${label} …`);
  return run();
}

async function runOpen(port: number, s: Shot[], rate: number): Promise<PhaseResult> {
  const sender = newSender(port, 256);
  try {
    return await openLoop(sender, s, rate);
  } finally {
    sender.close();
  }
}

const countIn = (botDb: BetterSqlite3.Database, sql: string) => (botDb.prepare(sql).get() as { n: number }).n;

/** Whether all of the first `events` events are in the database (not only in the door's journal), handled and replied to. */
const drainedIn = (botDb: BetterSqlite3.Database, events: number) => () =>
  // The cheap counts first (both on partial indexes); the full count of event rows only at the end.
  countIn(botDb, PENDING) === 0 &&
  countIn(botDb, WAITING_REPLIES) === 0 &&
  countIn(botDb, EVENT_ROWS) >= events;

/** Waits for the bot to have handled and answered everything; says so when it has not, in time. */
async function drain(botDb: BetterSqlite3.Database, events: number, backlog: number): Promise<number | undefined> {
  const ms = await phase('waiting for the outbox to drain', () => waitUntil(drainedIn(botDb, events), drainTimeoutMs(backlog), 250));
  if (ms === undefined) log(`  the bot had not worked off its backlog after ${drainTimeoutMs(backlog) / 1000} s; going on`);
  return ms;
}

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

/** How many of the bot's events were sent, by what they are (for the exactly-once checks). */
interface SentCount {
  unique: number;
  repeats: number;
  messages: number;
  cards: number;
}

function countSent(total: SentCount, sent: Shot[]): void {
  for (const d of sent) {
    if (d.repeat) total.repeats++;
    else {
      total.unique++;
      if (d.kind === 'message') total.messages++;
      else total.cards++;
    }
  }
}

/**
 * Every target in `--targets` is started at once. Each in turn gets its warm-up and its
 * fixed-rate phase (the bot's outbox drained after it); then max throughput is measured in
 * alternating rounds (bench/pairs.ts), each target driven in turn while the others are stopped,
 * so that the ratios come from nearly the same machine; then the bot's work is checked: every
 * event stored and handled once, every reply sent under a uuid of its own. `--pairs N`: only
 * the rounds.
 */
async function main(): Promise<void> {
  log(`pledge-bot bench: ${cpus().length} cores, Node ${process.version}; sealing events …`);
  const onlyRounds = flags.pairs > 0;
  const workload = { ...DEFAULT_WORKLOAD, cardEvery: flags['card-every'] };
  // `--pairs` warms each target up for as long as the usual phases run, without measuring.
  const warmN = Math.round(flags.rate * (flags.warmup + (onlyRounds ? flags.seconds : 0)));
  const fixedN = onlyRounds ? 0 : Math.round(flags.rate * flags.seconds);
  const warm = buildSlice(secrets, 0, warmN, workload);
  const fixed = buildSlice(secrets, warmN, fixedN, workload);
  for (const t of targets) if (!CHECKS[t]) throw new Error(`unknown target ${t}`);

  // The bot needs new events in every round, sealed just before it (their timestamps must be
  // within Feishu's 5 minutes, and all rounds' at once would not fit in memory): enough for
  // 40,000/s (it reached 28,000/s here). The baselines keep no state and are sent one slice
  // again and again, made at the first round.
  let from = warmN + fixedN;
  const perRound = Math.ceil((flags.settle + flags['max-seconds']) * 40_000);
  const inRounds: SentCount = { unique: 0, repeats: 0, messages: 0, cards: 0 };
  let baseSlice: Slice | undefined;
  const base = () => (baseSlice ??= buildSlice(secrets, 0, Math.min(perRound, 50_000), workload));

  const config: ServerConfig = { ...secrets };
  const children: Child[] = [];
  const contenders: Contender[] = [];
  let bot: { server: Child; emulator: Child; db: BetterSqlite3.Database } | undefined;
  try {
    for (const name of targets) {
      if (name === 'pledge-bot') {
        const { emulator, server, dbPath } = await startBot(config, children);
        bot = { server, emulator, db: new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true }) };
        const next = () => {
          const slice = buildSlice(secrets, from, perRound, workload);
          from += perRound;
          return shots(slice, name);
        };
        contenders.push({ name, group: [server, emulator], shots: next, cycle: false, sent: (sent) => countSent(inRounds, sent) });
      } else {
        const child = await startChild(name, name === 'sdk-adapter' ? './server-sdk.ts' : './server-echo.ts', config);
        children.push(child);
        // Made at the first round, not held through the fixed-rate phases (a bigger heap here, longer pauses).
        let same: Shot[] | undefined;
        contenders.push({ name, group: [child], shots: () => (same ??= shots(base(), name)), cycle: true });
      }
    }

    const fixedRuns = new Map<string, { value: PhaseResult; cpu: CpuUse }>();
    let drainFixedMs: number | undefined;
    for (const c of contenders) {
      const port = c.group[0]!.port;
      log(`${c.name}:`);
      // Each phase's requests are made before it, so that their making is not the generator's CPU in it.
      const warmShots = shots(warm, c.name);
      const fixedShots = shots(fixed, c.name);
      await alone(contenders, c, async () => {
        if (warmShots.length) await phase(`warm-up ${warmN / flags.rate} s at ${flags.rate}/s`, () => runOpen(port, warmShots, flags.rate));
        if (fixedShots.length) {
          fixedRuns.set(c.name, await phase(`fixed rate ${flags.rate}/s for ${flags.seconds} s`, () => withCpu(c.group, () => runOpen(port, fixedShots, flags.rate))));
        }
        // The rounds start as a max phase should: with what came before handled and replied.
        if (c.name === 'pledge-bot' && bot) drainFixedMs = await drain(bot.db, warm.unique + fixed.unique, warm.unique + fixed.unique);
      });
    }

    const before = bot ? { handled: countIn(bot.db, HANDLED_MESSAGES), stored: countIn(bot.db, STORED_MESSAGES) } : undefined;
    const rounds = await phase(`max throughput, ${flags.connections} connections, ${roundsText}`, () =>
      measurePairs({ rounds: roundCount, seconds: flags['max-seconds'], settleSeconds: flags.settle, connections: flags.connections, targets: contenders, log, newSender }),
    );
    const pairOpts = { seconds: flags['max-seconds'], settleSeconds: flags.settle };
    if (onlyRounds) {
      const out = [
        '',
        machineLine(),
        `max throughput: closed loop, ${flags.connections} keep-alive connections, ${roundsText}`,
        eventsLine(workload),
        '',
        ...pairLines(rounds, pairOpts, 'pledge-bot'),
      ];
      process.stdout.write(`${out.join('\n')}\n`);
      return;
    }

    const results: TargetResult[] = contenders.map((c) => {
      const max = mergeTurns(rounds.map((r) => r.get(c.name)!));
      const fx = fixedRuns.get(c.name)!;
      return { name: c.name, offered: flags.rate, fixed: fx.value, closed: max.result, connections: flags.connections, cpuFixed: fx.cpu, cpuClosed: max.cpu };
    });
    let checks: BotChecks | undefined;
    if (bot) {
      const db = bot.db;
      const atBurstEnd = {
        handled: countIn(db, HANDLED_MESSAGES) - before!.handled,
        stored: countIn(db, STORED_MESSAGES) - before!.stored,
        waitingReplies: countIn(db, WAITING_REPLIES),
        messages: inRounds.messages,
        cards: inRounds.cards,
        drivenMs: rounds.reduce((a, r) => a + r.get('pledge-bot')!.drivenMs, 0),
      };
      const all: SentCount = {
        unique: inRounds.unique + warm.unique + fixed.unique,
        repeats: inRounds.repeats + warm.deliveries.length - warm.unique + fixed.deliveries.length - fixed.unique,
        messages: inRounds.messages + warm.messages + fixed.messages,
        cards: inRounds.cards + warm.cards + fixed.cards,
      };
      const drainClosedMs = await drain(db, all.unique, inRounds.unique);
      const stats = (await (await fetch(`http://127.0.0.1:${bot.emulator.port}/__bench/stats`)).json()) as BotChecks['replies'];
      checks = {
        uniqueSent: all.unique,
        repeatsSent: all.repeats,
        eventRows: countIn(db, EVENT_ROWS),
        eventRowsDone: countIn(db, `SELECT count(*) AS n FROM inbound_events WHERE key NOT LIKE 'msg:%' AND status = 'done'`),
        messageRows: countIn(db, `SELECT count(*) AS n FROM inbound_events WHERE key LIKE 'msg:%'`),
        messagesSent: all.messages,
        notDone: countIn(db, `SELECT count(*) AS n FROM inbound_events WHERE key NOT LIKE 'msg:%' AND status <> 'done'`),
        replies: stats,
        retriedSends: countIn(db, RETRIED_SENDS),
        drainFixedMs,
        drainClosedMs,
        atBurstEnd,
        warnings: bot.server.stderrLines(),
        warningTail: [...bot.server.stderrTail],
      };
    }

    const out = [
      '',
      machineLine(),
      `fixed rate: open loop at ${flags.rate}/s for ${flags.seconds} s after ${flags.warmup} s warm-up, latency from each request's due time; max throughput: closed loop, ${flags.connections} keep-alive connections, ${roundsText}`,
      eventsLine(workload),
      '',
      table(results),
      '',
      ...verdicts(results, flags.rate),
      '',
      ...pairLines(rounds, pairOpts, 'pledge-bot'),
      '',
      ...cpuLines(results, cpus().length),
      '',
      ...latenciesByKind(results),
      '',
      ...results.flatMap((r) => timeline(r, flags.rate)),
      ...(checks ? ['', ...botSection(checks)] : []),
    ];
    const errs = errorDetails(results);
    if (errs.length) out.push('', 'errors:', ...errs.slice(0, 20));
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    bot?.db.close();
    for (const c of children.reverse()) await c.stop();
    if (process.env.BENCH_DIAG) for (const c of children) log(c.stderrTail.filter((l) => l.startsWith('DIAG')).join('\n'));
  }
}

try {
  await main();
} finally {
  cleanup();
}
