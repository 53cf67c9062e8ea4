/**
 * How queued events are cut into `POST /events/batch` bodies. Events are serialized once, when
 * tracked, and a body is `{"events":[` + the events joined by commas + `]}`, so its size in bytes
 * is known before it is built.
 */

/** The server's bound on events per batch (docs/rest.md, Limits). */
export const MAX_BATCH_EVENTS = 500;

/**
 * What browsers let a page have in flight with `fetch(..., {keepalive: true})`, all such requests
 * together: the Fetch standard refuses a keepalive request once the bodies of the page's
 * keepalive requests in flight would exceed 64 KiB.
 */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024;

const ENVELOPE_BYTES = '{"events":[]}'.length;

/** The bytes of a batch body holding events of these serialized sizes. */
export function batchBodyBytes(sizes: readonly number[]): number {
  if (sizes.length === 0) {
    return ENVELOPE_BYTES;
  }
  return ENVELOPE_BYTES + sizes.reduce((sum, size) => sum + size, 0) + sizes.length - 1;
}

/** The body of a batch of serialized events. */
export function batchBody(serialized: readonly string[]): string {
  return `{"events":[${serialized.join(",")}]}`;
}

/** How many of the oldest events go in the next batch: as many as fit in `maxBytes` and
 * `maxEvents`, and at least one (an event bigger than `maxBytes` goes alone, and the server
 * judges it). */
export function nextBatchLength(
  sizes: readonly number[],
  maxBytes: number,
  maxEvents: number,
): number {
  let bytes = ENVELOPE_BYTES - 1;
  let length = 0;
  for (const size of sizes) {
    if (length === maxEvents || (length > 0 && bytes + size + 1 > maxBytes)) {
      break;
    }
    bytes += size + 1;
    length += 1;
  }
  return length;
}

/**
 * The keepalive batches for page unload: consecutive runs of the oldest events, each at most
 * `maxEvents`, whose bodies together fit in `budget` bytes. Returns each batch's length; the
 * events after them (the first that does not fit, and every later one) stay queued.
 */
export function keepaliveBatches(
  sizes: readonly number[],
  budget: number,
  maxEvents: number,
): number[] {
  const lengths: number[] = [];
  let spent = 0;
  let start = 0;
  while (start < sizes.length) {
    const remaining = budget - spent;
    const length = nextBatchLength(sizes.slice(start, start + maxEvents), remaining, maxEvents);
    const bytes = batchBodyBytes(sizes.slice(start, start + length));
    if (length === 0 || bytes > remaining) {
      break;
    }
    lengths.push(length);
    spent += bytes;
    start += length;
  }
  return lengths;
}
