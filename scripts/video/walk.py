"""The terminal walk: `scripts/demo.sh` run for real, its output cut into steps at its headers.

The demo narrates itself (each step's header and the lines it says after the answers), so the
video reads out what the demo prints. `NOTES` adds a sentence where the screen says it better
than the demo's text; each is keyed by the start of a header, and a key that matches no header
stops the build, so a changed demo is noticed rather than narrated wrongly.
"""

import os
import subprocess
import sys

from scripts.video.config import ROOT
from scripts.video.terminal import Kind, Line, Step

NOTES = {
    "4. Bad input": [
        "Four problems, one answer: the user ID's pattern, the missing event type, a time "
        "without an offset, and a number with more digits than DynamoDB keeps.",
    ],
    "7. DynamoDB stops": [
        "Readiness says which store is down. The write waits no longer than its timeouts.",
    ],
}
# The banner names ports and temporary paths: said in words instead.
SPOKEN = {
    "Event Log API demo": [
        "First, the terminal walk that make demo runs, on a stack of its own: the API, "
        "metadata in SQLite, and the DynamoDB emulator as a separate process it can pause.",
    ],
}


def run_demo() -> str:
    """demo.sh's output (no pauses: the video sets its own pace); fails if any step does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTLOG_")}
    result = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=env | {"DEMO_PAUSE": "0", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout


def kind_of(ansi: str) -> Kind:
    if not ansi.strip():
        return "blank"
    if ansi.startswith("\x1b[1m"):
        return "header"
    if ansi.startswith("\x1b[36m$ "):
        return "command"
    if ansi.startswith("\x1b[33m→ "):
        return "status"
    if ansi.startswith("  "):
        return "say"
    return "output"


def parse(output: str) -> list[Step]:
    steps: list[Step] = []
    for ansi in output.splitlines():
        line = Line(kind_of(ansi), ansi)
        if line.kind == "header":
            steps.append(Step([line]))
        elif steps and not (line.kind == "blank" and steps[-1].lines[-1].kind == "blank"):
            steps[-1].lines.append(line)
    for step in steps:
        while step.lines[-1].kind == "blank":
            step.lines.pop()
    return steps


def narrated(steps: list[Step]) -> list[Step]:
    """The steps with the video's notes and spoken banners attached."""
    for key in NOTES.keys() | SPOKEN.keys():
        if not any(step.title.startswith(key) for step in steps):
            raise SystemExit(f"scripts/video/walk.py: no demo step starts with {key!r}")
    for step in steps:
        for key, notes in NOTES.items():
            if step.title.startswith(key):
                step.lines += [Line("note", note) for note in notes]
        for key, spoken in SPOKEN.items():
            if step.title.startswith(key):
                step.spoken = spoken
    return steps
