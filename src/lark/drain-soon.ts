import type { Outbox } from './outbox.js';

/**
 * Asks for an outbox drain after the response (what a handler just queued goes out). Callers
 * asking while a drain runs share its one follow-up drain (outbox.ts), so that promise is
 * deferred once, not once per caller (under load, tens of thousands of them).
 */
export function drainSoon(outbox: Outbox, defer: (task: () => Promise<unknown>) => void, maxMs = 20_000): () => void {
  let asked: Promise<unknown> | undefined;
  return () => {
    const drain = outbox.drain({ maxMs });
    if (drain === asked) return;
    asked = drain;
    defer(() => drain);
  };
}
