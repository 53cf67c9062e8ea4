/**
 * What becomes of a tracked event: stored (created, or replayed from an earlier attempt),
 * refused for good (conflict, invalid, forbidden, or a batch refused whole), or dropped unsent.
 */
import type { BatchResult, Event } from "./contract.js";
import type { Problem } from "./problem.js";

/** What became of a tracked event. */
export type Fate =
  | { eventId: string; outcome: "created" | "replayed"; event: Event }
  | { eventId: string; outcome: "conflict" | "invalid" | "forbidden"; problem: Problem }
  /** The whole batch was refused with an answer that retrying cannot change (a 401 even with a
   * fresh token, a 500, a single event over the body limit). */
  | { eventId: string; outcome: "failed"; problem: Problem }
  /** Never sent: pushed out of a full queue, or discarded by `eraseUser`. */
  | { eventId: string; outcome: "dropped"; reason: "overflow" | "erased" };

/** An event the API did not store, and will not on a retry; `onError` gets one per event. */
export interface DeliveryError {
  eventId: string;
  userId: string;
  outcome: "conflict" | "invalid" | "forbidden" | "failed";
  problem: Problem;
}

/** The fate a batch answer gives an event; `problem` stands in where it gives none usable. */
export function fateOf(eventId: string, result: BatchResult | undefined, problem: Problem): Fate {
  if (result === undefined) {
    return { eventId, outcome: "failed", problem };
  }
  if ((result.outcome === "created" || result.outcome === "replayed") && result.event) {
    return { eventId, outcome: result.outcome, event: result.event };
  }
  if (result.outcome !== "created" && result.outcome !== "replayed" && result.problem) {
    return { eventId, outcome: result.outcome, problem: result.problem as Problem };
  }
  return { eventId, outcome: "failed", problem };
}
