"""Batch recording: one `POST /events/batch`, one outcome per event, in request order."""

import json

from scripts.video.auth import EVENT, post
from scripts.video.stack import Shell
from scripts.video.terminal import Line, Step

BATCH = {
    "events": [
        {
            "eventId": "0b5e7a10-2c4d-4e6f-8a9b-0c1d2e3f4a01",
            "userId": "user-42",
            "eventType": "click",
            "timestamp": "2026-11-24T09:05:00Z",
            "details": {"button": "upgrade"},
        },
        EVENT,
        EVENT | {"eventType": "purchase"},
        {"userId": "user-42", "eventType": "click", "timestamp": "2026-11-24T09:06:00"},
        EVENT | {"eventId": "0b5e7a10-2c4d-4e6f-8a9b-0c1d2e3f4a05", "userId": "user-7"},
    ]
}


# What the narration says the batch above answers.
EXPECTED_COUNTS = {"created": 1, "replayed": 1, "conflict": 1, "invalid": 1, "forbidden": 1}


def batch_steps(shell: Shell) -> list[Step]:
    answer = shell.call(200, post(BATCH, "/events/batch"))
    counts = json.loads(next(line.ansi for line in answer if line.kind == "output"))["counts"]
    if counts != EXPECTED_COUNTS:
        raise SystemExit(f"POST /events/batch counted {counts}, the narration {EXPECTED_COUNTS}")
    return [
        Step([
            Line("header", "\x1b[1mBatch recording: POST /events/batch\x1b[0m"),
            *answer,
            Line("note", "Five events, one outcome each, in request order: created, replayed, "
                 "conflict, invalid with its problem, and forbidden for another user's event."),
            Line("note", "Each goes through the same rules and write protocol as a single POST."),
        ]),
    ]  # fmt: skip
