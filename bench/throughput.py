"""The API's own cost against anchors measured in the same run (`make bench-http`, and part of
`make bench`), each a pair of wrk runs alternated over rounds:

- `POST /events` and `GET /health` over in-memory store doubles, against bare FastAPI doing the
  comparable thing (a pydantic-validated echo answering 201; a dict answering 200);
- a GraphQL page of 20 events, without and with details, against the REST page of 20 (doubles);
- the embedded default (`make run`: SQLite and the embedded DynamoDB) against the same app on a
  SQLite file and dynalite, for the page of 20 and for `POST /events`, with its errors and
  timeouts.

Printed, never asserted: figures vary with the machine and its load, ratios much less.
"""

import json
import uuid

from bench.harness import (
    CONNECTIONS,
    DURATION,
    ROUNDS,
    TABLE_HEAD,
    Figures,
    Summary,
    bench_server,
    dynalite,
    dynalite_env,
    embedded_server,
    line,
    post_json,
    posting_new_events,
    wrk,
)

USER = "bench-user"
SEEDED = 100

NEW_EVENTS = posting_new_events("/events")


def graphql_script(details: bool) -> str:
    fields = "eventId userId eventType timestamp receivedAt" + (" details" if details else "")
    query = f'{{ events(userId: "{USER}", first: 20) {{ nodes {{ {fields} }} }} }}'
    body = json.dumps({"query": query})
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )


def seed(base: str) -> None:
    events = [
        {
            "eventId": str(uuid.uuid4()),
            "userId": USER,
            "eventType": "page_view",
            "timestamp": f"2026-11-01T00:{n // 60:02d}:{n % 60:02d}Z",
            "details": {"page": f"/p/{n}", "durationMs": n, "price": "19.90"},
        }
        for n in range(SEEDED)
    ]
    post_json(f"{base}/events/batch", {"events": events})


def alternate(
    case: tuple[str, str | None], anchor: tuple[str, str | None]
) -> tuple[Summary, Summary]:
    """(url, script) pairs, run one after the other for ROUNDS rounds."""
    measured: list[Figures] = []
    anchors: list[Figures] = []
    for _ in range(ROUNDS):
        measured.append(wrk(case[0], script=case[1]))
        anchors.append(wrk(anchor[0], script=anchor[1]))
    return Summary(measured), Summary(anchors)


BLOCKING = posting_new_events("/blocking/events")


def own_cost() -> list[str]:
    rows = []
    with bench_server("bare") as bare, bench_server("memory") as api:
        seed(api)
        post, blocking = alternate(
            (f"{api}/events", NEW_EVENTS), (f"{bare}/blocking/events", BLOCKING)
        )
        rows.append(
            line(
                "POST /events, in-memory doubles",
                post.figure,
                "bare FastAPI POST, sync (one worker thread, as a store write)",
                post.rps / blocking.rps,
                ">= 0.6x",
            )
        )
        rows.append(line("  anchor: bare FastAPI sync POST (pydantic echo, 201)", blocking.figure))
        _, echo = alternate((f"{api}/events", NEW_EVENTS), (f"{bare}/events", NEW_EVENTS))
        rows.append(
            line(
                "  POST /events against bare FastAPI async POST (no I/O, no thread)",
                post.figure,
                echo.figure,
                post.rps / echo.rps,
            )
        )
        health, bare_health = alternate((f"{api}/health", None), (f"{bare}/health", None))
        rows.append(
            line(
                "GET /health",
                health.figure,
                "bare FastAPI async GET",
                health.rps / bare_health.rps,
                ">= 0.8x",
            )
        )
        rows.append(line("  anchor: bare FastAPI GET /health", bare_health.figure))
        page = (f"{api}/events/{USER}?limit=20", None)
        for details, target in ((False, ">= 0.7x"), (True, ">= 0.6x")):
            graphql, rest = alternate((f"{api}/graphql", graphql_script(details)), page)
            shown = "with" if details else "without"
            rows.append(
                line(
                    f"GraphQL page of 20, {shown} details",
                    graphql.figure,
                    "REST page of 20",
                    graphql.rps / rest.rps,
                    target,
                )
            )
        rows.append(line("  anchor: REST GET /events/{u}?limit=20, in-memory doubles", rest.figure))
    return rows


def embedded() -> list[str]:
    rows = []
    with (
        dynalite() as endpoint,
        bench_server("stores", **dynalite_env(endpoint)) as reference,
        embedded_server() as default,
    ):
        seed(default)
        seed(reference)
        page = f"/events/{USER}?limit=20"
        got, anchor = alternate((default + page, None), (reference + page, None))
        rows.append(
            line(
                "make run: GET /events/{u}?limit=20",
                got.figure,
                "SQLite + dynalite",
                got.rps / anchor.rps,
                ">= 0.5x, 0 errors, 0 timeouts",
            )
        )
        rows.append(line("  anchor: SQLite + dynalite, GET ?limit=20", anchor.figure))
        got, anchor = alternate(
            (f"{default}/events", NEW_EVENTS), (f"{reference}/events", NEW_EVENTS)
        )
        rows.append(
            line(
                "make run: POST /events",
                got.figure,
                "SQLite + dynalite",
                got.rps / anchor.rps,
                "0 errors, 0 timeouts",
            )
        )
    # Where Node.js is missing, make run falls back to moto in its own process: shown, not a
    # target (it is the old default).
    with embedded_server(PATH="/nonexistent") as fallback:
        seed(fallback)
        moto = Summary([wrk(fallback + page) for _ in range(ROUNDS)])
        rows.append(
            line(
                "  make run without Node.js (moto in the API's process), GET ?limit=20", moto.figure
            )
        )
    return rows


def main() -> list[str]:
    return own_cost() + embedded()


if __name__ == "__main__":
    print(f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} rounds of {DURATION} each, one uvicorn worker")
    print(TABLE_HEAD)
    print("\n".join(main()))
