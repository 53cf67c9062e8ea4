"""`make demo` as a user runs it: its own stack, every step answering what its narration says."""

import os
import re
import subprocess
import sys

from tests.docs import ROOT

# record, replay, conflict, validation, 4 records, 2 pages, foreign cursor, 2 GraphQL queries,
# readiness and POST during the outage, the empty listing, the retry, the listing with it.
EXPECTED_STATUSES = ["201", "200", "409", "422"] + ["201"] * 4 + ["200", "200", "400"]
EXPECTED_STATUSES += ["200", "200", "503", "503", "200", "201", "200"]


def test_the_demo_walks_through_every_step_with_the_answers_it_narrates() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTLOG_")}
    result = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=env | {"DEMO_PAUSE": "0", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert re.findall(r"^→ (\d{3})$", output, re.M) == EXPECTED_STATUSES
    assert "DynamoDB requests for that query: 0" in output
    assert "With details: 1 DynamoDB request" in output
    listings = re.findall(r'^\{"userId":"user-7","events".*$', output, re.M)
    outage_listing, retried_listing = listings[-2:]
    assert '"events":[]' in outage_listing
    assert retried_listing.count('"eventId"') == 1
