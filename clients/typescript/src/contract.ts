/**
 * The API's request and response shapes, named: each an alias into the types generated from
 * docs/openapi.json (src/generated/openapi.ts), so a change of contract is a type error here.
 */
import type { components, paths } from "./generated/openapi.js";

type Schemas = components["schemas"];

/** An event as every read answers it. */
export type Event = Schemas["Event"];
/** One page of `GET /events/{userId}`. */
export type EventPage = Schemas["EventPage"];
/** The body of `POST /events`, and each event of `POST /events/batch`. */
export type EventInput = paths["/events"]["post"]["requestBody"]["content"]["application/json"];
/** The answer of `POST /events/batch`. */
export type BatchAnswer = Schemas["BatchAnswer"];
/** One event's fate in a batch answer. */
export type BatchResult = Schemas["BatchResult"];
/** The answer of `DELETE /events/{userId}`. */
export type ErasureAnswer = Schemas["ErasureAnswer"];
/** One rule a value broke, as `validation` problems list them. */
export type FieldError = Schemas["FieldErrorBody"];
/** The query of `GET /events/{userId}`. */
export type ListingParameters = NonNullable<
  paths["/events/{userId}"]["get"]["parameters"]["query"]
>;
/** An event's free-form JSON details. */
export type Details = NonNullable<EventInput["details"]>;
