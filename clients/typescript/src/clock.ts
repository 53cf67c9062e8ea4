/**
 * What the client gives each event when `track` is called: an eventId (its idempotency key) and
 * a timestamp. Timestamps have microseconds, the API's precision, and strictly increase within a
 * client, so a user's events read back (newest first, by timestamp) in the order they were
 * tracked even when many are tracked in the same millisecond.
 */

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a millisecond since the epoch and a microsecond in it. */
export function formatMicroseconds(millis: number, micros: number): string {
  return `${new Date(millis).toISOString().slice(0, -1)}${String(micros).padStart(3, "0")}Z`;
}

/** A clock of RFC 3339 timestamps that never answers the same instant twice, nor goes back:
 * within one millisecond (or while the wall clock is behind the last answer) each answer is a
 * microsecond after the one before. */
export function monotonicTimestamps(now: () => number = Date.now): () => string {
  let millis = Number.NEGATIVE_INFINITY;
  let micros = 0;
  return () => {
    const reading = Math.floor(now());
    if (reading > millis) {
      millis = reading;
      micros = 0;
    } else if (micros === 999) {
      millis += 1;
      micros = 0;
    } else {
      micros += 1;
    }
    return formatMicroseconds(millis, micros);
  };
}

/** A random (version 4) UUID from Web Crypto: `crypto.randomUUID` where the page is a secure
 * context, else built from `crypto.getRandomValues`, which every context has. */
export function randomUuid(): string {
  const crypto = globalThis.crypto as Crypto | undefined;
  if (typeof crypto?.randomUUID === "function") {
    return crypto.randomUUID();
  }
  if (typeof crypto?.getRandomValues !== "function") {
    throw new Error(
      "No Web Crypto here (Node.js 18 has it only with --experimental-global-webcrypto): " +
        "pass createClient({randomUUID}) with randomUUID from node:crypto",
    );
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
