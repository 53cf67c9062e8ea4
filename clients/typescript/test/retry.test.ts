import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  fullJitterMs,
  retryAfterMs,
  retryDelayMs,
} from "../src/retry.js";

const policy = fc.record<RetryPolicy>({
  baseDelayMs: fc.integer({ min: 0, max: 10_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 600_000 }),
  maxAttempts: fc.integer({ min: 1, max: 100 }),
});
const attempt = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 10_000 }));
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("full jitter", () => {
  it("waits between zero and the capped exponential", () => {
    fc.assert(
      fc.property(attempt, policy, random, (n, rules, draw) => {
        const wait = fullJitterMs(n, rules, () => draw);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThanOrEqual(rules.maxDelayMs);
        expect(wait).toBeLessThanOrEqual(rules.baseDelayMs === 0 ? 0 : rules.baseDelayMs * 2 ** n);
        expect(Number.isFinite(wait)).toBe(true);
      }),
    );
  });

  it("doubles its ceiling each attempt until the cap", () => {
    const ceilings = [0, 1, 2, 3, 6, 7, 20].map((n) =>
      fullJitterMs(n, DEFAULT_RETRY_POLICY, () => 0.999_999_999),
    );
    expect(ceilings).toEqual([499, 999, 1999, 3999, 29_999, 29_999, 29_999]);
  });
});

describe("Retry-After", () => {
  it("reads delay-seconds and HTTP-dates, and nothing else", () => {
    const now = Date.parse("2026-11-24T09:00:00Z");
    expect(retryAfterMs("2", now)).toBe(2000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("Tue, 24 Nov 2026 09:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Tue, 24 Nov 2026 08:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs("-1", now)).toBeUndefined();
  });

  it("is never cut short by the backoff", () => {
    fc.assert(
      fc.property(
        attempt,
        fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
        policy,
        random,
        (n, after, rules, draw) => {
          const wait = retryDelayMs(n, after, rules, () => draw);
          expect(wait).toBeGreaterThanOrEqual(after ?? 0);
          expect(wait).toBe(
            Math.max(
              after ?? 0,
              fullJitterMs(n, rules, () => draw),
            ),
          );
        },
      ),
    );
  });
});
