/** The network boundary of the unit tests: a fetch that records each request and answers as
 * the API would (or as a test scripts it), and a page with its storage. */
import { vi } from "vitest";

import type { BatchAnswer } from "../src/contract.js";
import type { KeyValueStorage } from "../src/storage.js";

export interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  bodyText: string | undefined;
  keepalive: boolean;
}

export type Answer = Response | Error | undefined;

export interface FakeApi {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  sent: Sent[];
  batches: () => Sent[];
}

export const BASE_URL = "https://api.example.test";

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": type, ...headers },
  });
}

export function problem(
  status: number,
  kind: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return json(
    status,
    {
      type: `urn:eventlog:problem:${kind}`,
      title: kind,
      status,
      detail: `a ${kind} problem`,
      requestId: "req-1",
      ...extra,
    },
    headers,
  );
}

interface SentEvent {
  eventId: string;
  userId: string;
  eventType: string;
  timestamp: string;
  details: Record<string, unknown>;
}

/** What the API answers a batch it stores whole: every event created. */
export function stored(sent: Sent): Response {
  const events = (sent.body as { events: SentEvent[] }).events;
  const answer: BatchAnswer = {
    results: events.map((event, index) => ({
      index,
      outcome: "created",
      event: { ...event, receivedAt: event.timestamp },
    })),
    counts: { created: events.length, replayed: 0, conflict: 0, invalid: 0, forbidden: 0 },
  };
  return json(200, answer);
}

/** A fetch whose answers come from `script` (one per request, in order; `undefined` or a
 * spent script: the API's ordinary answer). An Error is thrown as fetch throws. */
export function fakeApi(script: ((sent: Sent, index: number) => Answer) | Answer[] = []): FakeApi {
  const sent: Sent[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const bodyText = typeof init.body === "string" ? init.body : undefined;
    const request: Sent = {
      method: init.method ?? "GET",
      url: input,
      headers: { ...(init.headers as Record<string, string>) },
      body: bodyText === undefined ? undefined : JSON.parse(bodyText),
      bodyText,
      keepalive: init.keepalive === true,
    };
    const index = sent.length;
    sent.push(request);
    const answer = typeof script === "function" ? script(request, index) : script[index];
    if (answer instanceof Error) {
      throw answer;
    }
    if (answer !== undefined) {
      return answer;
    }
    if (request.url.endsWith("/events/batch")) {
      return stored(request);
    }
    return json(200, {});
  };
  return {
    fetch,
    sent,
    batches: () => sent.filter((request) => request.url.endsWith("/events/batch")),
  };
}

/** Web Storage in memory. */
export class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  quota = Number.POSITIVE_INFINITY;

  get length(): number {
    return this.items.size;
  }

  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (value.length > this.quota) {
      throw new DOMException("over quota", "QuotaExceededError");
    }
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** A page as lifecycle.ts sees one: a document whose visibility changes, and a window that
 * fires pagehide and pageshow. */
export class FakePage {
  readonly window = new EventTarget();
  readonly document = Object.assign(new EventTarget(), { visibilityState: "visible" });

  install(): void {
    vi.stubGlobal("document", this.document);
    vi.stubGlobal("addEventListener", this.window.addEventListener.bind(this.window));
    vi.stubGlobal("removeEventListener", this.window.removeEventListener.bind(this.window));
  }

  hide(): void {
    this.document.visibilityState = "hidden";
    this.document.dispatchEvent(new Event("visibilitychange"));
  }

  show(): void {
    this.document.visibilityState = "visible";
    this.document.dispatchEvent(new Event("visibilitychange"));
  }

  unload(): void {
    this.hide();
    this.window.dispatchEvent(new Event("pagehide"));
  }
}
