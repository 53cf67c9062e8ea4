"""Cold-start cost of the Lambda handler, against a floor measured in the same run.

The floor is a bare FastAPI + Mangum "hello world" built as a handler (import, app, Mangum):
what any handler of this stack pays. The case is what Lambda's init phase does with ours, in a
function's environment: import `gateway.entrypoints.lambda_handler`, read the settings, open the
stores (the Secrets Manager secret read from a local stand-in that answers at once, the SQL
Server engine and the DynamoDB client made) and build the app and Mangum; all but the init's
SQL Server login, which needs a server. Each figure is the median of several fresh interpreters (as
new Lambda containers are); the ratio to the floor is what to compare between machines and
runs, since this machine's timings are noisy.

With the artifact `sam build` made (`make lambda-build`), the same is measured on it as Lambda
runs it: Python 3.12, files dated 1980-01-01 as SAM's zip dates them, nothing written back.
"As built" uses the hash-checked bytecode the build compiles; "stale" is what pip's
timestamp-checked bytecode amounted to (every module compiled at every cold start).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


# Lambda's init, as `_container_handler()` runs it, but for its last step: the SQL Server login
# (`StoresOnDemand.warm`), which needs a server on the network.
INIT = (
    "import gateway.entrypoints.lambda_handler as handler; "
    "from gateway.settings import load_settings; "
    "from gateway.middleware.observability import configure_logging; "
    "from gateway.stores import StoresOnDemand; settings = load_settings(); "
    "configure_logging(settings.log_level); stores = StoresOnDemand(settings); "
    "handler.build_handler(settings, stores); stores()"
)
SECRET = {
    "username": "eventlog",
    "password": "bench-password-2026",
    "host": "db.invalid",
    "port": 1433,
    "dbname": "eventlog",
    "cursorSecret": "bench-cursor-secret-of-at-least-32-characters",
}


class _SecretsManager(BaseHTTPRequestHandler):
    """Answers every GetSecretValue with SECRET, at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"Name": "eventlog", "SecretString": json.dumps(SECRET)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@contextmanager
def lambda_environment() -> Iterator[dict[str, str]]:
    """A function's environment (as template.yaml sets it), its secret served on loopback."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SecretsManager)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": f"http://127.0.0.1:{server.server_port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "EVENTLOG_DATABASE_URL": (
                "mssql+pyodbc://@secret/eventlog?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes"
            ),
            "EVENTLOG_DATABASE_SECRET_ARN": (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:eventlog-AbCdEf"
            ),
            "EVENTLOG_DYNAMODB_ENDPOINT": "aws",
            "EVENTLOG_AWS_REGION": "us-east-1",
            "EVENTLOG_DETAILS_TABLE": "eventlog-details",
            "EVENTLOG_SQL_POOL_SIZE": "1",
            "EVENTLOG_AUTH": "jwt",
            "EVENTLOG_AUTH_ISSUER": "https://issuer.invalid/",
            "EVENTLOG_AUTH_AUDIENCE": "eventlog",
            "EVENTLOG_AUTH_JWKS_URL": "https://issuer.invalid/.well-known/jwks.json",
        }
    finally:
        server.shutdown()


def seconds(
    python: str,
    code: str,
    *,
    path: Path | None = None,
    prelude: str = "",
    extra_env: dict[str, str] | None = None,
) -> float:
    """One fresh interpreter's time for `code` (after `prelude`, untimed). Anything the code
    logs at warning or above (a store it could not open) makes the figure void."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTLOG_", "AWS_"))}
    env |= extra_env or {}
    # As Lambda runs a built artifact: from bytecode, compiled once (`medians_ms` runs the code
    # once untimed first), whatever this shell says.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
    if re.search(r'"level":\s*"(ERROR|WARNING|CRITICAL)"', finished.stderr):
        raise RuntimeError(f"the timed code could not do all its work:\n{finished.stderr}")
    return float(finished.stdout.splitlines()[-1])


def medians_ms(runs: int, *measures: Callable[[], float]) -> list[float]:
    """Each measure's median over `runs` rounds, after one untimed round (which writes the
    bytecode). The measures take turns within a round, so that a change in the machine's load
    falls on a case and its floor alike instead of on whichever ran during it."""
    for measure in measures:
        measure()
    found: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for times, measure in zip(found, measures, strict=True):
            times.append(measure())
    return [statistics.median(times) * 1000 for times in found]


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
    with lambda_environment() as env:
        floor, handler, build, graphql, init = medians_ms(
            runs,
            lambda: seconds(python, FLOOR),
            lambda: seconds(python, HANDLER),
            lambda: seconds(python, BUILD_APP),
            lambda: seconds(python, GRAPHQL, prelude=BUILD_APP),
            lambda: seconds(python, INIT, extra_env=env),
        )
    print(f"python {sys.version.split()[0]} (this checkout), median of {runs} interpreters")
    print(f"  floor: FastAPI + Mangum hello world  {floor:6.0f} ms")
    print(
        f"  import gateway.entrypoints.lambda_handler"
        f"        {handler:6.0f} ms  ({handler / floor:.2f}x)"
    )
    print(f"  import + create_app()                {build:6.0f} ms  ({build / floor:.2f}x)")
    print(f"  Lambda's init (+ settings, stores)   {init:6.0f} ms  ({init / floor:.2f}x)")
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
        floor, as_built, recompiled = medians_ms(
            runs,
            lambda: seconds(python, FLOOR, path=built),
            lambda: seconds(python, HANDLER, path=built),
            lambda: seconds(python, HANDLER, path=stale),
        )
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
    """The suite's rows: Lambda's init against the floor, here and, when `sam build` made it,
    on the artifact as Lambda runs it."""
    from bench.harness import Target, line

    found = []
    python = sys.executable
    with lambda_environment() as env:
        floor, init = medians_ms(
            runs,
            lambda: seconds(python, FLOOR),
            lambda: seconds(python, INIT, extra_env=env),
        )
        found.append(
            line(
                f"cold start: Lambda's init (import, settings, stores, app, Mangum; Python "
                f"{sys.version.split()[0]})",
                f"{init:,.0f} ms, median of {runs} interpreters",
                f"FastAPI + Mangum hello world (import, app, Mangum): {floor:,.0f} ms",
                init / floor,
                Target(1.5, at_most=True),
            )
        )
        lambda_python_found = lambda_python()
        if ARTIFACT.is_dir() and lambda_python_found is not None:
            with tempfile.TemporaryDirectory(prefix="var-task-") as folder:
                built = unzipped_copy(Path(folder), stale=False)
                artifact_floor, as_built = medians_ms(
                    runs,
                    lambda: seconds(lambda_python_found, FLOOR, path=built),
                    lambda: seconds(lambda_python_found, INIT, path=built, extra_env=env),
                )
            found.append(
                line(
                    "cold start: Lambda's init on the sam build artifact (Python 3.12, files "
                    "dated 1980)",
                    f"{as_built:,.0f} ms, median of {runs}",
                    f"the same floor in the artifact: {artifact_floor:,.0f} ms",
                    as_built / artifact_floor,
                    Target(1.5, at_most=True),
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
