"""Long runs on keep-alive connections, as a client that reuses its connection meets the API: a
batch whose body is large enough that the server pauses reading it (over uvicorn's 64 KiB
high-water mark), then single writes and reads for longer than the request timeout, with more
such batches among them."""

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import make_event, unique_user

# 20 events of 10 KB: a body of about 200 KB, three times the high-water mark, and few writes.
PAUSING_BATCH_EVENTS = 20
_PADDING = "x" * 10_000


def pausing_batch(user_id: str) -> dict[str, Any]:
    return {
        "events": [
            make_event(userId=user_id, eventId=str(uuid.uuid4()), details={"pad": _PADDING})
            for _ in range(PAUSING_BATCH_EVENTS)
        ]
    }


# The documented answers of a run's requests: 201 for a new event, 200 for a batch and a read.
DOCUMENTED_ANSWERS = {("POST /events", 201), ("POST /events/batch", 200), ("GET /events/{u}", 200)}


@dataclass
class KeepAliveRun:
    """What one connection was answered, by request kind and status, and what it stored."""

    user_id: str
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    created: set[str] = field(default_factory=set)
    listed: set[str] = field(default_factory=set)

    def assert_all_answered_as_documented(self) -> None:
        """Every answer the documented one, and every event answered `created` readable."""
        assert set(self.answers) <= DOCUMENTED_ANSWERS, self.answers
        batches = self.answers["POST /events/batch", 200]
        assert len(self.created) == (
            self.answers["POST /events", 201] + batches * PAUSING_BATCH_EVENTS
        )
        assert self.listed == self.created


def keep_alive_run(url: str, *, seconds: float, batch_every: int = 0) -> KeepAliveRun:
    """One connection: a pausing batch, then for `seconds` a single POST and a GET after
    another (and another pausing batch every `batch_every` rounds), then the user's events read
    back. Every request carries a new eventId, so each one stored shows in the final read."""
    run = KeepAliveRun(unique_user())
    with httpx.Client(base_url=url, timeout=30) as http:
        _batch(http, run)
        ends = time.monotonic() + seconds
        rounds = 0
        while time.monotonic() < ends:
            rounds += 1
            if batch_every and rounds % batch_every == 0:
                _batch(http, run)
            event = make_event(userId=run.user_id, eventId=str(uuid.uuid4()))
            posted = http.post("/events", json=event)
            run.answers["POST /events", posted.status_code] += 1
            if posted.status_code == 201:
                run.created.add(event["eventId"])
            read = http.get(f"/events/{run.user_id}", params={"limit": 5})
            run.answers["GET /events/{u}", read.status_code] += 1
        run.listed = _every_event(http, run)
    return run


def _every_event(http: httpx.Client, run: KeepAliveRun) -> set[str]:
    listed: set[str] = set()
    query: dict[str, Any] = {"limit": 1000}
    while True:
        page = http.get(f"/events/{run.user_id}", params=query)
        run.answers["GET /events/{u}", page.status_code] += 1
        if page.status_code != 200:
            return listed
        listed |= {event["eventId"] for event in page.json()["events"]}
        if page.json()["nextCursor"] is None:
            return listed
        query["cursor"] = page.json()["nextCursor"]


def _batch(http: httpx.Client, run: KeepAliveRun) -> None:
    body = pausing_batch(run.user_id)
    answer = http.post("/events/batch", json=body)
    run.answers["POST /events/batch", answer.status_code] += 1
    if answer.status_code == 200:
        run.created |= {
            result["event"]["eventId"]
            for result in answer.json()["results"]
            if result["outcome"] == "created"
        }
