"""`make bench`: every figure of bench/, one table, each against its anchor measured in the same
run (bare FastAPI, REST for GraphQL, SQLite + dynalite for the embedded default, the first page
for deep pages, single POSTs for batches, a hello world for the cold start, the same app with
metrics off for metrics' cost).

BENCH_ROUNDS (3), BENCH_DURATION (5s) and BENCH_CONNECTIONS (32) set the wrk runs; the smoke
run in `make test` uses 1 round of 1 s. The machine and its load go with the table: ratios, not
requests per second, are what compare between runs.
"""

import os
import platform
import sys
import time

from bench import batch, cold_start, deep_pages, metrics_overhead, throughput
from bench.harness import CONNECTIONS, DURATION, ROUNDS, TABLE_HEAD


def main() -> None:
    began = time.monotonic()
    runs = int(os.environ.get("BENCH_COLD_RUNS", "5"))
    rows = throughput.main() + batch.main() + deep_pages.main() + cold_start.rows(runs)
    rows += metrics_overhead.main()
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
        f"wrk -t2 -c{CONNECTIONS} (batches -c{batch.CONNECTIONS}), {ROUNDS} rounds of "
        f"{DURATION} each, one uvicorn worker; load average {os.getloadavg()[0]:.2f} at the end"
    )
    print(TABLE_HEAD)
    print("\n".join(rows))
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
