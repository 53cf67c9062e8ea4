"""The API's own cost against anchors measured in the same run (`make bench-http`, and part of
`make bench`), each a pair of wrk runs alternated over rounds:

- `POST /events` over in-memory store doubles against bare FastAPI's async pydantic echo of the
  same body (the anchor the target was set against); beside it, as information, the sync-route
  echo (run in a worker thread), a large document near the size limit, and replays;
- `GET /health` against bare FastAPI's;
- a GraphQL page of 20 as a client pages (`edges { cursor node } pageInfo`), without and with
  details, against the REST page of 20; both read a server of their own holding a fixed number
  of events, so a page costs the same whatever other cases wrote;
- the embedded default (`make run`: SQLite and the embedded DynamoDB) against the same app on a
  SQLite file and dynalite, for the page of 20 and for `POST /events`.

Every event is new (bench/events.py) and every answer is checked; figures vary with the machine
and its load, ratios much less.
"""

from bench.events import large_document, page_view, posting, sending, timestamp
from bench.harness import (
    CONNECTIONS,
    DURATION,
    ROUNDS,
    TABLE_HEAD,
    Figures,
    Summary,
    Target,
    bench_server,
    clean,
    dynalite,
    dynalite_env,
    embedded_server,
    line,
    post_json,
    warm_up,
    wrk,
)

USER = "bench-reader"
SEEDED = 100
REPLAYED = page_view("00000000-0000-4000-8000-00000000a11a", USER, timestamp(0), 0)

FIELDS = "eventId userId eventType timestamp receivedAt"
PAGE_QUERY = (
    "query Page($userId: String!, $first: Int, $after: String) {{ events(userId: $userId, "
    "first: $first, after: $after) {{ edges {{ cursor node {{ {fields} }} }} "
    "pageInfo {{ hasNextPage endCursor }} }} }}"
)


def graphql_page(details: bool) -> dict[str, object]:
    """The page of 20 a client asks for."""
    fields = FIELDS + (" details" if details else "")
    return {"query": PAGE_QUERY.format(fields=fields), "variables": {"userId": USER, "first": 20}}


def seed(base: str) -> None:
    """SEEDED events of USER, the first of them REPLAYED."""
    events = [REPLAYED] + [
        page_view(f"00000000-0000-4000-8000-{n:012x}", USER, timestamp(n * 1000), n)
        for n in range(1, SEEDED)
    ]
    answer = post_json(f"{base}/events/batch", {"events": events})
    assert isinstance(answer, dict) and answer["counts"]["created"] == SEEDED, answer


def alternate(case: tuple[str, str], anchor: tuple[str, str]) -> tuple[Summary, Summary]:
    """(url, script) pairs, run one after the other for ROUNDS rounds, after a short run of
    each that warms the server up (a first GraphQL request builds the schema, say)."""
    for url, script in (case, anchor):
        warm_up(url, script)
    measured: list[Figures] = []
    anchors: list[Figures] = []
    for _ in range(ROUNDS):
        measured.append(wrk(case[0], script=case[1]))
        anchors.append(wrk(anchor[0], script=anchor[1]))
    return Summary(measured), Summary(anchors)


def writes() -> list[str]:
    rows = []
    with bench_server("bare") as bare, bench_server("memory") as api:
        post, echo = alternate(
            (f"{api}/events", posting("/events")), (f"{bare}/events", posting("/events"))
        )
        rows.append(
            line(
                "POST /events, in-memory doubles",
                post.figure,
                f"bare FastAPI async POST (pydantic echo, 201): {echo.rps:,.0f} req/s",
                post.rps / echo.rps,
                Target(0.6),
            )
        )
        _, blocking = alternate(
            (f"{api}/events", posting("/events")),
            (f"{bare}/blocking/events", posting("/blocking/events")),
        )
        rows.append(
            line(
                "  information: against bare FastAPI's sync echo (a worker thread)",
                post.figure,
                f"sync echo: {blocking.rps:,.0f} req/s",
                post.rps / blocking.rps,
            )
        )
        large, large_echo = alternate(
            (f"{api}/events", posting("/events", large_document)),
            (f"{bare}/events", posting("/events", large_document)),
        )
        rows.append(
            line(
                "  information: POST /events of a 58 KB document (near the 64 KiB limit)",
                large.figure,
                f"async echo of it: {large_echo.rps:,.0f} req/s",
                large.rps / large_echo.rps,
            )
        )
        post_json(f"{api}/events", REPLAYED)
        replays, replay_echo = alternate(
            (f"{api}/events", sending("POST", REPLAYED, 200)),
            (f"{bare}/events", posting("/events")),
        )
        rows.append(
            line(
                "  information: POST /events replaying a stored event (200)",
                replays.figure,
                f"async echo: {replay_echo.rps:,.0f} req/s",
                replays.rps / replay_echo.rps,
            )
        )
        health, bare_health = alternate(
            (f"{api}/health", sending("GET", None, 200)),
            (f"{bare}/health", sending("GET", None, 200)),
        )
        rows.append(
            line(
                "GET /health",
                health.figure,
                f"bare FastAPI async GET: {bare_health.rps:,.0f} req/s",
                health.rps / bare_health.rps,
                Target(0.9),
            )
        )
    return rows


def pages() -> list[str]:
    rows = []
    with bench_server("memory") as api:
        seed(api)
        page = (f"{api}/events/{USER}?limit=20", sending("GET", None, 200))
        for details in (False, True):
            query = graphql_page(details)
            answer = post_json(f"{api}/graphql", query)  # the first one builds the schema
            assert isinstance(answer, dict) and len(answer["data"]["events"]["edges"]) == 20
            graphql, rest = alternate((f"{api}/graphql", sending("POST", query, 200)), page)
            shown = "with" if details else "without"
            rows.append(
                line(
                    f"GraphQL page of 20 (edges, cursors, pageInfo), {shown} details",
                    graphql.figure,
                    f"REST page of 20 of {SEEDED} events: {rest.rps:,.0f} req/s",
                    graphql.rps / rest.rps,
                    Target(0.6),
                )
            )
    return rows


def embedded() -> list[str]:
    rows = []
    page = f"/events/{USER}?limit=20"
    with (
        dynalite() as endpoint,
        bench_server("stores", **dynalite_env(endpoint)) as reference,
        embedded_server() as default,
    ):
        seed(default)
        seed(reference)
        read = sending("GET", None, 200)
        got, anchor = alternate((default + page, read), (reference + page, read))
        rows.append(
            line(
                "make run: GET /events/{u}?limit=20",
                got.figure,
                f"the app on SQLite + dynalite: {anchor.rps:,.0f} req/s",
                got.rps / anchor.rps,
                Target(0.5),
                also=clean(got),
            )
        )
        got, anchor = alternate(
            (f"{default}/events", posting("/events")), (f"{reference}/events", posting("/events"))
        )
        rows.append(
            line(
                "make run: POST /events",
                got.figure,
                f"the app on SQLite + dynalite: {anchor.rps:,.0f} req/s",
                got.rps / anchor.rps,
                also=clean(got),
            )
        )
    # Where Node.js is missing, make run falls back to moto in its own process: shown, not a
    # target (it is the old default).
    with embedded_server(PATH="/nonexistent") as fallback:
        seed(fallback)
        moto = Summary(
            [wrk(fallback + page, script=sending("GET", None, 200)) for _ in range(ROUNDS)]
        )
        rows.append(
            line(
                "  information: make run without Node.js (moto in the API's process), "
                "GET ?limit=20",
                moto.figure,
            )
        )
    return rows


def main() -> list[str]:
    return writes() + pages() + embedded()


if __name__ == "__main__":
    print(f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} rounds of {DURATION} each, one uvicorn worker")
    print(TABLE_HEAD)
    print("\n".join(main()))
