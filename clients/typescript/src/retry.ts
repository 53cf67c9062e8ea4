/**
 * When to try again, and how long to wait: only answers that say nothing was stored and that a
 * later attempt may succeed (408, 429, 503) and no answer at all are retried, after exponential
 * backoff with full jitter, and never before the server's `Retry-After`. Writes are retried with
 * the same eventIds, so the server replays what an earlier attempt stored.
 */

export interface RetryPolicy {
  /** The first wait's ceiling; each attempt doubles it. */
  baseDelayMs: number;
  /** No wait's ceiling grows beyond this (a `Retry-After` may still ask for longer). */
  maxDelayMs: number;
  /** Attempts of one read, `eraseUser` step or GraphQL request, the first included. Queued
   * events are retried for as long as the client lives: they are never given up. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: 5,
};

/** 408: the body arrived too slowly; 429: too many requests; 503: a store or the token issuer
 * is unavailable. The API stores nothing visible on any of them. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 503]);

/**
 * Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog): a uniform wait between
 * zero and the capped exponential, so clients that failed together do not retry together.
 */
export function fullJitterMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  // 2 ** 40 ms is 35 years: past any cap, and never Infinity (whose product with 0 is NaN).
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` in milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110, 10.2.3);
 * undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) {
    return undefined;
  }
  const value = header.trim();
  if (/^\d+$/.test(value)) {
    return Number(value) * 1000;
  }
  // Every HTTP-date form starts with the day's name ("Tue, 24 Nov 2026 09:00:30 GMT").
  const date = /^[A-Za-z]{3}/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before attempt `attempt + 1`: the jittered backoff, but never less than the
 * server's `Retry-After`. */
export function retryDelayMs(
  attempt: number,
  retryAfter: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  return Math.max(retryAfter ?? 0, fullJitterMs(attempt, policy, random));
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    function abort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
