"""Cold-start cost of the Lambda handler: importing its module, then building the app.

Each figure is measured in a fresh interpreter (as a new Lambda container would), several times;
the median is printed. Stores are not opened (they need the network); what is timed is the
Python work every cold start pays before the first request.
"""

import re
import statistics
import subprocess
import sys

RUNS = 5

IMPORT_ONLY = "import gateway.lambda_handler"
BUILD_APP = (
    "import time; t = time.perf_counter(); import gateway.lambda_handler; "
    "from gateway.app import create_app; from gateway.settings import Settings; "
    "create_app(Settings()); print(time.perf_counter() - t)"
)


def python(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code], capture_output=True, text=True, check=True
    )


def import_profile() -> tuple[float, list[tuple[float, str]]]:
    """Total import time of the handler module, and the packages that cost the most of it."""
    by_package: dict[str, float] = {}
    total = 0.0
    for line in python(IMPORT_ONLY, "-X", "importtime").stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if not match:
            continue
        own, cumulative, name = int(match.group(1)) / 1e6, int(match.group(2)) / 1e6, match[3]
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + own
        if name == "gateway.lambda_handler":
            total = cumulative
    heaviest = sorted(((seconds, name) for name, seconds in by_package.items()), reverse=True)
    return total, heaviest[:10]


def main() -> None:
    totals, builds = [], []
    for _ in range(RUNS):
        total, heaviest = import_profile()
        totals.append(total)
        builds.append(float(python(BUILD_APP).stdout))
    print(f"python {sys.version.split()[0]}, median of {RUNS} fresh interpreters")
    print(f"import gateway.lambda_handler: {statistics.median(totals) * 1000:.0f} ms")
    print(f"import + create_app(): {statistics.median(builds) * 1000:.0f} ms")
    print("import time by package (last run, own time):")
    for seconds, name in heaviest:
        print(f"  {seconds * 1000:7.0f} ms  {name}")


if __name__ == "__main__":
    main()
