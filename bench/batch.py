"""Events per second through `POST /events/batch` (100 events a request) against single
`POST /events`, in the same run (`make bench-batch`, and part of `make bench`):

- over in-memory store doubles: the API's own cost per event (parsing, rules, the write
  protocol, JSON), without any store round trip;
- over a SQLite file and dynalite: with the round trips a batch saves (one commit instead of
  100, DynamoDB claims 16 at a time).

Every event has an eventId of its own, as a client that may retry sends it. Printed, never
asserted: the target is a batch rate at least 10x the single rate.
"""

from bench.harness import (
    NEW_EVENTS_LUA,
    ROUNDS,
    TABLE_HEAD,
    Summary,
    bench_server,
    dynalite,
    dynalite_env,
    line,
    posting_new_events,
    wrk,
)

BATCH_SIZE = 100
CONNECTIONS = 16

SINGLE = posting_new_events("/events")
BATCH = (
    NEW_EVENTS_LUA
    + f"""
function request()
  local events = {{}}
  for i = 1, {BATCH_SIZE} do events[i] = event() end
  local body = '{{"events": [' .. table.concat(events, ",") .. ']}}'
  return wrk.format(nil, "/events/batch", nil, body)
end
"""
)


def measure(base: str) -> tuple[Summary, Summary]:
    singles, batches = [], []
    for _ in range(ROUNDS):
        singles.append(wrk(f"{base}/events", script=SINGLE, connections=CONNECTIONS))
        batches.append(wrk(f"{base}/events/batch", script=BATCH, connections=CONNECTIONS))
    return Summary(singles), Summary(batches)


def report(stores: str, single: Summary, batch: Summary) -> list[str]:
    per_event = (BATCH_SIZE * batch.rps) / single.rps
    events = f"{BATCH_SIZE * batch.rps:,.0f} events/s ({batch.rps:,.1f} batches/s); " + (
        f"{batch.errors} errors, {batch.timeouts} timeouts"
    )
    return [
        line(
            f"POST /events/batch of {BATCH_SIZE}, {stores}",
            events,
            f"single POSTs: {single.rps:,.0f} events/s",
            per_event,
            ">= 10x",
        )
    ]


def main() -> list[str]:
    lines = []
    with bench_server("memory") as base:
        lines += report("in-memory doubles", *measure(base))
    with (
        dynalite() as endpoint,
        bench_server("stores", **dynalite_env(endpoint)) as base,
    ):
        lines += report("SQLite + dynalite", *measure(base))
    return lines


if __name__ == "__main__":
    print(f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} rounds each, one uvicorn worker")
    print(TABLE_HEAD)
    print("\n".join(main()))
