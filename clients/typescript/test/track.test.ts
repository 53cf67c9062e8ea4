/** track() and its queue: when batches go, what a retry sends, what reaches onError, and how a
 * full queue drops. The fetch is the boundary; the clock is vitest's fake one. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { type ClientOptions, createClient, type DeliveryError } from "../src/index.js";
import { BASE_URL, type FakeApi, fakeApi, json, problem, type Sent } from "./fakes.js";

interface SentEvent {
  eventId: string;
  userId: string;
  eventType: string;
  timestamp: string;
  details: Record<string, unknown>;
}

function eventsOf(request: Sent): SentEvent[] {
  return (request.body as { events: SentEvent[] }).events;
}

function client(api: FakeApi, options: Partial<ClientOptions> = {}) {
  return createClient({
    baseUrl: BASE_URL,
    userId: "user-42",
    fetch: api.fetch,
    persist: false,
    ...options,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse("2026-11-24T09:30:00Z") });
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("sending", () => {
  it("sends a full batch at once, as one POST /events/batch with each event's id and time", async () => {
    const api = fakeApi();
    const events = client(api, { batchSize: 3 });
    const ids = ["a", "b", "c"].map((page) => events.track("page_view", { page }));
    await vi.advanceTimersByTimeAsync(0);
    expect(api.sent).toHaveLength(1);
    const [request] = api.sent as [Sent];
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`${BASE_URL}/events/batch`);
    expect(request.headers).toEqual({
      Accept: "application/json",
      "Content-Type": "application/json",
    });
    expect(eventsOf(request)).toEqual([
      {
        eventId: ids[0],
        userId: "user-42",
        eventType: "page_view",
        timestamp: "2026-11-24T09:30:00.000000Z",
        details: { page: "a" },
      },
      {
        eventId: ids[1],
        userId: "user-42",
        eventType: "page_view",
        timestamp: "2026-11-24T09:30:00.000001Z",
        details: { page: "b" },
      },
      {
        eventId: ids[2],
        userId: "user-42",
        eventType: "page_view",
        timestamp: "2026-11-24T09:30:00.000002Z",
        details: { page: "c" },
      },
    ]);
  });

  it("sends a batch that is not full once its oldest event has waited the interval", async () => {
    const api = fakeApi();
    const events = client(api, { batchSize: 10, flushIntervalMs: 5000 });
    events.track("click");
    await vi.advanceTimersByTimeAsync(3000);
    events.track("click");
    await vi.advanceTimersByTimeAsync(1999);
    expect(api.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.sent).toHaveLength(1);
    expect(eventsOf(api.sent[0] as Sent)).toHaveLength(2);
  });

  it("flush() sends everything now and answers each event's fate in the order tracked", async () => {
    const api = fakeApi((request) => {
      if (!request.url.endsWith("/events/batch")) {
        return undefined;
      }
      const [first, second, third] = eventsOf(request) as [SentEvent, SentEvent, SentEvent];
      return json(200, {
        results: [
          { index: 0, outcome: "created", event: { ...first, receivedAt: first.timestamp } },
          { index: 1, outcome: "replayed", event: { ...second, receivedAt: second.timestamp } },
          {
            index: 2,
            outcome: "invalid",
            problem: {
              type: "urn:eventlog:problem:validation",
              title: "Request breaks the rules",
              status: 422,
              detail: "1 problem(s) in: eventType",
              requestId: "r",
              errors: [{ field: "eventType", message: "bad", code: "string_pattern_mismatch" }],
            },
          },
        ],
        counts: { created: 1, replayed: 1, conflict: 0, invalid: 1, forbidden: 0 },
      });
      void third;
    });
    const errors: DeliveryError[] = [];
    const events = client(api, { onError: (error) => errors.push(error) });
    const ids = [events.track("a"), events.track("b"), events.track("bad type")];
    const fates = await events.flush();
    expect(fates.map((fate) => [fate.eventId, fate.outcome])).toEqual([
      [ids[0], "created"],
      [ids[1], "replayed"],
      [ids[2], "invalid"],
    ]);
    expect(errors).toEqual([
      {
        eventId: ids[2],
        userId: "user-42",
        outcome: "invalid",
        problem: {
          type: "urn:eventlog:problem:validation",
          title: "Request breaks the rules",
          status: 422,
          detail: "1 problem(s) in: eventType",
          requestId: "r",
          errors: [{ field: "eventType", message: "bad", code: "string_pattern_mismatch" }],
        },
      },
    ]);
    expect(events.stats).toEqual({ queued: 0, pending: 0, dropped: 0, retries: 0, delivered: 2 });
    // An invalid event is not sent again.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.batches()).toHaveLength(1);
  });

  it("sends batches one at a time, oldest first, each within the byte limit", async () => {
    const api = fakeApi();
    const events = client(api, { batchSize: 500, maxBatchBytes: 1000 });
    for (let index = 0; index < 30; index += 1) {
      events.track("view", { index, text: "x".repeat(50) });
    }
    await events.flush();
    const sent = api
      .batches()
      .map((request) => eventsOf(request).map((event) => event.details.index));
    expect(sent.flat()).toEqual(Array.from({ length: 30 }, (_, index) => index));
    for (const request of api.batches()) {
      expect(new TextEncoder().encode(request.bodyText).length).toBeLessThanOrEqual(1000);
    }
    expect(sent.length).toBeGreaterThan(1);
  });

  it("needs a user", () => {
    const events = createClient({ baseUrl: BASE_URL, fetch: fakeApi().fetch, persist: false });
    expect(() => events.track("click")).toThrow(/needs a userId/);
    expect(events.track("click", {}, { userId: "user-7" })).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("retries", () => {
  it.each([
    [
      "503 with Retry-After",
      () => problem(503, "unavailable", { store: "details" }, { "Retry-After": "2" }),
    ],
    ["429 with Retry-After", () => problem(429, "too-many-requests", {}, { "Retry-After": "2" })],
  ])("waits for Retry-After after a %s, then sends the same events again", async (_, failure) => {
    const api = fakeApi([failure()]);
    const events = client(api, { retry: { baseDelayMs: 100, maxDelayMs: 1000 } });
    events.track("click", { n: 1 });
    const fates = events.flush();
    await vi.advanceTimersByTimeAsync(1999);
    expect(api.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.sent).toHaveLength(2);
    expect(api.sent[1]?.bodyText).toBe(api.sent[0]?.bodyText);
    expect((await fates).map((fate) => fate.outcome)).toEqual(["created"]);
    expect(events.stats.retries).toBe(1);
  });

  it.each([
    ["408", () => problem(408, "body-timeout")],
    ["503 without Retry-After", () => problem(503, "unavailable")],
    ["no answer", () => new TypeError("Failed to fetch")],
  ])("backs off exponentially with full jitter after %s", async (_, failure) => {
    const api = fakeApi([failure(), failure(), failure()]);
    const events = client(api, { retry: { baseDelayMs: 1000, maxDelayMs: 30_000 } });
    events.track("click");
    const fates = events.flush();
    // Math.random() is 0.5: half of 1 s, 2 s, 4 s.
    for (const [wait, sent] of [
      [499, 1],
      [1, 2],
      [999, 2],
      [1, 3],
      [1999, 3],
      [1, 4],
    ] as const) {
      await vi.advanceTimersByTimeAsync(wait);
      expect(api.sent).toHaveLength(sent);
    }
    expect(new Set(api.sent.map((request) => request.bodyText)).size).toBe(1);
    expect((await fates).map((fate) => fate.outcome)).toEqual(["created"]);
  });

  it("keeps trying a batch for as long as the API is down", async () => {
    let down = true;
    const api = fakeApi(() =>
      down ? problem(503, "unavailable", {}, { "Retry-After": "1" }) : undefined,
    );
    const events = client(api, { retry: { baseDelayMs: 100, maxDelayMs: 2000, maxAttempts: 2 } });
    events.track("click");
    const fates = events.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(api.sent.length).toBeGreaterThan(100);
    down = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect((await fates).map((fate) => fate.outcome)).toEqual(["created"]);
  });

  it.each([
    ["conflict", 409],
    ["forbidden", 403],
  ] as const)("never retries a %s, and tells onError with the problem", async (outcome, status) => {
    const api = fakeApi((request) => {
      const [event] = eventsOf(request) as [SentEvent];
      return json(200, {
        results: [
          {
            index: 0,
            outcome,
            problem: {
              type: `urn:eventlog:problem:${outcome}`,
              title: outcome,
              status,
              detail: `${event.eventId} ${outcome}`,
              requestId: "r",
            },
          },
        ],
        counts: { created: 0, replayed: 0, conflict: 0, invalid: 0, forbidden: 0, [outcome]: 1 },
      });
    });
    const errors: DeliveryError[] = [];
    const events = client(api, { onError: (error) => errors.push(error) });
    const eventId = events.track("click");
    await events.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(api.sent).toHaveLength(1);
    expect(errors).toEqual([
      {
        eventId,
        userId: "user-42",
        outcome,
        problem: {
          type: `urn:eventlog:problem:${outcome}`,
          title: outcome,
          status,
          detail: `${eventId} ${outcome}`,
          requestId: "r",
        },
      },
    ]);
  });

  it("halves a batch the server finds too large, and fails an event too large alone", async () => {
    const accepted: number[][] = [];
    const api = fakeApi((request) => {
      if ((request.bodyText?.length ?? 0) > 450) {
        return problem(413, "too-large");
      }
      accepted.push(eventsOf(request).map((event) => event.details.index as number));
      return undefined;
    });
    const errors: DeliveryError[] = [];
    const events = client(api, { onError: (error) => errors.push(error) });
    for (let index = 0; index < 4; index += 1) {
      events.track("view", { index, text: "x".repeat(40) });
    }
    const big = events.track("view", { index: 4, text: "x".repeat(400) });
    const fates = await events.flush();
    expect(fates.map((fate) => fate.outcome)).toEqual([
      "created",
      "created",
      "created",
      "created",
      "failed",
    ]);
    // 5 refused, then its halves: 3 refused, 2 stored, 1 stored; 2 refused, 1 stored, 1 failed.
    expect(api.batches().map((request) => eventsOf(request).length)).toEqual([5, 3, 2, 1, 2, 1, 1]);
    expect(accepted).toEqual([[0, 1], [2], [3]]);
    expect(errors.map((error) => [error.eventId, error.outcome, error.problem.status])).toEqual([
      [big, "failed", 413],
    ]);
  });
});

describe("a full queue", () => {
  it("drops the oldest events with one warning that counts them", async () => {
    const api = fakeApi();
    const warnings: string[] = [];
    const events = client(api, {
      maxQueueSize: 3,
      batchSize: 100,
      onWarning: (message) => warnings.push(message),
    });
    const ids = Array.from({ length: 5 }, (_, index) => events.track("view", { index }));
    expect(events.stats).toMatchObject({ queued: 3, dropped: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(warnings).toEqual([
      "Event Log client: the queue holds at most 3 events; dropped the 2 oldest (2 since the client started).",
    ]);
    const fates = await events.flush();
    expect(fates.map((fate) => [fate.eventId, fate.outcome])).toEqual(
      ids.slice(2).map((id) => [id, "created"]),
    );
    expect(eventsOf(api.batches()[0] as Sent).map((event) => event.details.index)).toEqual([
      2, 3, 4,
    ]);
    events.track("view", { index: 5 });
    events.track("view", { index: 6 });
    events.track("view", { index: 7 });
    events.track("view", { index: 8 });
    await vi.advanceTimersByTimeAsync(0);
    expect(warnings.at(-1)).toBe(
      "Event Log client: the queue holds at most 3 events; dropped the 1 oldest (3 since the client started).",
    );
  });
});

describe("tokens", () => {
  it("asks getToken at each request and sends it as a bearer token", async () => {
    const api = fakeApi();
    const getToken = vi.fn(async () => "token-1");
    const events = client(api, { getToken, batchSize: 1 });
    events.track("a");
    events.track("b");
    await events.flush();
    expect(getToken.mock.calls).toEqual([[{ refresh: false }], [{ refresh: false }]]);
    expect(api.sent.map((request) => request.headers.Authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-1",
    ]);
  });

  it("asks once more for a fresh token after a 401, and sends the batch with it", async () => {
    const api = fakeApi([problem(401, "unauthenticated")]);
    const tokens = ["expired", "fresh"];
    const getToken = vi.fn(async () => tokens.shift());
    const events = client(api, { getToken });
    events.track("a");
    expect((await events.flush()).map((fate) => fate.outcome)).toEqual(["created"]);
    expect(getToken.mock.calls).toEqual([[{ refresh: false }], [{ refresh: true }]]);
    expect(api.sent.map((request) => request.headers.Authorization)).toEqual([
      "Bearer expired",
      "Bearer fresh",
    ]);
    expect(api.sent[1]?.bodyText).toBe(api.sent[0]?.bodyText);
  });

  it("fails the batch when the fresh token is refused too, and tells onError", async () => {
    const refused = () =>
      json(
        401,
        {
          type: "urn:eventlog:problem:unauthenticated",
          title: "Authentication required",
          status: 401,
          detail: "The token has expired.",
          requestId: "r",
        },
        { "WWW-Authenticate": 'Bearer realm="eventlog", error="invalid_token"' },
      );
    const api = fakeApi([refused(), refused()]);
    const getToken = vi.fn(() => "stale");
    const errors: DeliveryError[] = [];
    const events = client(api, { getToken, onError: (error) => errors.push(error) });
    const eventId = events.track("a");
    expect((await events.flush()).map((fate) => fate.outcome)).toEqual(["failed"]);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(api.sent).toHaveLength(2);
    expect(errors).toEqual([
      {
        eventId,
        userId: "user-42",
        outcome: "failed",
        problem: {
          type: "urn:eventlog:problem:unauthenticated",
          title: "Authentication required",
          status: 401,
          detail: "The token has expired.",
          requestId: "r",
        },
      },
    ]);
  });

  it("reads the reason of a 401 that is not a problem from WWW-Authenticate (API Gateway's)", async () => {
    const gateway = () =>
      new Response('{"message":"Unauthorized"}', {
        status: 401,
        statusText: "Unauthorized",
        headers: {
          "Content-Type": "application/json",
          "WWW-Authenticate":
            'Bearer error="invalid_token" error_description="the token has expired"',
        },
      });
    const api = fakeApi([gateway(), gateway()]);
    const errors: DeliveryError[] = [];
    const events = client(api, { getToken: () => "t", onError: (error) => errors.push(error) });
    events.track("a");
    await events.flush();
    expect(errors.map((error) => error.problem)).toEqual([
      { type: "about:blank", title: "Unauthorized", status: 401, detail: "the token has expired" },
    ]);
  });
});
