/** Page unload: what is written to storage when the page is hidden, what goes out with
 * keepalive within 64 KiB, and what the next page load sends. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { KEEPALIVE_BUDGET_BYTES } from "../src/batching.js";
import { type ClientOptions, createClient } from "../src/index.js";
import {
  BASE_URL,
  type FakeApi,
  FakePage,
  MemoryStorage,
  fakeApi,
  problem,
  type Sent,
} from "./fakes.js";

interface Kept {
  version: number;
  events: { eventId: string; userId: string; json: string }[];
}

function kept(storage: MemoryStorage): Kept[] {
  return [...storage.items.entries()]
    .filter(([key]) => key.startsWith(`eventlog-client:${BASE_URL}:`))
    .map(([, value]) => JSON.parse(value) as Kept);
}

function keptIds(storage: MemoryStorage): string[] {
  return kept(storage).flatMap((record) => record.events.map((event) => event.eventId));
}

function sentIds(requests: Sent[]): string[] {
  return requests.flatMap((request) =>
    (request.body as { events: { eventId: string }[] }).events.map((event) => event.eventId),
  );
}

let page: FakePage;
let storage: MemoryStorage;

function client(api: FakeApi, options: Partial<ClientOptions> = {}) {
  return createClient({
    baseUrl: BASE_URL,
    userId: "user-42",
    fetch: api.fetch,
    storage,
    batchSize: 100,
    flushIntervalMs: 60_000,
    ...options,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse("2026-11-24T09:30:00Z") });
  page = new FakePage();
  page.install();
  storage = new MemoryStorage();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("when the page is hidden", () => {
  it("keeps every unsent event and sends what fits in 64 KiB with keepalive", async () => {
    // The API is down for ordinary requests: the first full batch waits to be retried.
    const api = fakeApi((request) =>
      request.keepalive ? undefined : problem(503, "unavailable", {}, { "Retry-After": "30" }),
    );
    const events = client(api, { batchSize: 50 });
    const ids = Array.from({ length: 300 }, (_, index) =>
      events.track("view", { index, text: "x".repeat(300) }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(sentIds(api.sent)).toEqual(ids.slice(0, 50));
    page.unload();
    // Everything without a fate is kept, the batch being retried included, before any send.
    expect(keptIds(storage)).toEqual(ids);
    // The keepalive requests go out once the handler's promises settle (no timer involved).
    await Promise.resolve();
    await Promise.resolve();
    const keepalive = api.sent.filter((request) => request.keepalive);
    const encoder = new TextEncoder();
    const bytes = keepalive.map((request) => encoder.encode(request.bodyText).length);
    const spent = bytes.reduce((sum, size) => sum + size, 0);
    expect(spent).toBeLessThanOrEqual(KEEPALIVE_BUDGET_BYTES);
    // The oldest queued events, in batches of at most 50, as many as the budget takes: events of
    // about 460 bytes, so 140 of them.
    const sent = sentIds(keepalive);
    expect(sent).toEqual(ids.slice(50, 190));
    expect(keepalive.map((request) => sentIds([request]).length)).toEqual([50, 50, 40]);
    const next = kept(storage)[0]?.events[50 + sent.length]?.json ?? "";
    expect(spent + encoder.encode(`{"events":[${next}]}`).length).toBeGreaterThan(
      KEEPALIVE_BUDGET_BYTES,
    );
    expect(events.stats).toMatchObject({ queued: 250 - sent.length, pending: 300 });
  });

  it("keeps what the keepalive batches did not confirm, and the next page load sends it", async () => {
    const api = fakeApi();
    const first = client(api);
    const ids = Array.from({ length: 5 }, (_, index) => first.track("view", { index }));
    page.unload();
    // The page is gone before the keepalive answers come back: nothing was confirmed.
    expect(keptIds(storage)).toEqual(ids);
    const bodies = kept(storage)[0]?.events.map((event) => event.json);

    const nextApi = fakeApi();
    const next = client(nextApi);
    expect(storage.items.size).toBe(0);
    const fates = await next.flush();
    expect(fates.map((fate) => [fate.eventId, fate.outcome])).toEqual(
      ids.map((id) => [id, "created"]),
    );
    // The same events, byte for byte: the server replays those the keepalive stored.
    const resent = nextApi.batches()[0]?.bodyText ?? "";
    expect(resent).toBe(`{"events":[${bodies?.join(",")}]}`);
    expect(nextApi.batches()).toHaveLength(1);
  });

  it("follows every change while hidden, and forgets it all when the page is shown again", async () => {
    const api = fakeApi([problem(503, "unavailable", {}, { "Retry-After": "1" })]);
    const events = client(api);
    const early = events.track("view");
    page.hide();
    expect(keptIds(storage)).toEqual([early]);
    // The keepalive batch was refused (503): the page lives, so it is queued again.
    await vi.advanceTimersByTimeAsync(0);
    const late = events.track("view");
    await vi.advanceTimersByTimeAsync(0);
    expect(keptIds(storage)).toEqual([early, late]);
    await events.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(keptIds(storage)).toEqual([]);
    const later = events.track("view");
    await vi.advanceTimersByTimeAsync(0);
    expect(keptIds(storage)).toEqual([later]);
    page.show();
    expect(storage.items.size).toBe(0);
    expect((await events.flush()).map((fate) => fate.eventId)).toEqual([later]);
    expect(sentIds(api.batches())).toEqual([early, early, late, later]);
  });

  it("sends nothing twice within a page: a keepalive batch confirmed is not sent again", async () => {
    const api = fakeApi();
    const events = client(api);
    const ids = [events.track("a"), events.track("b")];
    page.hide();
    await vi.advanceTimersByTimeAsync(0);
    page.show();
    expect(await events.flush()).toEqual([]);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(sentIds(api.batches())).toEqual(ids);
    expect(api.batches().map((request) => request.keepalive)).toEqual([true]);
  });

  it("keeps the oldest events that the storage has room for, and says how many", () => {
    storage.quota = 2000;
    const warnings: string[] = [];
    const events = client(fakeApi(), { onWarning: (message) => warnings.push(message) });
    const ids = Array.from({ length: 40 }, (_, index) => events.track("view", { index }));
    page.unload();
    const saved = keptIds(storage);
    expect(saved).toEqual(ids.slice(0, saved.length));
    expect(saved.length).toBeGreaterThan(0);
    expect(warnings).toEqual([
      `Event Log client: storage took ${saved.length} of the 40 unsent events; the others are lost if the page does not come back.`,
    ]);
  });

  it("writes nothing with persist: false", () => {
    const events = client(fakeApi(), { persist: false });
    events.track("view");
    page.unload();
    expect(storage.items.size).toBe(0);
  });

  it("uses the page's localStorage by default", () => {
    vi.stubGlobal("localStorage", storage);
    const events = createClient({
      baseUrl: BASE_URL,
      userId: "user-42",
      fetch: fakeApi().fetch,
      flushIntervalMs: 60_000,
    });
    const eventId = events.track("view");
    page.unload();
    expect(keptIds(storage)).toEqual([eventId]);
  });

  it("leaves other APIs' events and unreadable records alone", () => {
    storage.setItem(
      "eventlog-client:https://other.example.test:x",
      JSON.stringify({ version: 1, events: [{ eventId: "e", userId: "u", json: "{}" }] }),
    );
    storage.setItem(`eventlog-client:${BASE_URL}:broken`, "{not json");
    const api = fakeApi();
    client(api);
    expect([...storage.items.keys()]).toEqual(["eventlog-client:https://other.example.test:x"]);
    expect(api.sent).toEqual([]);
  });

  it("keeps nothing, and still sends, where the storage refuses to be read", async () => {
    const refusing = new MemoryStorage();
    refusing.items.set(`eventlog-client:${BASE_URL}:other`, "{}");
    refusing.key = () => {
      throw new DOMException("denied", "SecurityError");
    };
    const api = fakeApi();
    const events = createClient({
      baseUrl: BASE_URL,
      userId: "user-42",
      fetch: api.fetch,
      storage: refusing,
    });
    events.track("view");
    expect((await events.flush()).map((fate) => fate.outcome)).toEqual(["created"]);
  });
});

describe("without a page (Node.js)", () => {
  it("attaches nothing and keeps nothing", async () => {
    vi.unstubAllGlobals();
    expect(typeof (globalThis as { document?: unknown }).document).toBe("undefined");
    const api = fakeApi();
    const events = createClient({ baseUrl: BASE_URL, userId: "user-42", fetch: api.fetch });
    events.track("view");
    expect((await events.close()).map((fate) => fate.outcome)).toEqual(["created"]);
    expect(() => events.track("view")).toThrow(/after close/);
  });
});
