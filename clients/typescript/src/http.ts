/**
 * Requests to the API: the URL under the base URL, the bearer token from the application's
 * `getToken` (asked again once, for a fresh token, when the API answers 401), and the retries
 * of `retry.ts`. The token is asked for at every request and held only while it is sent.
 */
import { NetworkError, ProblemError, readProblem } from "./problem.js";
import {
  RETRYABLE_STATUSES,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
  sleep,
} from "./retry.js";

/** The application's token source (an OIDC library's `getAccessToken`): `refresh` is true when
 * the API refused the last token, so a cached one should be renewed. Answer quickly from a
 * cache when you can: on page unload there is no time for a network round trip. */
export type TokenProvider = (context: {
  refresh: boolean;
}) => string | null | undefined | PromiseLike<string | null | undefined>;

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpSettings {
  baseUrl: string;
  fetch: Fetch;
  getToken: TokenProvider | undefined;
  retry: RetryPolicy;
  random: () => number;
  now: () => number;
}

export interface RequestOptions {
  query?: URLSearchParams;
  body?: string;
  keepalive?: boolean;
  accept?: string;
  signal?: AbortSignal;
}

/** A path segment, encoded: user ids may hold `@`, `+`, `|`, `:` and `=`. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

export class Http {
  readonly #settings: HttpSettings;

  constructor(settings: HttpSettings) {
    this.#settings = settings;
  }

  url(path: string, query?: URLSearchParams): string {
    const base = this.#settings.baseUrl.replace(/\/+$/, "");
    const search = query?.toString() ?? "";
    return search === "" ? `${base}${path}` : `${base}${path}?${search}`;
  }

  /** One request, and once more with a fresh token if the first is answered 401. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const first = await this.#fetch(method, path, options, false);
    if (first.status !== 401 || this.#settings.getToken === undefined) {
      return first;
    }
    await first.body?.cancel();
    return this.#fetch(method, path, options, true);
  }

  /**
   * `send`, repeated while the answer is retryable, at most `policy.maxAttempts` times in all.
   * Answers the first answer that is not retryable, or the last one; throws NetworkError when
   * the last attempt got no answer.
   */
  async sendWithRetries(
    method: string,
    path: string,
    options: RequestOptions = {},
    onRetry?: () => void,
  ): Promise<Response> {
    const { retry: policy, random, now } = this.#settings;
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt + 1 >= policy.maxAttempts;
      let response: Response;
      try {
        response = await this.send(method, path, options);
      } catch (error) {
        if (options.signal?.aborted || last) {
          throw options.signal?.aborted ? error : new NetworkError(error);
        }
        onRetry?.();
        await sleep(retryDelayMs(attempt, undefined, policy, random), options.signal);
        continue;
      }
      if (!RETRYABLE_STATUSES.has(response.status) || last) {
        return response;
      }
      const retryAfter = retryAfterMs(response.headers.get("Retry-After"), now());
      await response.body?.cancel();
      onRetry?.();
      await sleep(retryDelayMs(attempt, retryAfter, policy, random), options.signal);
    }
  }

  /** `sendWithRetries`, then the JSON body of a 2xx; a ProblemError for any other answer. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.sendWithRetries(method, path, options);
    if (!response.ok) {
      throw new ProblemError(await readProblem(response));
    }
    return (await response.json()) as T;
  }

  async #fetch(
    method: string,
    path: string,
    options: RequestOptions,
    refresh: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
    const token = await this.#settings.getToken?.({ refresh });
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      init.body = options.body;
    }
    if (options.keepalive) {
      init.keepalive = true;
    }
    if (options.signal !== undefined) {
      init.signal = options.signal;
    }
    return this.#settings.fetch(this.url(path, options.query), init);
  }
}
