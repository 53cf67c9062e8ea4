import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  KEEPALIVE_BUDGET_BYTES,
  batchBody,
  batchBodyBytes,
  keepaliveBatches,
  nextBatchLength,
} from "../src/batching.js";

const encoder = new TextEncoder();
// Serialized events from 2 bytes to well over the budget, and runs of none to 1500.
const sizes = fc.array(
  fc.oneof(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 2, max: 80_000 })),
  {
    maxLength: 1500,
  },
);
const maxEvents = fc.oneof(fc.constant(1), fc.constant(500), fc.integer({ min: 1, max: 600 }));
const budget = fc.oneof(
  fc.constant(0),
  fc.constant(KEEPALIVE_BUDGET_BYTES),
  fc.integer({ min: 0, max: 200_000 }),
);

describe("batch bodies", () => {
  it("are as many bytes as batchBodyBytes says", () => {
    fc.assert(
      fc.property(fc.array(fc.json({ maxDepth: 2 }), { maxLength: 20 }), (values) => {
        const serialized = values.map((value) => JSON.stringify({ value }));
        const body = batchBody(serialized);
        const sizesOf = serialized.map((text) => encoder.encode(text).length);
        expect(encoder.encode(body).length).toBe(batchBodyBytes(sizesOf));
        expect(JSON.parse(body)).toEqual({ events: values.map((value) => ({ value })) });
      }),
    );
  });
});

describe("nextBatchLength", () => {
  it("takes the longest run of the oldest events that fits, and at least one", () => {
    fc.assert(
      fc.property(
        sizes,
        fc.integer({ min: 13, max: 2_000_000 }),
        maxEvents,
        (all, maxBytes, most) => {
          const length = nextBatchLength(all, maxBytes, most);
          if (all.length === 0) {
            expect(length).toBe(0);
            return;
          }
          expect(length).toBeGreaterThanOrEqual(1);
          expect(length).toBeLessThanOrEqual(Math.min(most, all.length));
          if (length > 1) {
            expect(batchBodyBytes(all.slice(0, length))).toBeLessThanOrEqual(maxBytes);
          }
          const longer = all.slice(0, length + 1);
          if (length < all.length && length < most) {
            expect(batchBodyBytes(longer)).toBeGreaterThan(maxBytes);
          }
        },
      ),
    );
  });

  it("sends an event bigger than the limit alone", () => {
    expect(nextBatchLength([2_000_000, 10], 1_000_000, 100)).toBe(1);
  });
});

describe("keepaliveBatches", () => {
  it("sends a prefix of the queue, in order, whose bodies together fit the budget", () => {
    fc.assert(
      fc.property(sizes, budget, maxEvents, (all, limit, most) => {
        const lengths = keepaliveBatches(all, limit, most);
        let start = 0;
        let spent = 0;
        for (const length of lengths) {
          expect(length).toBeGreaterThanOrEqual(1);
          expect(length).toBeLessThanOrEqual(most);
          spent += batchBodyBytes(all.slice(start, start + length));
          start += length;
        }
        expect(spent).toBeLessThanOrEqual(limit);
        // Maximal: the next event fits neither in a batch of its own nor at the end of the last.
        if (start < all.length) {
          const next = all[start] as number;
          expect(spent + batchBodyBytes([next])).toBeGreaterThan(limit);
          const last = lengths.at(-1);
          if (last !== undefined && last < most) {
            const grown = all.slice(start - last, start + 1);
            const without = batchBodyBytes(all.slice(start - last, start));
            expect(spent - without + batchBodyBytes(grown)).toBeGreaterThan(limit);
          }
        }
      }),
    );
  });

  it("sends nothing when nothing is queued or no budget is left", () => {
    expect(keepaliveBatches([], KEEPALIVE_BUDGET_BYTES, 100)).toEqual([]);
    expect(keepaliveBatches([100], 0, 100)).toEqual([]);
    expect(keepaliveBatches([KEEPALIVE_BUDGET_BYTES], KEEPALIVE_BUDGET_BYTES, 100)).toEqual([]);
  });

  it("splits 1,000 small events into batches of the batch size within 64 KiB", () => {
    const lengths = keepaliveBatches(new Array(1000).fill(100), KEEPALIVE_BUDGET_BYTES, 100);
    // A batch of 100 events of 100 bytes is 10,112 bytes: six fit in 65,536, and 48 more events.
    expect(lengths).toEqual([100, 100, 100, 100, 100, 100, 48]);
  });
});
