/** Exponential backoff with a cap: 2s, 4s, 8s … up to 10 min. `jitter` in [0,1) is passed in. */
export function backoffMs(attempt: number, jitter: number): number {
  const base = Math.min(600_000, 2000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + jitter * 0.5));
}

/** After this many tries a transient failure is recorded as permanent and shown to admins. */
export const MAX_ATTEMPTS = 12;
