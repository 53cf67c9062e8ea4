"""Authentication with a dev token: `make run AUTH=dev`'s banner, then a request without a
token, with user-42's, and for someone else's events."""

import json
from collections.abc import Mapping

from scripts.video.stack import Server, Shell, short_token
from scripts.video.terminal import Line, Step

# Recorded with the token here; the batch segment replays it.
EVENT: dict[str, object] = {
    "eventId": "5e1f0c3a-7d2b-4c8e-9f60-a1b2c3d4e5f6",
    "userId": "user-42",
    "eventType": "signup",
    "timestamp": "2026-11-24T09:00:00Z",
    "details": {"plan": "team", "seats": 5},
}

# What `make run AUTH=dev` runs (the video starts it on a free port).
START = "EVENTLOG_AUTH=dev python -m gateway   # make run AUTH=dev"


def post(body: Mapping[str, object], path: str = "/events") -> str:
    return (
        f'curl -X POST $API{path} -H "Authorization: Bearer $TOKEN" '
        f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'"
    )


def authentication_steps(server: Server, shell: Shell) -> list[Step]:
    banner = [Line("output", short_token(line, server.token)) for line in server.banner]
    return [
        Step([
            Line("header", "\x1b[1mAuthentication: make run AUTH=dev\x1b[0m"),
            Line("blank", ""),
            Line("command", f"\x1b[36m$ {START}\x1b[0m"),
            *banner,
            Line("note", "With AUTH=dev, the server starts a token issuer of its own on "
                 "loopback and prints a token for user-42."),
        ]),
        Step([
            Line("header", "\x1b[1mEvery operation needs a bearer token\x1b[0m"),
            *shell.call(401, "curl $API/events/user-42"),
            Line("note", "Without a token: 401."),
            *shell.call(201, post(EVENT)),
            Line("note", "With user-42's token, user-42 records an event."),
            *shell.call(403, "curl $API/events/user-7 -H \"Authorization: Bearer $TOKEN\""),
            Line("note", "Another user's events are 403: one access rule, in schema/access.py, "
                 "for both doors."),
        ]),
    ]  # fmt: skip
