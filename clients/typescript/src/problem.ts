/**
 * Errors as the API answers them: RFC 9457 problems (`application/problem+json`), and the error
 * classes the client throws. A script on another origin reads the kind of error from the body's
 * `type`; an answer that is not a problem (a proxy's page, or API Gateway's own 401) becomes one,
 * its detail taken from `WWW-Authenticate` where there is one.
 */
import type { FieldError } from "./contract.js";

const PROBLEM_TYPE_PREFIX = "urn:eventlog:problem:";

/** A problem body, with the members docs/rest.md lists (Errors). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  /** `validation` only: every offending field. */
  errors?: FieldError[];
  /** `unavailable` and `auth-unavailable` only: the store that cannot answer (`auth`: the token
   * issuer's keys). */
  store?: string;
  [member: string]: unknown;
}

/** The kind of a problem: `validation`, `conflict`, `unavailable`... (its `type` without the
 * `urn:eventlog:problem:` prefix), or the whole `type` of a problem from elsewhere. */
export function problemCode(problem: Problem): string {
  return problem.type.startsWith(PROBLEM_TYPE_PREFIX)
    ? problem.type.slice(PROBLEM_TYPE_PREFIX.length)
    : problem.type;
}

/** An error answer of the API, thrown by the reads, `eraseUser` and `graphql`. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
    this.name = "ProblemError";
    this.problem = problem;
    this.status = problem.status;
    this.code = problemCode(problem);
    this.requestId = problem.requestId;
  }
}

/** No answer at all (the network, DNS, CORS, or an aborted request), after every retry. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(`No answer from the Event Log API: ${String(cause)}`, { cause });
    this.name = "NetworkError";
  }
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) {
    return false;
  }
  const { type, status } = body as Record<string, unknown>;
  return typeof type === "string" && typeof status === "number";
}

/** The `error_description` of an RFC 6750 challenge, if it has one. */
function challengeDescription(challenge: string | null): string | undefined {
  return challenge?.match(/error_description="([^"]*)"/)?.[1];
}

/** The problem an error answer carries, or one made from what it does carry. Reads the body. */
export async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isProblem(body)) {
    return body;
  }
  const requestId = response.headers.get("X-Request-ID");
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail:
      challengeDescription(response.headers.get("WWW-Authenticate")) ??
      `The server answered ${response.status} without a problem body.`,
    ...(requestId === null ? {} : { requestId }),
  };
}
