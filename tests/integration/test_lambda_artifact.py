"""The Lambda artifact as `sam build` makes it (`make lambda-build`), run as Lambda runs it:
Python 3.12, files dated 1980-01-01 as SAM's zip dates them, a read-only code folder (nothing
written back), only what was packaged on the path."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.assets import INSTALLED_MARK
from gateway.auth.dev_issuer import LocalIssuer
from tests.factories import make_event, unique_user
from tests.lambda_events import api_gateway_event

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / ".aws-sam" / "build" / "ApiFunction"
ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z: the oldest time a zip entry can carry
LAMBDA_PACKAGE_LIMIT_MB = 250  # unzipped, function and layers together


def lambda_python() -> str:
    found = subprocess.run(
        ["python3.12", "-c", "import sys; print(sys.executable)"],
        env={**os.environ, "PYENV_VERSION": "3.12"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, "Python 3.12 (Lambda's runtime) is needed for this test"
    return found.stdout.strip()


@pytest.fixture(scope="module")
def unzipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the artifact with every file dated as in the deployed zip."""
    assert (ARTIFACT / "gateway" / "entrypoints" / "lambda_handler.py").is_file(), (
        "run `make lambda-build`"
    )
    copy = tmp_path_factory.mktemp("var-task") / "task"
    shutil.copytree(ARTIFACT, copy)
    for path in [copy, *copy.rglob("*")]:
        os.utime(path, (ZIP_EPOCH, ZIP_EPOCH), follow_symlinks=False)
    return copy


def run_in_lambda_python(task: Path, code: str, stdin: str = "", **env: str) -> Any:
    """`code` in Python 3.12 with only the artifact importable, as /var/task is; it prints
    one JSON value, returned here."""
    finished = subprocess.run(
        [lambda_python(), "-I", "-c", f"import sys; sys.path.insert(0, {str(task)!r})\n{code}"],
        input=stdin,
        cwd=task,
        env={
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only: nothing is cached
            "PATH": os.environ["PATH"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.splitlines()[-1])


RECORD_COMPILES = """
import json
from importlib.machinery import SourceFileLoader
compiled = []
to_code = SourceFileLoader.source_to_code
def recording(self, data, path, *args, **kwargs):
    compiled.append(str(path))
    return to_code(self, data, path, *args, **kwargs)
SourceFileLoader.source_to_code = recording
import gateway.entrypoints.lambda_handler
print(json.dumps({"compiled": [p for p in compiled if p.startswith(sys.path[0])],
                  "imported": sorted({name.split(".")[0] for name in sys.modules}
                                     & {"strawberry", "graphql", "alembic", "moto", "uvicorn"})}))
"""


def test_a_cold_start_compiles_no_module_and_imports_no_graphql(unzipped: Path) -> None:
    """Timestamp-checked bytecode from pip is stale once SAM's zip dates the sources 1980: each
    cold start compiled every module again (3.5 s instead of 1.3 s, measured by `make bench`).
    And a REST request never pays for GraphQL's import, nor for Alembic's or an emulator's
    (docs/deployment.md: Cold start)."""
    found = run_in_lambda_python(unzipped, RECORD_COMPILES)
    assert found == {"compiled": [], "imported": []}


def test_the_artifact_holds_the_runtime_and_the_browser_files_but_no_checkout(
    unzipped: Path,
) -> None:
    top = {path.name for path in unzipped.iterdir()}
    assert {
        "gateway",
        "resolvers",
        "jobs",
        "schema",
        "persistence",
        "fastapi",
        "pyodbc.pyi",
        "assets",
    } <= top
    assert not top & {
        "tests",
        "docs",
        ".venv",
        ".venv-sam",
        ".venv-312",
        ".uv",
        "bench",
        "layers",
        ".git",
    }
    assert not [name for name in top if name.startswith(("moto", "pytest", "uvicorn"))]
    assets = sorted(
        str(path.relative_to(unzipped / "assets" / "node_modules"))
        for path in (unzipped / "assets" / "node_modules").rglob("*")
        if path.is_file() and path.name not in {"package.json", INSTALLED_MARK}
    )
    assert (unzipped / "assets" / "node_modules" / INSTALLED_MARK).is_file()
    assert assets == [
        "@graphiql/plugin-explorer/dist/index.umd.js",
        "@graphiql/plugin-explorer/dist/style.css",
        "graphiql/graphiql.min.css",
        "graphiql/graphiql.min.js",
        "js-cookie/dist/js.cookie.min.js",
        "react-dom/umd/react-dom.production.min.js",
        "react/umd/react.production.min.js",
        "redoc/bundles/redoc.standalone.js",
        "swagger-ui-dist/swagger-ui-bundle.js",
        "swagger-ui-dist/swagger-ui.css",
    ]
    size_mb = sum(path.stat().st_size for path in unzipped.rglob("*") if path.is_file()) / 2**20
    assert size_mb < LAMBDA_PACKAGE_LIMIT_MB / 2


INVOKE_EACH = """
import json
from gateway.entrypoints.lambda_handler import handler
class Context:
    function_name = "eventlog"
    aws_request_id = "artifact-test"
answers = [handler(event, Context()) for event in json.loads(sys.stdin.read())]
print(json.dumps([[a["statusCode"], a["headers"].get("content-type"), a["body"]] for a in answers]))
"""


def test_the_built_function_serves_rest_graphql_and_its_docs_under_a_base_path(
    unzipped: Path, tmp_path: Path, moto_endpoint: str, details_table: str, issuer: LocalIssuer
) -> None:
    """With tokens checked as deployed: PyJWT and cryptography's compiled wheel, as packaged."""
    user = unique_user()
    body = json.dumps(make_event(userId=user))
    token = {"authorization": f"Bearer {issuer.token(user)}"}
    json_body = {"content-type": "application/json", **token}
    html = {"accept": "text/html"}
    query = json.dumps({"query": f'{{ events(userId: "{user}") {{ nodes {{ details }} }} }}'})
    batch = json.dumps({"events": [make_event(userId=user, timestamp="2026-11-24T08:00:00Z")]})
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/eventlog/events", {"headers": json_body, "body": body}),
        ("GET", f"/eventlog/events/{user}", {"headers": token}),
        ("POST", "/eventlog/events/batch", {"headers": json_body, "body": batch}),
        ("DELETE", f"/eventlog/events/{user}", {"headers": token, "query": {"limit": "1"}}),
        ("POST", "/eventlog/graphql", {"headers": json_body, "body": query}),
        ("GET", "/eventlog/docs", {}),
        ("GET", "/eventlog/graphql", {"headers": html}),
        ("GET", "/eventlog/assets/swagger-ui-dist/swagger-ui-bundle.js", {}),
        ("GET", "/eventlog/assets/graphiql/graphiql.min.js", {}),
    ]
    events = [
        api_gateway_event("http-api-v2", method, path, **options)
        for method, path, options in requests
    ]
    answers = run_in_lambda_python(
        unzipped,
        INVOKE_EACH,
        stdin=json.dumps(events),
        EVENTLOG_DATABASE_URL=f"sqlite:///{tmp_path / 'events.db'}",
        EVENTLOG_DYNAMODB_ENDPOINT=moto_endpoint,
        EVENTLOG_DETAILS_TABLE=details_table,
        EVENTLOG_CREATE_TABLES="true",
        EVENTLOG_CURSOR_SECRET="c" * 40,
        EVENTLOG_API_BASE_PATH="/eventlog",
        EVENTLOG_AUTH="jwt",
        EVENTLOG_AUTH_ISSUER=issuer.url,
        EVENTLOG_AUTH_AUDIENCE=issuer.audience,
        EVENTLOG_AUTH_JWKS_URL=issuer.jwks_url,
    )
    statuses = [status for status, _, _ in answers]
    assert statuses == [201, 200, 200, 200, 200, 200, 200, 200, 200], answers
    assert [event["userId"] for event in json.loads(answers[1][2])["events"]] == [user]
    assert json.loads(answers[2][2])["counts"]["created"] == 1
    # The newest of the user's two events is erased: the first one is left.
    assert json.loads(answers[3][2]) == {"userId": user, "deleted": 1, "more": True}
    assert json.loads(answers[4][2])["data"]["events"]["nodes"] == [
        {"details": json.loads(body)["details"]}
    ]
    for page in (answers[5][2], answers[6][2]):
        assert "/eventlog/assets/" in page and "cdn.jsdelivr.net" not in page
    assert answers[7][1].startswith(("application/javascript", "text/javascript"))


RECONCILE = """
import json
from gateway.entrypoints.reconcile import handler
class Context:
    def get_remaining_time_in_millis(self):
        return 60_000
print(json.dumps(handler({}, Context())))
"""


def test_the_built_artifact_runs_the_scheduled_reconcile_job(
    unzipped: Path, tmp_path: Path, moto_endpoint: str, details_table: str
) -> None:
    """ReconcileFunction ships this same artifact with another handler (`sam build` builds it
    with the same recipe)."""
    summary = run_in_lambda_python(
        unzipped,
        RECONCILE,
        EVENTLOG_DATABASE_URL=f"sqlite:///{tmp_path / 'events.db'}",
        EVENTLOG_DYNAMODB_ENDPOINT=moto_endpoint,
        EVENTLOG_DETAILS_TABLE=details_table,
        EVENTLOG_CREATE_TABLES="true",
        EVENTLOG_CURSOR_SECRET="c" * 40,
        EVENTLOG_AUTH="none",
    )
    assert (summary["applied"], summary["items_scanned"], summary["complete"]) == (False, 0, True)
