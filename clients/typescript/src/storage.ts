/**
 * Events kept across page loads: what was not yet acknowledged when the page was hidden is
 * written to Web Storage (localStorage by default), and the next client on the same origin and
 * API takes it back and sends it. localStorage rather than IndexedDB: its writes are synchronous,
 * so they are done before a `pagehide` handler returns, where an IndexedDB transaction may never
 * commit. Each client writes under a key of its own, so tabs never overwrite each other; a client
 * that starts takes every key of its API, and events that two tabs both send are stored once
 * (the server replays the second by eventId).
 */

/** The part of the Web Storage interface used (localStorage and sessionStorage have it). */
export interface KeyValueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An event as queued: its id and user, and its body for the batch, serialized once. */
export interface QueuedEvent {
  eventId: string;
  userId: string;
  json: string;
}

const FORMAT_VERSION = 1;

/** The page's localStorage, if it has one that works (none in Node.js; access throws in some
 * sandboxed frames, and writes throw in some private modes). */
export function browserStorage(): KeyValueStorage | undefined {
  try {
    const storage = (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    if (storage === undefined) {
      return undefined;
    }
    const probe = "eventlog-client:probe";
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    return undefined;
  }
}

function isQueuedEvent(value: unknown): value is QueuedEvent {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const { eventId, userId, json } = value as Record<string, unknown>;
  return typeof eventId === "string" && typeof userId === "string" && typeof json === "string";
}

function readRecord(text: string | null): QueuedEvent[] {
  try {
    const record: unknown = JSON.parse(text ?? "null");
    const events = (record as { version?: unknown; events?: unknown } | null)?.events;
    if ((record as { version?: unknown }).version !== FORMAT_VERSION || !Array.isArray(events)) {
      return [];
    }
    return events.filter(isQueuedEvent);
  } catch {
    return [];
  }
}

export class PendingEvents {
  readonly #storage: KeyValueStorage;
  readonly #prefix: string;
  readonly #key: string;

  /** `scope` names the API (its base URL); `owner` this client. */
  constructor(storage: KeyValueStorage, scope: string, owner: string) {
    this.#storage = storage;
    this.#prefix = `eventlog-client:${scope}:`;
    this.#key = this.#prefix + owner;
  }

  /** Replaces this client's kept events with `events`, or with as many of the oldest as the
   * storage takes; answers how many were kept. */
  save(events: readonly QueuedEvent[]): number {
    if (events.length === 0) {
      this.clear();
      return 0;
    }
    for (let kept = events.length; kept > 0; kept = Math.floor(kept / 2)) {
      try {
        const record = { version: FORMAT_VERSION, events: events.slice(0, kept) };
        this.#storage.setItem(this.#key, JSON.stringify(record));
        return kept;
      } catch {
        // Over the quota: try with fewer.
      }
    }
    this.clear();
    return 0;
  }

  clear(): void {
    try {
      this.#storage.removeItem(this.#key);
    } catch {
      // A storage that refuses is a storage with nothing kept.
    }
  }

  /** Every event kept for this API by any client, removed from the storage, each once, in the
   * order they were tracked within each client; none from a storage that refuses to be read. */
  takeAll(): QueuedEvent[] {
    try {
      return this.#takeAll();
    } catch {
      return [];
    }
  }

  #takeAll(): QueuedEvent[] {
    const keys: string[] = [];
    for (let index = 0; index < this.#storage.length; index += 1) {
      const key = this.#storage.key(index);
      if (key?.startsWith(this.#prefix)) {
        keys.push(key);
      }
    }
    const seen = new Set<string>();
    const taken: QueuedEvent[] = [];
    for (const key of keys.sort()) {
      for (const event of readRecord(this.#storage.getItem(key))) {
        if (!seen.has(event.eventId)) {
          seen.add(event.eventId);
          taken.push(event);
        }
      }
      this.#storage.removeItem(key);
    }
    return taken;
  }
}
