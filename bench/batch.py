"""Events per second through `POST /events/batch` (100 events a request) against single
`POST /events`, in the same run (`make bench-batch`, and part of `make bench`):

- over in-memory store doubles: the API's own cost per event (parsing, rules, the write
  protocol, JSON), without any store round trip;
- over `make run`'s stores (a SQLite file and dynalite in its own process): with the round trips
  a batch saves (one commit instead of 100, DynamoDB claims 16 at a time).

Every event is new and realistic (bench/events.py); every single POST must answer 201 and every
batch must report all of its events created, or the case fails.
"""

from bench.events import posting, posting_batches
from bench.harness import (
    ROUNDS,
    TABLE_HEAD,
    Summary,
    Target,
    bench_server,
    clean,
    embedded_server,
    knob,
    line,
    warm_up,
    wrk,
)

BATCH_SIZE = int(knob("BENCH_BATCH_SIZE", "100", "10"))
CONNECTIONS = int(knob("BENCH_BATCH_CONNECTIONS", "16", "1"))


def measure(base: str) -> tuple[Summary, Summary]:
    warm_up(f"{base}/events", posting("/events"))
    warm_up(f"{base}/events/batch", posting_batches(BATCH_SIZE))
    singles, batches = [], []
    for _ in range(ROUNDS):
        singles.append(wrk(f"{base}/events", script=posting("/events"), connections=CONNECTIONS))
        batches.append(
            wrk(
                f"{base}/events/batch",
                script=posting_batches(BATCH_SIZE),
                connections=CONNECTIONS,
            )
        )
    return Summary(singles), Summary(batches)


def report(stores: str, target: Target, single: Summary, batch: Summary) -> list[str]:
    per_event = (BATCH_SIZE * batch.rps) / single.rps
    events = (
        f"{BATCH_SIZE * batch.rps:,.0f} events/s ({batch.rps:,.1f} batches/s, p99 "
        f"{batch.p99_ms:,.0f} ms); {batch.answers:,} batches checked, {batch.errors} socket "
        f"errors, {batch.timeouts} timeouts"
    )
    return [
        line(
            f"POST /events/batch of {BATCH_SIZE}, {stores}",
            events,
            f"single POSTs: {single.rps:,.0f} events/s",
            per_event,
            target,
            also=clean(single, batch),
        )
    ]


def main() -> list[str]:
    lines = []
    with bench_server("memory") as base:
        lines += report("in-memory doubles", Target(10), *measure(base))
    with embedded_server() as base:
        lines += report("make run's stores (SQLite + dynalite)", Target(5), *measure(base))
    return lines


if __name__ == "__main__":
    print(f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} rounds each, one uvicorn worker")
    print(TABLE_HEAD)
    print("\n".join(main()))
