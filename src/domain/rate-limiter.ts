/**
 * Token buckets keyed by scope ("app", "chat:oc_x", "user:ou_y"). Feishu allows 50 requests/s
 * per app and 5 messages/s to one user or group. Pure: the caller passes the time.
 * https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
 */
export interface BucketSpec {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly specFor: (key: string) => BucketSpec) {}

  /** Milliseconds until every key has a token (0 = now). Takes nothing. */
  waitMs(keys: string[], nowMs: number): number {
    let wait = 0;
    for (const key of keys) {
      const b = this.refill(key, nowMs);
      if (b.tokens < 1) {
        const spec = this.specFor(key);
        wait = Math.max(wait, Math.ceil(((1 - b.tokens) / spec.perSecond) * 1000));
      }
    }
    return wait;
  }

  /** Takes one token from each key if all have one; returns whether it did. */
  tryTake(keys: string[], nowMs: number): boolean {
    if (this.waitMs(keys, nowMs) > 0) return false;
    for (const key of keys) this.refill(key, nowMs).tokens -= 1;
    return true;
  }

  /** After a 429: empty the bucket so nothing more goes out on it until it refills. */
  drain(key: string, nowMs: number, forMs: number): void {
    const spec = this.specFor(key);
    const b = this.refill(key, nowMs);
    b.tokens = -Math.max(0, (forMs / 1000) * spec.perSecond);
  }

  private refill(key: string, nowMs: number): Bucket {
    const spec = this.specFor(key);
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: spec.burst, at: nowMs };
      this.buckets.set(key, b);
    }
    const elapsed = Math.max(0, nowMs - b.at) / 1000;
    b.tokens = Math.min(spec.burst, b.tokens + elapsed * spec.perSecond);
    b.at = nowMs;
    if (this.buckets.size > 10_000) this.evictFull(nowMs);
    return b;
  }

  private evictFull(nowMs: number): void {
    for (const [k, b] of this.buckets) {
      const spec = this.specFor(k);
      if (b.tokens + ((nowMs - b.at) / 1000) * spec.perSecond >= spec.burst) this.buckets.delete(k);
    }
  }
}

export const feishuLimits = (key: string): BucketSpec =>
  key === 'app' ? { perSecond: 50, burst: 50 } : { perSecond: 5, burst: 5 };
