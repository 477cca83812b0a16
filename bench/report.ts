import { percentile, type PhaseResult } from './load.js';

/** CPU ms used during a phase, by process name ('generator' is the load generator). */
export type CpuUse = Record<string, number>;

export interface TargetResult {
  name: string;
  offered: number;
  fixed: PhaseResult;
  closed: PhaseResult;
  connections: number;
  cpuFixed: CpuUse;
  cpuClosed: CpuUse;
}

export interface BotChecks {
  uniqueSent: number;
  repeatsSent: number;
  eventRows: number;
  eventRowsDone: number;
  messageRows: number;
  messagesSent: number;
  notDone: number;
  replies: { created: number; uniqueUuids: number; sendRequests: number };
  /** Tries of sent replies that failed before the one that went through (each sent again under its uuid). */
  retriedSends: number;
  /** After the fixed-rate phase and after the max-throughput rounds; undefined = timed out. */
  drainFixedMs: number | undefined;
  drainClosedMs: number | undefined;
  /**
   * When the max-throughput rounds ended: messages acknowledged but not yet handled, replies not
   * yet sent; the distinct messages and card presses sent in the bot's turns, and how long it
   * was driven in them (settling included; it is stopped between its turns).
   */
  atBurstEnd?: { handled: number; stored: number; waitingReplies: number; messages: number; cards: number; drivenMs: number };
  warnings: number;
  warningTail: string[];
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function latencyOf(r: PhaseResult): Latency {
  const s = Float64Array.from(r.latencies).sort();
  return { p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), max: s.length ? s[s.length - 1]! : NaN };
}

export const achieved = (r: PhaseResult): number => (r.elapsedMs > 0 ? (r.ok / r.elapsedMs) * 1000 : 0);

const f = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits));
const pad = (s: string, w: number, left = false): string => (left ? s.padEnd(w) : s.padStart(w));

export function table(results: TargetResult[]): string {
  const head = ['target', 'offered/s', 'achieved/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'max thr/s', 'conns', 'errors(max)'];
  const widths = [12, 10, 11, 8, 8, 8, 8, 7, 10, 6, 12];
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i === 0)).join(' ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  for (const t of results) {
    const l = latencyOf(t.fixed);
    out.push(
      line([t.name, f(t.offered, 0), f(achieved(t.fixed)), f(l.p50, 2), f(l.p90, 2), f(l.p99, 2), f(l.max, 1), String(t.fixed.errors), f(achieved(t.closed), 0), String(t.connections), String(t.closed.errors)]),
    );
  }
  return out.join('\n');
}

/** Each target's latency in both phases, by kind of request (messages, card presses). */
export function latenciesByKind(results: TargetResult[]): string[] {
  const out = ['latency by kind of request (p50 / p99 / max ms):'];
  for (const t of results) {
    for (const [phase, r] of [['fixed', t.fixed], ['max', t.closed]] as const) {
      const parts = [...r.byKind].map(([kind, list]) => {
        const s = Float64Array.from(list).sort();
        return `${kind} ${f(percentile(s, 0.5), 2)} / ${f(percentile(s, 0.99), 1)} / ${f(s[s.length - 1], 1)}`;
      });
      out.push(`  ${pad(t.name, 12, true)} ${pad(phase, 5, true)} ${parts.join('; ')}`);
    }
  }
  return out;
}

export function errorDetails(results: TargetResult[]): string[] {
  const out: string[] = [];
  for (const t of results) {
    for (const [phase, r] of [['fixed', t.fixed], ['max', t.closed]] as const) {
      for (const [kind, n] of r.errorKinds) out.push(`  ${t.name} ${phase}: ${n} × ${kind}`);
    }
  }
  return out;
}

/** The latency target (the throughput targets are judged over the rounds: pairs.ts `pairLines`). */
export function verdicts(results: TargetResult[], rate: number): string[] {
  const bot = results.find((r) => r.name === 'pledge-bot');
  if (!bot) return [];
  const l = latencyOf(bot.fixed);
  const met = l.p99 <= 50 && bot.fixed.errors === 0 ? 'met' : 'NOT MET';
  return [
    `target p99 ≤ 50 ms at 1,000 events/s: ${rate >= 1000 ? met : `not measured (offered ${rate}/s)`} (p99 ${f(l.p99, 2)} ms, ${bot.fixed.errors} errors)`,
    `(pledge-bot's max throughput counts requests acknowledged while the same process, on its bot thread, stores and handles each event, sends its reply and answers card presses with their real result; the sdk-adapter only decrypts and dispatches to a no-op, the echo does nothing)`,
  ];
}

export function botSection(c: BotChecks): string[] {
  const expectReplies = c.uniqueSent;
  const once =
    c.eventRows === c.uniqueSent &&
    c.eventRowsDone === c.uniqueSent &&
    c.messageRows === c.messagesSent &&
    c.notDone === 0 &&
    c.replies.uniqueUuids === expectReplies &&
    // A try that timed out may have reached the emulator: its send again has the same uuid, which
    // Feishu keeps one message for (an hour); this emulator forgets uuids after a second and makes
    // two. Every extra message must be such a try the bot counted, none a second handling.
    c.replies.created - c.replies.uniqueUuids <= c.retriedSends;
  const burst = c.atBurstEnd;
  const e2e = c.drainClosedMs === undefined || !burst ? undefined : ((burst.messages + burst.cards) / (burst.drivenMs + c.drainClosedMs)) * 1000;
  return [
    `pledge-bot, after the run:`,
    `  events sent ${c.uniqueSent} unique + ${c.repeatsSent} repeats; inbound_events: ${c.eventRows} event rows (${c.eventRowsDone} done), ${c.messageRows} message-id rows for ${c.messagesSent} messages; ${c.notDone} not done`,
    `  replies in the emulator: ${c.replies.created} messages, ${c.replies.uniqueUuids} distinct uuids, ${c.replies.sendRequests} send requests (expected ${expectReplies})` +
      (c.retriedSends ? `; ${c.retriedSends} tries failed and were sent again under the same uuid (the bot's HTTP timeout is 10 s, and the bench stops it for longer between its turns)` : ''),
    `  each event processed exactly once: ${once ? 'yes' : 'NO'}`,
    `  outbox drained ${f(c.drainFixedMs === undefined ? undefined : c.drainFixedMs / 1000, 2)} s after the fixed-rate phase, ${f(c.drainClosedMs === undefined ? undefined : c.drainClosedMs / 1000, 2)} s after the max-throughput rounds`,
    ...(burst
      ? [
          `  in its max-throughput turns (${f(burst.drivenMs / 1000, 1)} s): ${burst.messages} messages and ${burst.cards} card presses sent; ` +
            `${burst.stored} of the messages moved from the door's journal into the database (${f((burst.stored / burst.drivenMs) * 1000, 0)}/s), ` +
            `${burst.handled} handled (${f((burst.handled / burst.drivenMs) * 1000, 0)}/s); ${burst.waitingReplies} replies waiting in the outbox at the end`,
        ]
      : []),
    `  end to end (acknowledged, handled and replied) over its turns and the catching up after them: ${f(e2e, 0)} events/s`,
    `  warnings logged by the bot: ${c.warnings}${c.warningTail.length ? `, last: ${c.warningTail.at(-1)}` : ''}`,
  ];
}

/** CPU each process spent per request, and how busy the machine's cores were, per phase. */
export function cpuLines(results: TargetResult[], cores: number): string[] {
  const out = ['CPU per request (µs) and share of the machine used, by process:'];
  for (const t of results) {
    for (const [phase, r, cpu] of [['fixed', t.fixed, t.cpuFixed], ['max', t.closed, t.cpuClosed]] as const) {
      const n = Math.max(1, r.sent);
      const ours = Object.entries(cpu).filter(([name]) => name !== 'others' && !name.startsWith('('));
      const parts = Object.entries(cpu)
        .filter(([name]) => name !== 'others')
        .map(([name, ms]) => `${name} ${f((ms * 1000) / n, 0)}`);
      const share = (ms: number) => f((ms / (r.elapsedMs * cores)) * 100, 0);
      const busy = share(ours.reduce((a, [, ms]) => a + ms, 0));
      const others = cpu.others === undefined ? '' : `, other processes ${share(cpu.others)}%`;
      out.push(`  ${pad(t.name, 12, true)} ${pad(phase, 5, true)} ${parts.join(', ')}; machine: bench ${busy}%${others}`);
    }
  }
  return out;
}

/** p50 / p99 / max of the fixed-rate phase, second by second of the schedule. */
export function timeline(t: TargetResult, rate: number): string[] {
  const lat = t.fixed.bySchedule;
  if (!lat) return [];
  const out = [`${t.name}, fixed rate, by second (p50 / p99 / max ms; the generator sent up to ${f(t.fixed.maxSendLagMs, 0)} ms late):`];
  const perSecond = Math.max(1, Math.round(rate));
  const cells: string[] = [];
  for (let from = 0; from < lat.length; from += perSecond) {
    const s = Float64Array.from(lat.subarray(from, from + perSecond).filter((x) => !Number.isNaN(x))).sort();
    cells.push(`${f(percentile(s, 0.5), 0)}/${f(percentile(s, 0.99), 0)}/${f(s.length ? s[s.length - 1] : NaN, 0)}`);
  }
  for (let i = 0; i < cells.length; i += 10) out.push(`  ${cells.slice(i, i + 10).join('  ')}`);
  return out;
}
