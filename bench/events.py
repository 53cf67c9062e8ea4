"""The events every benchmark sends, in one place: a page view as a browser reports it (about
ten keys of details with a nested object, decimals, a list and a boolean, a timestamp with an
offset; about 0.6 KB of JSON), and a large document near the details size limit.

wrk makes the requests in Lua, so the shape is written once here, as Python, and turned into
the Lua that fills in its varying parts (eventId, userId, timestamp, a number). Every eventId
carries this run's id and the number of the wrk run that sent it (`numbered`, which
`harness.wrk` applies to every script it runs), so no request of any round of any run re-sends
an id another stored: a write case creates what it claims, and what each answer says is
checked (`wrk_checks`).
"""

import json
import secrets
from itertools import count
from typing import Any

from schema.limits import DEFAULT_MAX_DETAILS_BYTES

RUN_ID = secrets.token_hex(4)
_wrk_runs = count(1)
_WRK_RUN = "@@WRK_RUN@@"

# Placeholders the Lua fills in: strings inside their quotes, numbers replacing theirs.
_ID, _USER, _TIME, _N = "@@ID@@", "@@USER@@", "@@TIME@@", "@@N@@"


def page_view(event_id: str, user_id: str, timestamp: str, n: int | str) -> dict[str, Any]:
    """One event as a client sends it."""
    return {
        "eventId": event_id,
        "userId": user_id,
        "eventType": "page_view",
        "timestamp": timestamp,
        "details": {
            "page": "/pricing",
            "referrer": "https://www.example.com/search?q=event+log&page=2",
            "durationMs": n,
            "scrollDepth": 0.75,
            "price": 19.90,
            "currency": "EUR",
            "loggedIn": True,
            "tags": ["pricing", "annual", "promo-2026"],
            "viewport": {"width": 1280, "height": 720, "devicePixelRatio": 1.5},
            "experiment": {"name": "checkout-v2", "variant": "B", "weight": 0.5},
        },
    }


def large_document(event_id: str, user_id: str, timestamp: str, n: int | str) -> dict[str, Any]:
    """A page view whose details are near the default size limit (a cart of many items)."""
    event = page_view(event_id, user_id, timestamp, n)
    item = {"sku": "SKU-000000", "name": "A product with a longish name", "qty": 2, "price": 9.99}
    per_item = len(json.dumps(item, separators=(",", ":"))) + 1
    items = (DEFAULT_MAX_DETAILS_BYTES * 9 // 10) // per_item
    event["details"]["cart"] = [dict(item, sku=f"SKU-{i:06d}") for i in range(items)]
    return event


def timestamp(n: int) -> str:
    """A time of 24 November 2026 that moves on with `n` (a millisecond each)."""
    seconds, millis = divmod(n % 86_400_000, 1000)
    return (
        f"2026-11-24T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        f".{millis:03d}+01:00"
    )


def _lua_expression(event: dict[str, Any]) -> str:
    """The Lua concatenation that spells `event` as compact JSON with its placeholders filled
    from the Lua locals `id`, `user`, `time` and `n`."""
    text = json.dumps(event, separators=(",", ":"))
    parts: list[str] = []
    rest = text
    fills = {f'"{_N}"': "n", _ID: "id", _USER: "user", _TIME: "time"}
    while rest:
        found = [(rest.find(key), key) for key in fills if key in rest]
        if not found:
            parts.append(_lua_string(rest))
            break
        at, key = min(found)
        if at:
            parts.append(_lua_string(rest[:at]))
        parts.append(fills[key])
        rest = rest[at + len(key) :]
    return " .. ".join(parts)


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def _event_lua(shape: Any) -> str:
    """wrk's Lua: `event()` returns a new event of `shape`, its eventId never sent before."""
    return f"""
local counter = 0
threads = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
local function event()
  counter = counter + 1
  local n = counter
  local id = string.format("{RUN_ID}-{_WRK_RUN}-4%03x-8000-%012x", tid, n)
  local user = "bench-" .. (n % 1000)
  local ms = (tid * 1000003 + n) % 86400000
  local s = math.floor(ms / 1000)
  local time = string.format("2026-11-24T%02d:%02d:%02d.%03d+01:00",
    math.floor(s / 3600), math.floor(s / 60) % 60, s % 60, ms % 1000)
  return {_lua_expression(shape(_ID, _USER, _TIME, _N))}
end
"""


def numbered(script: str) -> str:
    """`script` with the number of a wrk run of its own: the eventIds it makes are new."""
    return script.replace(_WRK_RUN, f"{next(_wrk_runs):04x}")


def wrk_checks(expected_status: int, body_has: str | None = None) -> str:
    """wrk's Lua that counts every answer's status, and the answers whose body holds
    `body_has`, and prints them at the end for `harness.wrk` to check."""
    needle = "nil" if body_has is None else _lua_string(body_has)
    return f"""
statuses = {{}}
matched = 0
local needle = {needle}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if needle ~= nil and string.find(body, needle, 1, true) then matched = matched + 1 end
end
function done(summary, latency, requests)
  local total = {{}}
  local hits = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
    hits = hits + thread:get("matched")
  end
  for status, n in pairs(total) do io.write(string.format("STATUS %d %d\\n", status, n)) end
  io.write(string.format("MATCHED %d\\n", hits))
  io.write("EXPECTED {expected_status} {0 if body_has is None else 1}\\n")
end
"""


_NO_THREADS = """
threads = {}
function setup(thread)
  table.insert(threads, thread)
end
"""


def posting(path: str, shape: Any = page_view) -> str:
    """wrk's script: one new event of `shape` per request to `path`, each answer 201."""
    return (
        _event_lua(shape)
        + wrk_checks(201)
        + f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  return wrk.format(nil, "{path}", nil, event())
end
"""
    )


def posting_batches(size: int) -> str:
    """wrk's script: a batch of `size` new events per request, every one answered created."""
    return (
        _event_lua(page_view)
        + wrk_checks(200, body_has=f'"counts":{{"created":{size},')
        + f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  local events = {{}}
  for i = 1, {size} do events[i] = event() end
  return wrk.format(nil, "/events/batch", nil, '{{"events":[' .. table.concat(events, ",") .. ']}}')
end
"""
    )


def sending(method: str, body: object | None, expected_status: int) -> str:
    """wrk's script: the same request to the URL wrk is given every time (a replay, a page, a
    query), each answer `expected_status`."""
    script = _NO_THREADS + wrk_checks(expected_status) + f'wrk.method = "{method}"\n'
    if body is not None:
        script += 'wrk.headers["Content-Type"] = "application/json"\n'
        script += f"wrk.body = {_lua_string(json.dumps(body, separators=(',', ':')))}\n"
    return script
