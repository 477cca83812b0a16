import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { pauseApp } from '../../db/repos/outbox-drainer.js';
import { dueOutbox, heldRecipients, insertOutbox, leaseOutbox, markFailed, markRetry, markSent, markThrottled } from '../../db/repos/outbox.js';
import type { Database, OutboxRow } from '../../db/schema.js';
import { backoffMs, MAX_ATTEMPTS } from '../domain/backoff.js';
import type { DoorGate } from '../door-gate.js';
import { recipientScope, type RateLimiter } from '../domain/rate-limiter.js';
import type { Logger } from '../logger.js';
import { type LarkApi, type LarkCallError, type ReceiveIdType, toLarkError } from './open-api.js';
import { drainShared } from './shared-drain.js';
import { withoutMentions } from './text-content.js';

export type Recipient = { openId: string } | { chatId: string };

export type OutgoingMessage =
  | { key: string; to: Recipient; text: string }
  | { key: string; to: Recipient; card: object }
  | { key: string; to: Recipient; file: { name: string; data: Uint8Array } }
  | { key: string; replyTo: { messageId: string; chatId: string }; text: string }
  | { key: string; replyTo: { messageId: string; chatId: string }; card: object }
  /** `to`: whom the message went to, so the update counts against (and waits in) their scope. */
  | { key: string; patch: { messageId: string; to: Recipient }; card: object };

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** Rows left for a later drain (rate limit or budget). */
  deferred: number;
}

export interface Outbox {
  /** Persists the message (idempotent by key), through `db` if given (a handle on the same database); the drainer sends it. */
  enqueue(msg: OutgoingMessage, db?: Kysely<Database>): Promise<void>;
  /** Sends what is due, within a budget; one drain at a time per process. */
  drain(budget?: { maxSends?: number; maxMs?: number }): Promise<DrainResult>;
}

export interface OutboxDeps {
  db: Kysely<Database>;
  lark: LarkApi;
  limiter: RateLimiter;
  now: () => Date;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  /** Real elapsed time for rate limits and drain budgets (a test's frozen `now` must not stall them). */
  monotonicMs?: () => number;
  random: () => number;
  /** Each send waits for a slot, so the door comes first under load (door-gate.ts). */
  gate?: DoorGate;
  /**
   * Other processes send from this database too (Workers' invocations): one drains at a time,
   * with limits read back from the database (shared-drain.ts). `now` must then be the real time.
   */
  shared?: boolean;
}

/** Feishu's `uuid` (≤ 50 chars) makes a send idempotent for an hour. */
function toUuid(key: string): string {
  return key.length <= 50 ? key : createHash('sha256').update(key).digest('hex').slice(0, 40);
}

const recipient = (to: Recipient): [ReceiveIdType, string] => ('openId' in to ? ['open_id', to.openId] : ['chat_id', to.chatId]);

function row(msg: OutgoingMessage, now: Date) {
  const base = {
    msg_key: msg.key,
    uuid: toUuid(msg.key),
    status: 'pending',
    next_attempt_at: now.toISOString(),
    created_at: now.toISOString(),
    lease_until: null,
    last_error: null,
    result_message_id: null,
    sent_at: null,
    file_name: null,
    file_data: null,
    target_message_id: null,
    tried_at: null,
  };
  const content = 'text' in msg ? JSON.stringify({ text: withoutMentions(msg.text) }) : 'card' in msg ? JSON.stringify(msg.card) : '{}';
  const msgType = 'text' in msg ? 'text' : 'card' in msg ? 'interactive' : 'file';
  if ('patch' in msg) {
    const [idType, id] = recipient(msg.patch.to);
    return { ...base, op: 'patch', receive_id_type: idType, receive_id: id, target_message_id: msg.patch.messageId, msg_type: msgType, content };
  }
  if ('replyTo' in msg) {
    return { ...base, op: 'reply', receive_id_type: 'chat_id', receive_id: msg.replyTo.chatId, target_message_id: msg.replyTo.messageId, msg_type: msgType, content };
  }
  const [idType, id] = recipient(msg.to);
  if ('file' in msg) {
    return { ...base, op: 'file', receive_id_type: idType, receive_id: id, msg_type: 'file', content, file_name: msg.file.name, file_data: msg.file.data };
  }
  return { ...base, op: 'send', receive_id_type: idType, receive_id: id, msg_type: msgType, content };
}

const scopeOf = (r: OutboxRow): string => recipientScope(r.receive_id_type, r.receive_id);

/**
 * The least a throttled send waits before it goes again: a reset header of 0 (or none, as with
 * 230020) must not resend at once, over and over. One second is the per-chat limit's window.
 */
const THROTTLE_MIN_WAIT_MS = 1000;

export function createOutbox(deps: OutboxDeps): Outbox {
  const clock = deps.monotonicMs ?? (() => performance.now());
  let running: Promise<DrainResult> | undefined;
  /** When a try got its answer, kept only where other processes' limits must count it. */
  const tried = () => (deps.shared ? deps.now() : null);

  async function sendOne(r: OutboxRow): Promise<string | null> {
    const { lark } = deps;
    switch (r.op) {
      case 'send':
        return (await lark.sendMessage({ receiveIdType: r.receive_id_type as ReceiveIdType, receiveId: r.receive_id ?? '', msgType: r.msg_type, content: r.content, uuid: r.uuid })).messageId;
      case 'reply':
        return (await lark.replyMessage({ messageId: r.target_message_id ?? '', msgType: r.msg_type, content: r.content, uuid: r.uuid })).messageId;
      case 'patch':
        await lark.patchMessage({ messageId: r.target_message_id ?? '', content: r.content });
        return r.target_message_id;
      case 'file': {
        const { fileKey } = await lark.uploadFile({ fileName: r.file_name ?? 'file', data: r.file_data ?? new Uint8Array() });
        return (await lark.sendMessage({ receiveIdType: r.receive_id_type as ReceiveIdType, receiveId: r.receive_id ?? '', msgType: 'file', content: JSON.stringify({ file_key: fileKey }), uuid: r.uuid })).messageId;
      }
      default:
        throw new Error(`unknown outbox op ${r.op}`);
    }
  }

  type Outcome = 'sent' | 'retry' | 'failed' | 'taken';

  async function deliver(r: OutboxRow, result: DrainResult): Promise<Outcome> {
    const { db, now, logger, limiter } = deps;
    if (!(await leaseOutbox(db, r, now(), 60_000))) return 'taken';
    try {
      const messageId = await sendOne(r);
      await markSent(db, r.id, now(), messageId, tried());
      result.sent++;
      return 'sent';
    } catch (err) {
      const e = toLarkError(err);
      if (e.throttled) return throttled(r, e, result);
      const attempts = r.attempts + 1;
      logger.warn({ outboxId: r.id, op: r.op, status: e.httpStatus, code: e.code, attempts, retryable: e.retryable }, 'outbox send failed');
      if (e.retryable && attempts < MAX_ATTEMPTS) {
        // A reset header on a real error may ask for longer than the backoff, never for less.
        const wait = Math.max(backoffMs(attempts, deps.random()), e.retryAfterMs ?? 0);
        await markRetry(db, r.id, new Date(now().getTime() + wait), e.message, tried());
        result.retried++;
        return 'retry';
      }
      await markFailed(db, r.id, e.message, tried());
      result.failed++;
      return 'failed';
    }
  }

  /**
   * Feishu's rate-limit doc: wait for `x-ogw-ratelimit-reset`, then send again until it goes
   * through. So a throttled answer is no failed try (the row never fails for it), and the scope
   * Feishu named is paused in this process too: the whole app for 99991400 / 429, whatever the
   * HTTP status; only that chat or user for 230020.
   */
  async function throttled(r: OutboxRow, e: LarkCallError, result: DrainResult): Promise<Outcome> {
    const { db, now, logger, limiter } = deps;
    const wait = Math.max(THROTTLE_MIN_WAIT_MS, e.retryAfterMs ?? 0);
    const scope = e.throttled === 'app' ? 'app' : scopeOf(r);
    logger.warn({ outboxId: r.id, op: r.op, status: e.httpStatus, code: e.code, scope, waitMs: wait }, 'outbox send throttled');
    limiter.drain(scope, clock(), wait);
    if (deps.shared && scope === 'app') await pauseApp(db, new Date(now().getTime() + wait));
    await markThrottled(db, r.id, new Date(now().getTime() + wait), e.message, tried());
    result.retried++;
    return 'retry';
  }

  async function drainOnce(budget: { maxSends?: number; maxMs?: number }): Promise<DrainResult> {
    const { db, now, limiter, sleep } = deps;
    const result: DrainResult = { sent: 0, retried: 0, failed: 0, deferred: 0 };
    const started = clock();
    const maxSends = budget.maxSends ?? Infinity;
    const maxMs = budget.maxMs ?? Infinity;
    // Counts sends begun, not finished: lanes run side by side, and a Worker's subrequest
    // budget must hold as a hard cap.
    let begun = 0;
    const spent = () => begun >= maxSends || clock() - started >= maxMs;
    /** Rows left for a later pass of this drain (rate limit) or a later drain (budget). */
    const skip = new Set<number>();
    let held = 0;
    for (;;) {
      const all = await dueOutbox(db, now(), 200 + skip.size + held);
      if (all.length === 0) break;
      // A recipient whose earlier message waits for a retry (or is in flight) gets nothing
      // newer until that one is through: each chat sees its messages in order.
      const waiting = await heldRecipients(db, now());
      const behind = (r: OutboxRow) => (waiting.get(`${r.receive_id_type ?? ''}:${r.receive_id ?? ''}`) ?? Infinity) < r.id;
      const due = all.filter((r) => !skip.has(r.id) && !behind(r));
      held = all.filter(behind).length;
      // One lane per recipient keeps each chat's messages in order; lanes run side by side.
      const lanes = new Map<string, OutboxRow[]>();
      for (const r of due) lanes.set(scopeOf(r), [...(lanes.get(scopeOf(r)) ?? []), r]);
      const queue = [...lanes.values()];
      let progressed = false;
      const worker = async () => {
        for (let lane = queue.shift(); lane; lane = queue.shift()) {
          for (const [i, r] of lane.entries()) {
            if (spent()) {
              skip.add(r.id);
              continue;
            }
            if (deps.gate) await deps.gate.slot();
            const keys = ['app', scopeOf(r)];
            let wait = limiter.waitMs(keys, clock());
            if (wait > 0 && wait <= 1500 && clock() - started + wait < maxMs) {
              await sleep(wait);
              wait = limiter.waitMs(keys, clock());
            }
            const takenAt = clock();
            if (wait > 0 || !limiter.tryTake(keys, takenAt)) {
              // Leave it (and the rest of this lane) for the next pass, in order.
              for (const rest of lane.slice(i)) skip.add(rest.id);
              break;
            }
            if (spent()) {
              for (const rest of lane.slice(i)) skip.add(rest.id);
              break;
            }
            begun++;
            let outcome: Awaited<ReturnType<typeof deliver>>;
            try {
              outcome = await deliver(r, result);
            } finally {
              limiter.complete(keys, takenAt, clock());
            }
            progressed = true;
            // The rest of the lane now waits behind the retry (found held on the next pass).
            if (outcome === 'retry' || outcome === 'taken') break;
          }
        }
      };
      // Every lane stops before a failure is passed on: a drain that ended (and, shared, let go
      // of the outbox) while lanes still sent would leave sends nobody counts.
      const lanesDone = await Promise.allSettled(Array.from({ length: 8 }, worker));
      const failed = lanesDone.find((l) => l.status === 'rejected');
      if (failed) throw failed.reason;
      if (progressed) continue;
      if (spent()) break;
      const limited = all.filter((r) => skip.has(r.id));
      if (limited.length === 0) break; // nothing due but messages held behind a retry
      // Everything left is rate-limited: wait for the soonest window, then look again.
      const waits = limited.map((r) => limiter.waitMs(['app', scopeOf(r)], clock()));
      const soonest = Math.min(...waits.filter((w) => w > 0), 1000);
      if (clock() - started + soonest >= maxMs) break;
      await sleep(soonest);
      skip.clear();
    }
    result.deferred = skip.size;
    return result;
  }

  const outbox: Outbox = {
    async enqueue(msg, db = deps.db) {
      await insertOutbox(db, row(msg, deps.now()));
    },
    drain(budget = {}) {
      if (!running) {
        const drained = deps.shared ? drainShared({ ...deps, clock }, budget, drainOnce) : drainOnce(budget);
        running = drained.finally(() => {
          running = undefined;
        });
        return running;
      }
      // A drain is running: everyone who asks meanwhile shares one follow-up drain (with the
      // largest budget asked for), which starts when this one ends and so sees their rows.
      // One waiter per caller would be woken on every drain: quadratic under load.
      if (next) {
        next.budget = widest(next.budget, budget);
        return next.result;
      }
      const follow: { budget: DrainBudget; result: Promise<DrainResult> } = { budget, result: Promise.resolve(EMPTY) };
      follow.result = running
        .catch(() => undefined)
        .then(() => {
          next = undefined;
          return outbox.drain(follow.budget);
        });
      next = follow;
      return follow.result;
    },
  };
  let next: { budget: DrainBudget; result: Promise<DrainResult> } | undefined;
  return outbox;
}

type DrainBudget = { maxSends?: number; maxMs?: number };
const EMPTY: DrainResult = { sent: 0, retried: 0, failed: 0, deferred: 0 };

function widest(a: DrainBudget, b: DrainBudget): DrainBudget {
  const max = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? undefined : Math.max(x, y));
  return { maxSends: max(a.maxSends, b.maxSends), maxMs: max(a.maxMs, b.maxMs) };
}

