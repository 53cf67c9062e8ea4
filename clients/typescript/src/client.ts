/**
 * The client: `track` and its queue (tracker.ts), the reads (`listEvents`, `getEvent`), erasure
 * (`eraseUser`) and a GraphQL helper, over one HTTP layer (http.ts) that adds the token and
 * retries. Works wherever `fetch` is global: browsers, and Node.js 18 and later.
 */
import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";

import { MAX_BATCH_EVENTS } from "./batching.js";
import { monotonicTimestamps, randomUuid } from "./clock.js";
import type { Details, ErasureAnswer, Event, EventPage } from "./contract.js";
import { type Fetch, Http, segment, type TokenProvider } from "./http.js";
import { ProblemError, readProblem } from "./problem.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
import { browserStorage, type KeyValueStorage, PendingEvents } from "./storage.js";
import type { DeliveryError, Fate } from "./fates.js";
import { type Stats, Tracker } from "./tracker.js";

export interface ClientOptions {
  /** Where the API is, with its base path if it has one: `https://api.example.com/v1`. */
  baseUrl: string;
  /** The user whose events `track` records, unless a call names another. */
  userId?: string;
  /** The bearer token for each request (omit it for a server that checks none). */
  getToken?: TokenProvider;
  /** Events per batch: a full batch is sent at once (1 to 500; default 100). */
  batchSize?: number;
  /** A batch that is not full is sent this long after its oldest event (default 5000 ms). */
  flushIntervalMs?: number;
  /** Events the queue holds at most; beyond, the oldest are dropped (default 10,000). */
  maxQueueSize?: number;
  /** A batch body's bytes at most (default 1,000,000: under the server's 1 MiB). */
  maxBatchBytes?: number;
  /** How retries wait, and how many times a read is tried. */
  retry?: Partial<RetryPolicy>;
  /** Keep unsent events across page loads (default true where there is a localStorage). */
  persist?: boolean;
  /** Where to keep them (default: localStorage). */
  storage?: KeyValueStorage;
  /** Each event the API did not store and will not on a retry (conflict, invalid, forbidden,
   * failed), with the problem the API answered. Default: console.error. */
  onError?: (error: DeliveryError) => void;
  /** Dropped events and storage that could not keep everything. Default: console.warn. */
  onWarning?: (message: string) => void;
  /** Default: the global fetch. */
  fetch?: Fetch;
  /** Default: crypto.randomUUID (pass node:crypto's on Node.js 18). */
  randomUUID?: () => string;
}

export interface TrackOptions {
  /** Whose event it is (default: the client's `userId`). */
  userId?: string;
  /** Its idempotency key (default: a new UUID). */
  eventId?: string;
  /** When it happened (default: now, to the microsecond). */
  timestamp?: Date | string;
}

export interface ListOptions {
  /** Events per page, 1 to 1000 (the server's default is 100). */
  limit?: number;
  /** Only events of these types. */
  eventTypes?: readonly string[];
  /** Only events at or after this instant. */
  from?: Date | string;
  /** Only events before this instant. */
  to?: Date | string;
  /** Start after the page this cursor ended (a `nextCursor`). */
  cursor?: string;
  signal?: AbortSignal;
}

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** A GraphQL response: `data` and `errors` may come together (an error nulls its own field). */
export interface GraphQLResponse<TResult> {
  data?: TResult | null;
  errors?: GraphQLError[];
}

function instant(value: Date | string): string {
  return typeof value === "string" ? value : value.toISOString();
}

export class EventLogClient {
  readonly #http: Http;
  readonly #tracker: Tracker;
  readonly #userId: string | undefined;
  readonly #randomUuid: () => string;
  readonly #timestamp = monotonicTimestamps();
  #closed = false;

  constructor(options: ClientOptions) {
    const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const random = (): number => Math.random();
    const now = (): number => Date.now();
    this.#http = new Http({
      baseUrl: options.baseUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      getToken: options.getToken,
      retry,
      random,
      now,
    });
    this.#userId = options.userId;
    this.#randomUuid = options.randomUUID ?? randomUuid;
    const storage = options.persist === false ? undefined : (options.storage ?? browserStorage());
    this.#tracker = new Tracker(
      this.#http,
      {
        batchSize: Math.min(Math.max(1, options.batchSize ?? 100), MAX_BATCH_EVENTS),
        maxBatchBytes: options.maxBatchBytes ?? 1_000_000,
        flushIntervalMs: options.flushIntervalMs ?? 5000,
        maxQueueSize: options.maxQueueSize ?? 10_000,
        retry,
        random,
        now,
        onError: options.onError ?? ((error) => console.error("Event Log client:", error)),
        onWarning: options.onWarning ?? ((message) => console.warn(message)),
      },
      storage === undefined
        ? undefined
        : new PendingEvents(storage, options.baseUrl, this.#randomUuid()),
    );
  }

  /** Queues an event and answers its eventId; `flush()` tells what became of it. Its eventId
   * and timestamp are fixed now, so every retry sends the same event. */
  track(eventType: string, details: Details = {}, options: TrackOptions = {}): string {
    if (this.#closed) {
      throw new Error("Event Log client: track() after close()");
    }
    const userId = options.userId ?? this.#userId;
    if (userId === undefined) {
      throw new TypeError("track() needs a userId: createClient({userId}) or track(..., {userId})");
    }
    const eventId = options.eventId ?? this.#randomUuid();
    const timestamp =
      options.timestamp === undefined ? this.#timestamp() : instant(options.timestamp);
    const json = JSON.stringify({ eventId, userId, eventType, timestamp, details });
    void this.#tracker.enqueue({ eventId, userId, json });
    return eventId;
  }

  /** Sends every queued event now; answers each pending event's fate, in the order tracked. */
  flush(): Promise<Fate[]> {
    return this.#tracker.flush();
  }

  /** `flush()`, then stops the timer and the page listeners (call it before Node.js exits). */
  async close(): Promise<Fate[]> {
    this.#closed = true;
    const fates = await this.#tracker.flush();
    this.#tracker.detach();
    return fates;
  }

  get stats(): Stats {
    return this.#tracker.stats;
  }

  /** The user's events, newest first, a page at a time (each `GET /events/{userId}`). */
  async *listEvents(userId: string, options: ListOptions = {}): AsyncGenerator<EventPage> {
    let cursor = options.cursor;
    do {
      const query = new URLSearchParams();
      if (options.limit !== undefined) {
        query.set("limit", String(options.limit));
      }
      for (const eventType of options.eventTypes ?? []) {
        query.append("eventType", eventType);
      }
      if (options.from !== undefined) {
        query.set("from", instant(options.from));
      }
      if (options.to !== undefined) {
        query.set("to", instant(options.to));
      }
      if (cursor !== undefined) {
        query.set("cursor", cursor);
      }
      const request = options.signal === undefined ? { query } : { query, signal: options.signal };
      const page = await this.#http.json<EventPage>("GET", `/events/${segment(userId)}`, request);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** One event of the user, or null when the user has no such event. */
  async getEvent(userId: string, eventId: string): Promise<Event | null> {
    const path = `/events/${segment(userId)}/${segment(eventId)}`;
    const response = await this.#http.sendWithRetries("GET", path);
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      throw new ProblemError(await readProblem(response));
    }
    return (await response.json()) as Event;
  }

  /** Erases every event of the user: first those still queued here, then, call after call,
   * those stored, until the API answers `more: false`. Answers how many the API erased. */
  async eraseUser(userId: string, options: { limit?: number } = {}): Promise<number> {
    await this.#tracker.discard(userId);
    const query = new URLSearchParams();
    if (options.limit !== undefined) {
      query.set("limit", String(options.limit));
    }
    let erased = 0;
    for (;;) {
      const answer = await this.#http.json<ErasureAnswer>("DELETE", `/events/${segment(userId)}`, {
        query,
      });
      erased += answer.deleted;
      if (!answer.more) {
        return erased;
      }
    }
  }

  /** One GraphQL operation (`POST /graphql`), retried as the reads are. A typed document (see
   * `EventsPageDocument`) types the variables and the answer. Throws ProblemError for an answer
   * that is not GraphQL's (a proxy's error page). */
  async graphql<TResult, TVariables>(
    document: DocumentTypeDecoration<TResult, TVariables> | string,
    variables?: TVariables,
  ): Promise<GraphQLResponse<TResult>> {
    const body = JSON.stringify({ query: String(document), variables });
    const response = await this.#http.sendWithRetries("POST", "/graphql", {
      body,
      accept: "application/graphql-response+json, application/json;q=0.9",
    });
    const type = response.headers.get("Content-Type") ?? "";
    if (!/^application\/(graphql-response\+)?json/.test(type)) {
      throw new ProblemError(await readProblem(response));
    }
    return (await response.json()) as GraphQLResponse<TResult>;
  }
}

/** A client of the Event Log API at `options.baseUrl`. */
export function createClient(options: ClientOptions): EventLogClient {
  return new EventLogClient(options);
}
