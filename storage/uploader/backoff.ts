/**
 * Exponential backoff with "equal jitter": half the capped exponential delay plus a random half, so
 * retries spread out without ever collapsing to zero. attempt is 1 for the first retry.
 */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
