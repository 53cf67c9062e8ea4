"""`make bench`: every figure of bench/, one table, each row with its anchor measured in the same
run, its target and whether the run met it (bare FastAPI's async echo for POST, REST for
GraphQL, the same app on SQLite + dynalite for the embedded default, the first page for deep
pages, single POSTs for batches, a FastAPI + Mangum hello world for the cold start, the same
app with metrics off for metrics' cost).

Every write sends new, realistic events and every answer is checked (bench/events.py): a case
whose answers are not what it claims to measure stops the suite.

BENCH_ROUNDS (3), BENCH_DURATION (5s) and BENCH_CONNECTIONS (32) set the wrk runs; BENCH_SMOKE=1
is the smoke run of `make test`, seconds long (bench/harness.py). The date, the machine and its
load go with the table: ratios, not requests per second, are what compare between runs.
"""

import os
import platform
import sys
import time
from datetime import UTC, datetime

from bench import batch, cold_start, deep_pages, metrics_overhead, throughput
from bench.events import RUN_ID
from bench.harness import CONNECTIONS, DURATION, ROUNDS, SMOKE, SMOKE_ANSWERS, TABLE_HEAD, knob


def main() -> None:
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    runs = int(knob("BENCH_COLD_RUNS", "5", "1"))
    rows = throughput.main() + batch.main() + deep_pages.main() + cold_start.rows(runs)
    rows += metrics_overhead.main()
    runs_of = (
        f"{SMOKE_ANSWERS} answers a run (BENCH_SMOKE=1: a smoke run, its figures say nothing of "
        "speed)"
        if SMOKE
        else f"{ROUNDS} rounds of {DURATION} each"
    )
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, run {RUN_ID}; {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; wrk -t{min(2, CONNECTIONS)} "
        f"-c{CONNECTIONS} (batches -c{batch.CONNECTIONS}), {runs_of}, one uvicorn worker; load "
        f"average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    )
    print(TABLE_HEAD)
    print("\n".join(rows))
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
