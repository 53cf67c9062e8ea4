"""Cold-start cost of the Lambda handler, against a floor measured in the same run.

The floor is a bare FastAPI + Mangum "hello world": what any handler of this stack pays. Each
figure is the median of several fresh interpreters (as new Lambda containers are); the ratio
to the floor is what to compare between machines and runs, since this machine's timings are
noisy. Stores are not opened (they need the network): what is timed is the Python work every
cold start pays before the first request.

With the artifact `sam build` made (`make lambda-build`), the same is measured on it as Lambda
runs it: Python 3.12, files dated 1980-01-01 as SAM's zip dates them, nothing written back.
"As built" uses the hash-checked bytecode the build compiles; "stale" is what pip's
timestamp-checked bytecode amounted to (every module compiled at every cold start).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = ROOT / ".aws-sam" / "build" / "ApiFunction"
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z

TIMED = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
FLOOR = (
    "from fastapi import FastAPI; from mangum import Mangum; app = FastAPI(); "
    "app.get('/health')(lambda: {'status': 'ok'}); handler = Mangum(app, lifespan='off')"
)
HANDLER = "import gateway.entrypoints.lambda_handler"
BUILD_APP = (
    "import gateway.entrypoints.lambda_handler; from gateway.app import create_app; "
    "from gateway.settings import Settings; create_app(Settings())"
)
# What the first /graphql request adds, once per container (REST requests never pay it).
GRAPHQL = (
    "from gateway.assets import OfflineAssets; from gateway.graphql.router import "
    "EventLogGraphQLRouter; EventLogGraphQLRouter(OfflineAssets())"
)


def seconds(python: str, code: str, *, path: Path | None = None, prelude: str = "") -> float:
    """One fresh interpreter's time for `code` (after `prelude`, untimed)."""
    env = {**os.environ}
    if path is not None:
        env |= {"PYTHONPATH": str(path), "PYTHONDONTWRITEBYTECODE": "1"}
    finished = subprocess.run(
        [python, "-c", f"{prelude}\n{TIMED.format(code=code)}"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=path or ROOT,
    )
    return float(finished.stdout.splitlines()[-1])


def median_ms(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs)) * 1000


def import_profile() -> list[tuple[float, str]]:
    """The packages that cost the most of the handler's import (own time, one run)."""
    by_package: dict[str, float] = {}
    profile = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", HANDLER], capture_output=True, text=True
    )
    for line in profile.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if match:
            package = match.group(3).split(".")[0]
            by_package[package] = by_package.get(package, 0.0) + int(match.group(1)) / 1e6
    return sorted(((s, name) for name, s in by_package.items()), reverse=True)[:8]


def checkout(runs: int) -> None:
    python = sys.executable
    floor = median_ms(runs, lambda: seconds(python, FLOOR))
    handler = median_ms(runs, lambda: seconds(python, HANDLER))
    build = median_ms(runs, lambda: seconds(python, BUILD_APP))
    graphql = median_ms(runs, lambda: seconds(python, GRAPHQL, prelude=BUILD_APP))
    print(f"python {sys.version.split()[0]} (this checkout), median of {runs} interpreters")
    print(f"  floor: FastAPI + Mangum hello world  {floor:6.0f} ms")
    print(
        f"  import gateway.entrypoints.lambda_handler"
        f"        {handler:6.0f} ms  ({handler / floor:.2f}x)"
    )
    print(f"  import + create_app()                {build:6.0f} ms  ({build / floor:.2f}x)")
    print(f"  first /graphql request builds        {graphql:6.0f} ms  (once, GraphQL only)")
    print("  import time by package (own time, one run):")
    for own, name in import_profile():
        print(f"    {own * 1000:6.0f} ms  {name}")


def lambda_python() -> str | None:
    found = shutil.which("python3.12", path=os.environ.get("PATH"))
    probe = subprocess.run(
        [found or "python3.12", "-c", "import sys; print(sys.executable)"],
        env={**os.environ, "PYENV_VERSION": "3.12"},
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def unzipped_copy(folder: Path, *, stale: bool) -> Path:
    task = folder / ("stale" if stale else "built")
    shutil.copytree(ARTIFACT, task)
    if stale:
        for cache in task.rglob("__pycache__"):
            shutil.rmtree(cache)
    for path in [task, *task.rglob("*")]:
        os.utime(path, (ZIP_EPOCH, ZIP_EPOCH), follow_symlinks=False)
    return task


def artifact(runs: int) -> None:
    python = lambda_python()
    if not ARTIFACT.is_dir() or python is None:
        print("\n(no artifact or no Python 3.12: `make lambda-build` to measure the artifact)")
        return
    with tempfile.TemporaryDirectory(prefix="var-task-") as folder:
        built = unzipped_copy(Path(folder), stale=False)
        stale = unzipped_copy(Path(folder), stale=True)
        floor = median_ms(runs, lambda: seconds(python, FLOOR, path=built))
        as_built = median_ms(runs, lambda: seconds(python, HANDLER, path=built))
        recompiled = median_ms(runs, lambda: seconds(python, HANDLER, path=stale))
    print(f"\nthe sam build artifact, Python 3.12, files dated 1980, median of {runs}")
    print(f"  floor: FastAPI + Mangum hello world  {floor:6.0f} ms")
    print(
        f"  import gateway.entrypoints.lambda_handler"
        f"        {as_built:6.0f} ms  ({as_built / floor:.2f}x)"
    )
    print(
        f"  ... with stale bytecode (before)     {recompiled:6.0f} ms  ({recompiled / floor:.2f}x)"
    )


def rows(runs: int = 5) -> list[str]:
    """The suite's rows: the handler's import against the floor, here and as built for Lambda."""
    from bench.harness import line

    python = sys.executable
    floor = median_ms(runs, lambda: seconds(python, FLOOR))
    handler = median_ms(runs, lambda: seconds(python, HANDLER))
    found = [
        line(
            "cold start: import gateway.entrypoints.lambda_handler "
            f"(Python {sys.version.split()[0]})",
            f"{handler:,.0f} ms, median of {runs} interpreters",
            f"FastAPI + Mangum hello world: {floor:,.0f} ms",
            handler / floor,
        )
    ]
    lambda_python_found = lambda_python()
    if ARTIFACT.is_dir() and lambda_python_found is not None:
        with tempfile.TemporaryDirectory(prefix="var-task-") as folder:
            built = unzipped_copy(Path(folder), stale=False)
            artifact_floor = median_ms(
                runs, lambda: seconds(lambda_python_found, FLOOR, path=built)
            )
            as_built = median_ms(runs, lambda: seconds(lambda_python_found, HANDLER, path=built))
        found.append(
            line(
                "cold start: the sam build artifact (Python 3.12, files dated 1980)",
                f"{as_built:,.0f} ms, median of {runs}",
                f"the same floor in the artifact: {artifact_floor:,.0f} ms",
                as_built / artifact_floor,
            )
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    checkout(runs)
    artifact(runs)


if __name__ == "__main__":
    main()
