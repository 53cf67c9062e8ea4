"""The benchmarks keep running: `make bench`'s suite, and `make bench-load`, in their smoke mode
(BENCH_SMOKE=1: every wrk run on one connection, ended after a few answers; the in-process
cases at their smallest), seconds each. Nothing here asserts a timing (figures are printed,
never tested); what is checked is that every case runs, checks its answers and prints its row,
against the anchor it names, with its target and a verdict."""

import os
import re
import subprocess
import sys

from tests.docs import ROOT


def run(*module: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EVENTLOG_", "BENCH_"))
    } | {"BENCH_SMOKE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", *module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_suite_prints_every_case_with_its_anchor_target_and_verdict() -> None:
    printed = run("bench.suite")
    rows = {
        line.split(" | ")[0].strip("| ").strip(): line.strip("| ").split(" | ")
        for line in printed.splitlines()
        if line.startswith("| ")
    }
    expected = {
        "POST /events, in-memory doubles": ("bare FastAPI async POST", ">= 0.6x"),
        "GET /health": ("bare FastAPI async GET", ">= 0.9x"),
        "GraphQL page of 20 (edges, cursors, pageInfo), without details": (
            "REST page of 20",
            ">= 0.6x",
        ),
        "GraphQL page of 20 (edges, cursors, pageInfo), with details": (
            "REST page of 20",
            ">= 0.6x",
        ),
        "make run: GET /events/{u}?limit=20": ("SQLite + dynalite", ">= 0.5x, 0 errors"),
        "make run: POST /events": ("SQLite + dynalite", "0 errors, 0 timeouts"),
        "POST /events/batch of 10, in-memory doubles": ("single POSTs", ">= 10x"),
        "POST /events/batch of 10, make run's stores (SQLite + dynalite)": (
            "single POSTs",
            ">= 5x",
        ),
        "page of 20 at cursor depth 1,980 of 2,000 events (SQLite)": ("first page", "<= 1.5x"),
    }
    for case, (anchor, target) in expected.items():
        assert case in rows, printed
        _, figure, shown_anchor, ratio, shown_target, verdict = rows[case][:6]
        assert "answers checked" in figure or "ms" in figure, rows[case]
        assert anchor in shown_anchor and ratio.endswith("x"), rows[case]
        assert shown_target.startswith(target) and verdict in ("met", "**not met**"), rows[case]
    metrics = {case: row for case, row in rows.items() if case.startswith("metrics on, ")}
    assert {
        "metrics on, POST /events (doubles)",
        "metrics on, batch of 100 (doubles)",
        "metrics on, POST /events (SQLite + dynalite)",
    } <= set(metrics), printed
    for row in metrics.values():
        assert "metrics off" in row[2] and row[5] in ("met", "**not met**", "unresolved"), row
    cold = [row for case, row in rows.items() if case.startswith("cold start: Lambda's init")]
    assert cold and cold[0][4] == "<= 1.5x", printed
    assert re.search(r"UTC, run [0-9a-f]{8};.*BENCH_SMOKE=1.*load average", printed), printed


def test_the_load_script_runs_against_the_embedded_server() -> None:
    printed = run("bench.load")
    assert "store calls per request" in printed
    assert "GET /health" in printed and "POST /events (new events)" in printed


def test_the_profile_runs_every_case_and_shows_where_the_time_goes() -> None:
    printed = run("bench.cpu_profile", "--requests", "10", "--top", "5")
    headings = [line for line in printed.splitlines() if line.startswith("== ")]
    assert [line.split(":")[0] for line in headings] == [
        "== post",
        "== post-rich",
        "== batch",
        "== page",
        "== graphql",
        "== health",
    ], printed
    assert all("µs CPU per request" in line for line in headings)
    assert "ratio" in headings[0] and "ratio" in headings[4], headings
    assert printed.count("ncalls  tottime") == 6


def test_every_command_docs_performance_md_names_is_a_make_target_and_its_knobs_are_read() -> None:
    text = (ROOT / "docs" / "performance.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    named = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", text))
    assert {"bench", "bench-profile", "bench-http", "bench-batch"} <= named
    assert [name for name in named if not re.search(rf"^{name}:", makefile, re.M)] == []
    knobs = set(re.findall(r"\b(BENCH_[A-Z_]+)=", text))
    assert knobs and all(knob in (ROOT / "bench" / "harness.py").read_text() for knob in knobs)


def test_no_script_folder_holds_a_module_named_as_the_standard_librarys() -> None:
    """`python bench/setup.py` puts bench/ first on sys.path: a bench/http.py was imported as
    the standard library's `http` and broke `make bench-setup` and `make bench-load`."""
    for folder in ("bench", "scripts", "scripts/video"):
        names = {path.stem for path in (ROOT / folder).glob("*.py")}
        assert names & set(sys.stdlib_module_names) == set(), folder
