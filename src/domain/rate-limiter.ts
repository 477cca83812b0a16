/**
 * Rate limits keyed by scope ("app", "chat:oc_x", "user:ou_y"), kept as sliding windows: at most
 * `burst` takes within any `burst / perSecond` seconds (5 within any second for 5/s), plus an
 * optional cap per minute. A token bucket would let twice the burst through within one second
 * (a full bucket, then its refill), which Feishu counts as over the limit. Pure: the caller
 * passes the time. Feishu allows 50 requests/s and 1000/min per app, 5 messages/s to one user
 * or group. https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
 */
export interface BucketSpec {
  perSecond: number;
  burst: number;
  /** An extra cap within any minute. */
  perMinute?: number;
}

interface Window {
  limit: number;
  ms: number;
}

interface Scope {
  /** Times of recent takes, oldest first (no more than the largest limit). */
  takes: number[];
  /** After a 429: nothing goes out on this key before this time. */
  blockedUntil: number;
}

function windowsOf(spec: BucketSpec): Window[] {
  const ws = [{ limit: Math.max(1, Math.floor(spec.burst)), ms: (spec.burst / spec.perSecond) * 1000 }];
  if (spec.perMinute !== undefined) ws.push({ limit: Math.max(1, Math.floor(spec.perMinute)), ms: 60_000 });
  return ws;
}

export class RateLimiter {
  private readonly scopes = new Map<string, Scope>();

  constructor(private readonly specFor: (key: string) => BucketSpec) {}

  /** Milliseconds until every key may take (0 = now). Takes nothing. */
  waitMs(keys: string[], nowMs: number): number {
    let wait = 0;
    for (const key of keys) {
      const s = this.scopes.get(key);
      if (!s) continue;
      wait = Math.max(wait, s.blockedUntil - nowMs);
      for (const w of windowsOf(this.specFor(key))) {
        const oldestInWindow = s.takes[s.takes.length - w.limit];
        if (oldestInWindow !== undefined) wait = Math.max(wait, oldestInWindow + w.ms - nowMs);
      }
    }
    return Math.max(0, Math.ceil(wait));
  }

  /** Takes from every key if all may take now; returns whether it did. */
  tryTake(keys: string[], nowMs: number): boolean {
    if (this.waitMs(keys, nowMs) > 0) return false;
    this.record(keys, nowMs);
    if (this.scopes.size > 10_000) this.evictIdle(nowMs);
    return true;
  }

  /**
   * The request taken at `takenAt` got its answer at `doneAt`: its slot counts from then. The
   * receiver saw it somewhere in between, so windows counted from answers hold at the receiver
   * whatever the network's and the event loop's delays.
   */
  complete(keys: string[], takenAt: number, doneAt: number): void {
    for (const key of keys) {
      const takes = this.scopes.get(key)?.takes;
      const i = takes ? takes.lastIndexOf(takenAt) : -1;
      if (!takes || i < 0) continue;
      takes.splice(i, 1);
      insertInOrder(takes, Math.max(takenAt, doneAt));
    }
  }

  /** A take at `atMs`, without asking (tryTake's own, or another process's read back from the database). */
  record(keys: string[], atMs: number): void {
    for (const key of keys) {
      const takes = this.scope(key).takes;
      insertInOrder(takes, atMs);
      const keep = Math.max(...windowsOf(this.specFor(key)).map((w) => w.limit));
      if (takes.length > keep) takes.splice(0, takes.length - keep);
    }
  }

  /** Forgets every take and pause (before they are read back from where they are shared). */
  reset(): void {
    this.scopes.clear();
  }

  /** After a 429: nothing more goes out on this key for `forMs`. */
  drain(key: string, nowMs: number, forMs: number): void {
    const s = this.scope(key);
    s.blockedUntil = Math.max(s.blockedUntil, nowMs + Math.max(0, forMs));
  }

  private scope(key: string): Scope {
    let s = this.scopes.get(key);
    if (!s) {
      s = { takes: [], blockedUntil: 0 };
      this.scopes.set(key, s);
    }
    return s;
  }

  private evictIdle(nowMs: number): void {
    for (const [key, s] of this.scopes) {
      const longest = Math.max(...windowsOf(this.specFor(key)).map((w) => w.ms));
      const last = s.takes[s.takes.length - 1] ?? -Infinity;
      if (last <= nowMs - longest && s.blockedUntil <= nowMs) this.scopes.delete(key);
    }
  }
}

function insertInOrder(takes: number[], at: number): void {
  let j = takes.length;
  while (j > 0 && takes[j - 1]! > at) j--;
  takes.splice(j, 0, at);
}

/** The scope a message counts in: 5/s to one user (by open_id) or to one chat. */
export const recipientScope = (receiveIdType: string | null, receiveId: string | null): string =>
  `${receiveIdType === 'open_id' ? 'user' : 'chat'}:${receiveId ?? ''}`;

/** 50/s and 1000/min per app; 5/s per chat and per user. */
export const feishuLimits = (key: string): BucketSpec =>
  key === 'app' ? { perSecond: 50, burst: 50, perMinute: 1000 } : { perSecond: 5, burst: 5 };
