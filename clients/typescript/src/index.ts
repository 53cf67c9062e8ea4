/**
 * @eventlog/client: record events from a page or a Node.js service with `track`, read them back
 * page by page, erase a user's history, and query GraphQL with typed documents.
 */
export {
  type ClientOptions,
  createClient,
  EventLogClient,
  type GraphQLError,
  type GraphQLResponse,
  type ListOptions,
  type TrackOptions,
} from "./client.js";
export type {
  BatchAnswer,
  BatchResult,
  Details,
  ErasureAnswer,
  Event,
  EventInput,
  EventPage,
  FieldError,
} from "./contract.js";
export {
  EventDocument,
  type EventQuery,
  type EventQueryVariables,
  EventsPageDocument,
  type EventsPageQuery,
  type EventsPageQueryVariables,
  RecordEventsDocument,
  type RecordEventsMutation,
  type RecordEventsMutationVariables,
  TypedDocumentString,
} from "./generated/graphql.js";
export type { components, operations, paths } from "./generated/openapi.js";
export type { TokenProvider } from "./http.js";
export { NetworkError, type Problem, ProblemError, problemCode } from "./problem.js";
export type { RetryPolicy } from "./retry.js";
export type { KeyValueStorage } from "./storage.js";
export type { DeliveryError, Fate } from "./fates.js";
export type { Stats } from "./tracker.js";
