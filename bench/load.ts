import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request as the generator sends it, with the check that says the target handled it. */
export interface Shot {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** What the request is (message, card), for latencies by kind. */
  kind: string;
  /** A repeated delivery of an earlier event (the bot must not handle it again). */
  repeat?: boolean;
  check: (status: number, body: string) => boolean;
  /** The whole request as bytes, for the lean client (raw-sender.ts `withWire`). */
  wire?: Buffer;
}

export interface PhaseResult {
  sent: number;
  ok: number;
  errors: number;
  errorKinds: Map<string, number>;
  /** Latency of each completed request, ms. */
  latencies: Float64Array;
  /** From the first send to the last response, ms. */
  elapsedMs: number;
  /** Open loop only: how late the generator was, at worst, in sending on schedule. */
  maxSendLagMs: number;
  /** Open loop only: each request's latency by its place in the schedule (NaN = no answer). */
  bySchedule?: Float64Array;
  /** Latencies by the shots' kind, ms. */
  byKind: Map<string, Float64Array>;
}

/** How long either client waits for one answer. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** A target's answer to one request. */
export interface Outcome {
  status: number;
  body: string;
}

/** What the phases send through: node:http's client (`createSender`) or the lean one (raw-sender.ts). */
export interface Sender {
  send: (s: Shot) => Promise<Outcome>;
  close: () => void;
}

/** node:http over loopback with a keep-alive pool; a fresh pool per phase. */
export function createSender(port: number, maxSockets: number): Sender {
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const send = (s: Shot) =>
    new Promise<Outcome>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: s.path, headers: s.headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(s.body);
    });
  return { send, close: () => agent.destroy() };
}

function recorder() {
  const r: PhaseResult = { sent: 0, ok: 0, errors: 0, errorKinds: new Map(), latencies: new Float64Array(0), elapsedMs: 0, maxSendLagMs: 0, byKind: new Map() };
  const latencies: number[] = [];
  const byKind = new Map<string, number[]>();
  const fail = (kind: string) => {
    r.errors++;
    r.errorKinds.set(kind, (r.errorKinds.get(kind) ?? 0) + 1);
  };
  return {
    r,
    record(shot: Shot, outcome: Outcome | Error, ms: number) {
      latencies.push(ms);
      let k = byKind.get(shot.kind);
      if (!k) byKind.set(shot.kind, (k = []));
      k.push(ms);
      if (outcome instanceof Error) fail(outcome.message);
      else if (shot.check(outcome.status, outcome.body)) r.ok++;
      else fail(`HTTP ${outcome.status} ${outcome.body.slice(0, 60)}`);
    },
    finish(elapsedMs: number) {
      r.latencies = Float64Array.from(latencies);
      for (const [kind, list] of byKind) r.byKind.set(kind, Float64Array.from(list));
      r.elapsedMs = elapsedMs;
      return r;
    },
  };
}

/**
 * Open loop: request i is due at start + i/rate, sent then whether or not earlier ones were
 * answered. Latency counts from the due time, so a server (or generator) falling behind shows.
 */
export async function openLoop(sender: Sender, shots: Shot[], rate: number): Promise<PhaseResult> {
  const rec = recorder();
  const bySchedule = new Float64Array(shots.length).fill(NaN);
  rec.r.bySchedule = bySchedule;
  const start = performance.now();
  let next = 0;
  let finished = 0;
  let last = start;
  await new Promise<void>((allDone) => {
    if (shots.length === 0) return allDone();
    const tick = () => {
      const now = performance.now();
      const due = Math.min(shots.length, Math.floor(((now - start) * rate) / 1000) + 1);
      for (; next < due; next++) {
        const shot = shots[next]!;
        const i = next;
        const at = start + (next * 1000) / rate;
        rec.r.maxSendLagMs = Math.max(rec.r.maxSendLagMs, now - at);
        rec.r.sent++;
        const settle = (o: Outcome | Error) => {
          last = performance.now();
          bySchedule[i] = last - at;
          rec.record(shot, o, last - at);
          if (++finished === shots.length) allDone();
        };
        sender.send(shot).then(settle, (e: unknown) => settle(e instanceof Error ? e : new Error(String(e))));
      }
      if (next < shots.length) setTimeout(tick, 1);
    };
    tick();
  });
  return rec.finish(last - start);
}

/**
 * Closed loop: `connections` senders, each sending its next request when the last is answered,
 * for `seconds`. With `cycle`, the shots are sent again from the start when they run out (for
 * targets that keep no state); without, the phase ends early when they run out.
 */
export async function closedLoop(sender: Sender, shots: Shot[], connections: number, seconds: number, cycle = false): Promise<PhaseResult> {
  const rec = recorder();
  const start = performance.now();
  const end = start + seconds * 1000;
  let next = 0;
  const worker = async () => {
    while ((cycle || next < shots.length) && performance.now() < end) {
      const shot = shots[next++ % shots.length]!;
      rec.r.sent++;
      const t0 = performance.now();
      const outcome = await sender.send(shot).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      rec.record(shot, outcome, performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return rec.finish(performance.now() - start);
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Polls until `done()` is true or the time runs out; returns the ms it took, or undefined. */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number | undefined> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await done()) return performance.now() - t0;
    await sleep(everyMs);
  }
  return undefined;
}
