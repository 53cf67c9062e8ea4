import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";

import { formatMicroseconds, monotonicTimestamps, randomUuid } from "../src/clock.js";

const RFC3339_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("timestamps", () => {
  it("strictly increase, whatever the wall clock does, and keep its millisecond", () => {
    // Up to a second before the API's last instant, so that the bumps stay in year 9999.
    const millis = fc.integer({ min: 0, max: 253_402_300_798_000 });
    fc.assert(
      fc.property(fc.array(millis, { minLength: 1, maxLength: 300 }), (readings) => {
        const clock = readings[Symbol.iterator]();
        const next = monotonicTimestamps(() => clock.next().value as number);
        const stamps = readings.map(() => next());
        for (const stamp of stamps) {
          expect(stamp).toMatch(RFC3339_MICROS);
        }
        const instants = stamps.map((stamp) => stamp.slice(0, -1));
        for (let index = 1; index < instants.length; index += 1) {
          expect(instants[index]! > instants[index - 1]!).toBe(true);
        }
        // Never behind the clock's own reading.
        expect(Date.parse(stamps[0]!)).toBe(readings[0]);
      }),
    );
  });

  it("give a thousand events of one millisecond a microsecond each", () => {
    const next = monotonicTimestamps(() => Date.parse("2026-11-24T09:30:00.250Z"));
    const stamps = Array.from({ length: 1001 }, () => next());
    expect(stamps[0]).toBe("2026-11-24T09:30:00.250000Z");
    expect(stamps[999]).toBe("2026-11-24T09:30:00.250999Z");
    expect(stamps[1000]).toBe("2026-11-24T09:30:00.251000Z");
  });

  it("are formatted at the ends of the API's range", () => {
    expect(formatMicroseconds(0, 0)).toBe("1970-01-01T00:00:00.000000Z");
    expect(formatMicroseconds(253_402_300_799_999, 999)).toBe("9999-12-31T23:59:59.999999Z");
  });
});

describe("eventIds", () => {
  it("are Web Crypto's random UUIDs", () => {
    expect(randomUuid()).toMatch(UUID_V4);
    expect(new Set(Array.from({ length: 1000 }, randomUuid)).size).toBe(1000);
  });

  it("are made from getRandomValues where randomUUID is missing (an insecure page)", () => {
    const webCrypto = globalThis.crypto;
    vi.stubGlobal("crypto", { getRandomValues: webCrypto.getRandomValues.bind(webCrypto) });
    const ids = Array.from({ length: 200 }, randomUuid);
    for (const id of ids) {
      expect(id).toMatch(UUID_V4);
    }
    expect(new Set(ids).size).toBe(200);
  });

  it("say what to do where there is no Web Crypto at all (Node.js 18 without its flag)", () => {
    vi.stubGlobal("crypto", undefined);
    expect(() => randomUuid()).toThrow(/pass createClient\(\{randomUUID\}\)/);
  });
});
