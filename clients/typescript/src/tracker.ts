/**
 * The queue behind `track`: events wait in memory, go out through `POST /events/batch` when a
 * batch is full, when the oldest has waited `flushIntervalMs`, or on `flush()`, one batch at a
 * time, oldest first. A batch the API could not store is sent again, unchanged, until it can
 * (the server replays what an earlier attempt stored); a batch the server refuses as too big is
 * halved. When the page is hidden, every event without a fate is written to storage and the
 * queued ones are sent with `keepalive` within the browser's 64 KiB budget; the next client on
 * this origin sends what was kept.
 */
import {
  KEEPALIVE_BUDGET_BYTES,
  batchBody,
  batchBodyBytes,
  keepaliveBatches,
  nextBatchLength,
} from "./batching.js";
import type { BatchAnswer } from "./contract.js";
import { type DeliveryError, type Fate, fateOf } from "./fates.js";
import type { Http } from "./http.js";
import { watchPage } from "./lifecycle.js";
import { type Problem, readProblem } from "./problem.js";
import {
  RETRYABLE_STATUSES,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
  sleep,
} from "./retry.js";
import type { PendingEvents, QueuedEvent } from "./storage.js";

export interface TrackerSettings {
  batchSize: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  maxQueueSize: number;
  retry: RetryPolicy;
  random: () => number;
  now: () => number;
  onError: (error: DeliveryError) => void;
  onWarning: (message: string) => void;
}

export interface Stats {
  /** Events waiting to be sent. */
  queued: number;
  /** Events without a fate yet: queued, or being sent. */
  pending: number;
  /** Events pushed out of the full queue since the client started. */
  dropped: number;
  /** Batch attempts that will be repeated (503, 429, 408, no answer). */
  retries: number;
  /** Events stored (created or replayed). */
  delivered: number;
}

interface Item extends QueuedEvent {
  bytes: number;
  settle: (fate: Fate) => void;
  fate: Promise<Fate>;
}

type Attempt = { kind: "done" } | { kind: "retry"; retryAfter?: number } | { kind: "split" };

const encoder = new TextEncoder();

export class Tracker {
  readonly #http: Http;
  readonly #settings: TrackerSettings;
  readonly #store: PendingEvents | undefined;
  readonly #queue: Item[] = [];
  /** Every event without a fate (queued, or in a batch being sent), oldest first. */
  readonly #pending = new Set<Item>();
  readonly #stats = { dropped: 0, retries: 0, delivered: 0 };
  #sending: Promise<void> | undefined;
  #draining = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #hidden = false;
  #persistScheduled = false;
  #droppedUnreported = 0;
  #keepaliveBytesInFlight = 0;
  readonly #detach: () => void;

  constructor(http: Http, settings: TrackerSettings, store: PendingEvents | undefined) {
    this.#http = http;
    this.#settings = settings;
    this.#store = store;
    this.#detach = watchPage(
      () => this.#onHidden(),
      () => this.#onShown(),
    );
    const kept = store?.takeAll() ?? [];
    for (const event of kept) {
      this.enqueue(event);
    }
    if (kept.length > 0) {
      this.#drain();
    }
  }

  get stats(): Stats {
    return { queued: this.#queue.length, pending: this.#pending.size, ...this.#stats };
  }

  enqueue(event: QueuedEvent): Promise<Fate> {
    let settle: (fate: Fate) => void = () => undefined;
    const fate = new Promise<Fate>((resolve) => {
      settle = resolve;
    });
    const item: Item = { ...event, bytes: encoder.encode(event.json).length, settle, fate };
    this.#queue.push(item);
    this.#pending.add(item);
    while (this.#queue.length > this.#settings.maxQueueSize) {
      const oldest = this.#queue.shift() as Item;
      this.#stats.dropped += 1;
      this.#droppedUnreported += 1;
      this.#settle(oldest, { eventId: oldest.eventId, outcome: "dropped", reason: "overflow" });
      if (this.#droppedUnreported === 1) {
        queueMicrotask(() => this.#reportDropped());
      }
    }
    this.#changed();
    if (this.#queue.length >= this.#settings.batchSize) {
      this.#pump();
    } else {
      this.#timer ??= setTimeout(() => this.#drain(), this.#settings.flushIntervalMs);
    }
    return fate;
  }

  /** Sends everything queued now, and answers each pending event's fate once it has one. */
  flush(): Promise<Fate[]> {
    const fates = Promise.all([...this.#pending.values()].map((item) => item.fate));
    this.#drain();
    return fates;
  }

  /** Removes the queued events of `userId` (for an erasure), and waits for the batch being
   * sent, so that none of the user's events is stored after this answers. */
  async discard(userId: string): Promise<void> {
    for (let index = this.#queue.length - 1; index >= 0; index -= 1) {
      const item = this.#queue[index] as Item;
      if (item.userId === userId) {
        this.#queue.splice(index, 1);
        this.#settle(item, { eventId: item.eventId, outcome: "dropped", reason: "erased" });
      }
    }
    this.#changed();
    await this.#sending;
  }

  /** Stops the timer and the page listeners; queued events stay queued. */
  detach(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#detach();
  }

  #reportDropped(): void {
    const count = this.#droppedUnreported;
    this.#droppedUnreported = 0;
    this.#settings.onWarning(
      `Event Log client: the queue holds at most ${this.#settings.maxQueueSize} events; ` +
        `dropped the ${count} oldest (${this.#stats.dropped} since the client started).`,
    );
  }

  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining = true;
    this.#pump();
  }

  #pump(): void {
    this.#sending ??= this.#sendQueued().finally(() => {
      this.#sending = undefined;
      if (this.#queue.length === 0) {
        return;
      }
      if (this.#draining) {
        this.#pump();
      } else {
        this.#timer ??= setTimeout(() => this.#drain(), this.#settings.flushIntervalMs);
      }
    });
  }

  async #sendQueued(): Promise<void> {
    const { batchSize, maxBatchBytes } = this.#settings;
    while (this.#queue.length >= batchSize || (this.#draining && this.#queue.length > 0)) {
      const sizes = this.#queue.slice(0, batchSize).map((item) => item.bytes);
      const batch = this.#queue.splice(0, nextBatchLength(sizes, maxBatchBytes, batchSize));
      await this.#deliver(batch);
    }
    if (this.#queue.length === 0) {
      this.#draining = false;
    }
  }

  /** Sends one batch until every event of it has a fate. */
  async #deliver(batch: Item[]): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const result = await this.#attempt(batch, false);
      if (result.kind === "done") {
        return;
      }
      if (result.kind === "split") {
        const half = Math.ceil(batch.length / 2);
        await this.#deliver(batch.slice(0, half));
        await this.#deliver(batch.slice(half));
        return;
      }
      this.#stats.retries += 1;
      const { retry, random } = this.#settings;
      await sleep(retryDelayMs(attempt, result.retryAfter, retry, random));
    }
  }

  async #attempt(batch: Item[], keepalive: boolean): Promise<Attempt> {
    const live = batch.filter((item) => this.#pending.has(item));
    if (live.length === 0) {
      return { kind: "done" };
    }
    let response: Response;
    let answer: BatchAnswer;
    try {
      const body = batchBody(live.map((item) => item.json));
      response = await this.#http.send("POST", "/events/batch", { body, keepalive });
      if (response.ok) {
        answer = (await response.json()) as BatchAnswer;
      } else if (RETRYABLE_STATUSES.has(response.status)) {
        const retryAfter = retryAfterMs(response.headers.get("Retry-After"), this.#settings.now());
        await response.body?.cancel();
        return retryAfter === undefined ? { kind: "retry" } : { kind: "retry", retryAfter };
      } else if ((response.status === 413 || response.status === 422) && live.length > 1) {
        await response.body?.cancel();
        return { kind: "split" };
      } else {
        const problem = await readProblem(response);
        for (const item of live) {
          this.#settle(item, { eventId: item.eventId, outcome: "failed", problem });
        }
        return { kind: "done" };
      }
    } catch {
      // No answer, or an answer cut short: nothing is known, so the same batch goes again.
      return { kind: "retry" };
    }
    const missing: Problem = {
      type: "about:blank",
      title: "No result",
      status: response.status,
      detail: "The batch answer has no result for this event.",
    };
    const results = new Map(answer.results.map((result) => [result.index, result]));
    live.forEach((item, index) => {
      this.#settle(item, fateOf(item.eventId, results.get(index), missing));
    });
    return { kind: "done" };
  }

  #settle(item: Item, fate: Fate): void {
    if (!this.#pending.delete(item)) {
      return;
    }
    item.settle(fate);
    if ("event" in fate) {
      this.#stats.delivered += 1;
    } else if ("problem" in fate) {
      const { eventId, userId } = item;
      this.#settings.onError({ eventId, userId, outcome: fate.outcome, problem: fate.problem });
    }
    this.#changed();
  }

  /** While the page is hidden, storage follows every change (once per task, however many). */
  #changed(): void {
    if (!this.#hidden || this.#store === undefined || this.#persistScheduled) {
      return;
    }
    this.#persistScheduled = true;
    queueMicrotask(() => {
      this.#persistScheduled = false;
      if (this.#hidden) {
        this.#persist();
      }
    });
  }

  #persist(): void {
    if (this.#store === undefined) {
      return;
    }
    const pending = [...this.#pending.values()].map(({ eventId, userId, json }) => ({
      eventId,
      userId,
      json,
    }));
    const kept = this.#store.save(pending);
    if (kept < pending.length) {
      this.#settings.onWarning(
        `Event Log client: storage took ${kept} of the ${pending.length} unsent events; ` +
          "the others are lost if the page does not come back.",
      );
    }
  }

  #onHidden(): void {
    // `visibilitychange` and then `pagehide` on unload: storage follows every change from the
    // first on, and the second sends only what was queued since.
    if (!this.#hidden) {
      this.#hidden = true;
      this.#persist();
    }
    const budget = KEEPALIVE_BUDGET_BYTES - this.#keepaliveBytesInFlight;
    const lengths = keepaliveBatches(
      this.#queue.map((item) => item.bytes),
      budget,
      this.#settings.batchSize,
    );
    for (const length of lengths) {
      const batch = this.#queue.splice(0, length);
      const bytes = batchBodyBytes(batch.map((item) => item.bytes));
      this.#keepaliveBytesInFlight += bytes;
      void this.#attempt(batch, true).then((result) => {
        this.#keepaliveBytesInFlight -= bytes;
        if (result.kind !== "done") {
          // Still here (the page was only hidden): back to the queue, for the usual retries.
          this.#queue.unshift(...batch.filter((item) => this.#pending.has(item)));
          this.#pump();
        }
      });
    }
  }

  #onShown(): void {
    this.#hidden = false;
    this.#store?.clear();
  }
}
