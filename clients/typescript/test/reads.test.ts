/** Reads, erasure and GraphQL: the requests they make, paging, retries and errors. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  type ClientOptions,
  createClient,
  EventsPageDocument,
  NetworkError,
  ProblemError,
} from "../src/index.js";
import { BASE_URL, type FakeApi, fakeApi, json, problem } from "./fakes.js";

function client(api: FakeApi, options: Partial<ClientOptions> = {}) {
  return createClient({
    baseUrl: `${BASE_URL}/v1/`,
    userId: "user-42",
    fetch: api.fetch,
    persist: false,
    ...options,
  });
}

const event = {
  eventId: "3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b",
  userId: "user+42@example.com",
  eventType: "page_view",
  timestamp: "2026-11-24T08:30:00.250000Z",
  receivedAt: "2026-11-24T08:30:01.004117Z",
  details: { page: "/pricing" },
};

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("listEvents", () => {
  it("walks the cursors page by page, with the filters on every page", async () => {
    const api = fakeApi([
      json(200, { userId: event.userId, events: [event], nextCursor: "c1" }),
      json(200, { userId: event.userId, events: [], nextCursor: null }),
    ]);
    const pages = [];
    for await (const page of client(api).listEvents(event.userId, {
      limit: 1,
      eventTypes: ["page_view", "click"],
      from: new Date("2026-11-01T00:00:00Z"),
      to: "2026-12-01T00:00:00+01:00",
    })) {
      pages.push(page);
    }
    expect(pages).toEqual([
      { userId: event.userId, events: [event], nextCursor: "c1" },
      { userId: event.userId, events: [], nextCursor: null },
    ]);
    const filters =
      "limit=1&eventType=page_view&eventType=click&from=2026-11-01T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00%2B01%3A00";
    expect(api.sent.map((request) => [request.method, request.url])).toEqual([
      ["GET", `${BASE_URL}/v1/events/user%2B42%40example.com?${filters}`],
      ["GET", `${BASE_URL}/v1/events/user%2B42%40example.com?${filters}&cursor=c1`],
    ]);
  });

  it("retries a page the API could not answer, then throws its problem after the last attempt", async () => {
    const unavailable = () =>
      problem(503, "unavailable", { store: "metadata" }, { "Retry-After": "1" });
    const api = fakeApi([unavailable(), unavailable(), unavailable()]);
    const pages = client(api, { retry: { maxAttempts: 3 } }).listEvents("user-42");
    const next = pages.next();
    const failure = expect(next).rejects.toMatchObject({
      name: "ProblemError",
      status: 503,
      code: "unavailable",
      requestId: "req-1",
      problem: { store: "metadata" },
    });
    await vi.advanceTimersByTimeAsync(2000);
    await failure;
    expect(api.sent).toHaveLength(3);
  });

  it("throws a bad query's problem at once, with every offending field", async () => {
    const errors = [
      {
        field: "limit",
        message: "Input should be greater than or equal to 1",
        code: "greater_than_equal",
      },
    ];
    const api = fakeApi([problem(422, "validation", { errors })]);
    const error = await client(api)
      .listEvents("user-42", { limit: 0 })
      .next()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.errors).toEqual(errors);
    expect(api.sent).toHaveLength(1);
  });
});

describe("getEvent", () => {
  it("answers the event, or null for none", async () => {
    const api = fakeApi([json(200, event), problem(404, "not-found")]);
    const events = client(api);
    expect(await events.getEvent(event.userId, event.eventId)).toEqual(event);
    expect(await events.getEvent("user-42", event.eventId)).toBeNull();
    expect(api.sent.map((request) => request.url)).toEqual([
      `${BASE_URL}/v1/events/user%2B42%40example.com/${event.eventId}`,
      `${BASE_URL}/v1/events/user-42/${event.eventId}`,
    ]);
  });

  it("throws NetworkError when no attempt got an answer", async () => {
    const api = fakeApi(() => new TypeError("Failed to fetch"));
    const pending = client(api, { retry: { maxAttempts: 2 } }).getEvent("user-42", event.eventId);
    const failure = expect(pending).rejects.toBeInstanceOf(NetworkError);
    await vi.advanceTimersByTimeAsync(1000);
    await failure;
    expect(api.sent).toHaveLength(2);
  });
});

describe("eraseUser", () => {
  it("discards the user's queued events, then erases call after call while more remain", async () => {
    const api = fakeApi((request) => {
      if (request.method !== "DELETE") {
        return undefined;
      }
      const calls = api.sent.filter((sent) => sent.method === "DELETE").length;
      if (calls === 2) {
        return problem(503, "unavailable", { store: "details" }, { "Retry-After": "1" });
      }
      return json(200, { userId: "user-42", deleted: calls === 4 ? 1 : 2, more: calls < 4 });
    });
    const events = client(api, { flushIntervalMs: 60_000 });
    const dropped = events.track("view");
    const other = events.track("view", {}, { userId: "user-7" });
    const erased = events.eraseUser("user-42", { limit: 2 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await erased).toBe(5);
    expect(api.sent.map((request) => [request.method, request.url])).toEqual([
      ["DELETE", `${BASE_URL}/v1/events/user-42?limit=2`],
      ["DELETE", `${BASE_URL}/v1/events/user-42?limit=2`],
      ["DELETE", `${BASE_URL}/v1/events/user-42?limit=2`],
      ["DELETE", `${BASE_URL}/v1/events/user-42?limit=2`],
    ]);
    const fates = await events.flush();
    expect(fates.map((fate) => [fate.eventId, fate.outcome])).toEqual([[other, "created"]]);
    expect(events.stats).toMatchObject({ pending: 0, delivered: 1 });
    void dropped;
  });
});

describe("graphql", () => {
  it("posts the typed document and its variables, and answers data and errors as sent", async () => {
    const answer = {
      data: { events: null },
      errors: [
        {
          message: "Invalid input: first",
          path: ["events"],
          extensions: { code: "BAD_USER_INPUT" },
        },
      ],
    };
    const api = fakeApi([
      new Response(JSON.stringify(answer), {
        status: 200,
        headers: { "Content-Type": "application/graphql-response+json; charset=utf-8" },
      }),
    ]);
    const result = await client(api).graphql(EventsPageDocument, { userId: "user-42", first: 0 });
    expect(result).toEqual(answer);
    const [request] = api.sent;
    expect(request?.url).toBe(`${BASE_URL}/v1/graphql`);
    expect(request?.headers.Accept).toBe(
      "application/graphql-response+json, application/json;q=0.9",
    );
    expect(request?.body).toEqual({
      query: String(EventsPageDocument),
      variables: { userId: "user-42", first: 0 },
    });
    expect(String(EventsPageDocument)).toMatch(/^\s*query EventsPage\(/);
  });

  it("throws a ProblemError for an answer that is not GraphQL's", async () => {
    const api = fakeApi([
      new Response("<html>bad gateway</html>", {
        status: 502,
        headers: { "Content-Type": "text/html" },
      }),
    ]);
    await expect(client(api).graphql("{ __typename }")).rejects.toMatchObject({
      status: 502,
      code: "about:blank",
    });
  });
});
