"""@eventlog/client (clients/typescript, built into its dist/) in Chromium: a page on a second
origin records and reads events against `python -m gateway` (embedded stores, AUTH=dev, CORS for
that origin). 1,000 events tracked while DynamoDB is stopped, then resumed, arrive exactly once,
in order per user; a page closed mid-queue sends what fits in its keepalive budget and keeps the
rest, which the next page of the origin sends. docs/client.md's two pages (the package loaded as
it is, and bundled by esbuild) record what they say against `make run`."""

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, TextIO

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.docs import DOCUMENTED_URL, ROOT, browser_blocks
from tests.e2e.conftest import RunningServer, serve
from tests.factories import unique_user

CLIENT = ROOT / "clients" / "typescript"
# Where a page that installed the client from npm finds it, as docs/client.md's import map says.
PACKAGE_URL_PATH = "/node_modules/@eventlog/client/"
HANG_GUARD_SECONDS = 30
KEEPALIVE_BUDGET_BYTES = 64 * 1024

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>front end</title>
<script type="importmap">
  {"imports": {"@eventlog/client": "/node_modules/@eventlog/client/dist/index.js"}}
</script>
<script type="module">
import { createClient } from "@eventlog/client";
window.createClient = createClient;
</script></head><body></body></html>"""

START = """([api, token, options]) => {
  window.errors = [];
  window.client = createClient({
    baseUrl: api, getToken: () => token, onError: (error) => window.errors.push(error), ...options,
  });
}"""

# Events numbered from `first`, spread over the users in turn; answers [userId, eventId] pairs.
TRACK = """([users, first, count, text]) => Array.from({length: count}, (_, index) => {
  const userId = users[(first + index) % users.length];
  return [userId, client.track("step", {n: first + index, text}, {userId})];
})"""

FLUSH = "async () => (await client.flush()).map((fate) => fate.outcome)"

READ = """async (users) => {
  const read = {};
  for (const user of users) {
    read[user] = [];
    for await (const page of client.listEvents(user, {limit: 100})) {
      read[user].push(...page.events.map((event) => event.eventId));
    }
  }
  return read;
}"""

# What the client keeps for an API in this origin's localStorage: [eventId, body] pairs.
KEPT = """(api) => Object.keys(localStorage)
  .filter((key) => key.startsWith(`eventlog-client:${api}:`))
  .flatMap((key) => JSON.parse(localStorage.getItem(key)).events.map((e) => [e.eventId, e.json]))"""


class Origin:
    """A second origin on 127.0.0.1: pages by path, and the built client under
    /node_modules/@eventlog/client/ (its package.json and dist/ only)."""

    def __init__(self, pages: dict[str, tuple[str, bytes]]) -> None:
        self.pages = pages

        def answer(handler: BaseHTTPRequestHandler, content_type: str, body: bytes) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Cache-Control", "no-store")
            handler.end_headers()
            handler.wfile.write(body)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path in pages:
                    answer(self, *pages[self.path])
                    return
                relative = self.path.removeprefix(PACKAGE_URL_PATH)
                file = (CLIENT / relative).resolve()
                if (
                    self.path.startswith(PACKAGE_URL_PATH)
                    and (file.is_relative_to(CLIENT / "dist") or file == CLIENT / "package.json")
                    and file.is_file()
                ):
                    answer(self, "text/javascript; charset=utf-8", file.read_bytes())
                    return
                self.send_error(404)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Origin":
        assert (CLIENT / "dist" / "index.js").is_file(), (
            "the client is not built: make client (or npm run build in clients/typescript)"
        )
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class AccessLog:
    """The server's access lines as it writes them (a thread reads its stderr), so that a test
    can wait for an answer the browser does not report, such as a closed page's keepalive
    request's."""

    def __init__(self, stderr: IO[str]) -> None:
        self.lines: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stderr,), daemon=True).start()

    def _read(self, stderr: TextIO) -> None:
        for line in stderr:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("logger") == "eventlog.access":
                with self._changed:
                    self.lines.append(record)
                    self._changed.notify_all()

    def mark(self) -> int:
        with self._changed:
            return len(self.lines)

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool], since: int) -> dict[str, Any]:
        def found() -> list[dict[str, Any]]:
            return [line for line in self.lines[since:] if wanted(line)]

        with self._changed:
            assert self._changed.wait_for(found, timeout=HANG_GUARD_SECONDS), self.lines[since:]
            return found()[0]


def batch_answered(status: int | None = None) -> Callable[[dict[str, Any]], bool]:
    def wanted(line: dict[str, Any]) -> bool:
        return line["path"] == "/events/batch" and status in (None, line["status"])

    return wanted


def dynalite_pid(server: RunningServer) -> int:
    """The server's DynamoDB emulator: dynalite, a child process of its own."""
    tasks = Path(f"/proc/{server.process.pid}/task")
    for task in tasks.iterdir():
        for child in (task / "children").read_text().split():
            if b"dynalite" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    raise AssertionError("the server runs no dynalite")


@pytest.fixture(scope="module")
def origin() -> Iterator[Origin]:
    with Origin({"/": ("text/html; charset=utf-8", PAGE)}) as served:
        yield served


@pytest.fixture(scope="module")
def open_api(origin: Origin) -> Iterator[tuple[RunningServer, AccessLog]]:
    """`make run`, with CORS for the origin: what docs/client.md's pages are written for."""
    for server in serve(EVENTLOG_CORS_ALLOW_ORIGINS=origin.url):
        assert server.process.stderr is not None
        yield server, AccessLog(server.process.stderr)


@pytest.fixture(scope="module")
def api(origin: Origin) -> Iterator[tuple[RunningServer, AccessLog]]:
    """`make run AUTH=dev` with CORS for the origin, a 5 s deadline per request (of which the
    row write keeps the last second) and Retry-After 1 s: an outage costs seconds, not minutes."""
    for server in serve(
        EVENTLOG_AUTH="dev",
        EVENTLOG_CORS_ALLOW_ORIGINS=origin.url,
        EVENTLOG_REQUEST_TIMEOUT_SECONDS="5",
        EVENTLOG_RETRY_AFTER_SECONDS="1",
    ):
        assert server.banner[3].endswith("(dynalite)"), server.banner
        assert server.process.stderr is not None
        yield server, AccessLog(server.process.stderr)


def token(server: RunningServer, subject: str, scope: str = "") -> str:
    """A token of the server's dev issuer (its banner's ISSUER)."""
    exported = dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in server.banner
        if "export " in line
    )
    answer = httpx.get(f"{exported['ISSUER']}/token", params={"sub": subject, "scope": scope})
    return str(answer.json()["access_token"])


def open_page(browser_context: Any, origin: Origin) -> Page:
    page: Page = browser_context.new_page()
    page.goto(origin.url + "/")
    page.wait_for_function("window.createClient !== undefined")
    return page


def test_events_tracked_through_a_store_outage_arrive_once_each_in_order_per_user(
    browser: Browser, origin: Origin, api: tuple[RunningServer, AccessLog]
) -> None:
    server, log = api
    users = [unique_user() for _ in range(4)]
    context = browser.new_context()
    page = open_page(context, origin)
    # A backend's token (events:write, events:read): one page records for several users.
    backend = token(server, "front-end-test", "events:write events:read")
    options = {"batchSize": 50, "flushIntervalMs": 250, "retry": {"baseDelayMs": 200}}
    page.evaluate(START, [server.url, backend, options])
    tracked = page.evaluate(TRACK, [users, 0, 300, "before"])
    assert page.evaluate(FLUSH) == ["created"] * 300

    dynalite = dynalite_pid(server)
    since = log.mark()
    os.kill(dynalite, signal.SIGSTOP)
    try:
        tracked += page.evaluate(TRACK, [users, 300, 700, "during"])
        # The API answers 503 while DynamoDB is silent, and the page's client retries.
        log.wait_for(batch_answered(503), since)
        page.wait_for_function("client.stats.retries >= 1")
    finally:
        os.kill(dynalite, signal.SIGCONT)

    outcomes = page.evaluate(FLUSH)
    assert len(outcomes) == 700
    assert set(outcomes) <= {"created", "replayed"}
    assert page.evaluate("window.errors") == []
    assert page.evaluate("client.stats") == {
        "queued": 0,
        "pending": 0,
        "dropped": 0,
        "retries": page.evaluate("client.stats.retries"),
        "delivered": 1000,
    }
    read = page.evaluate(READ, users)
    for user in users:
        assert read[user] == [event for owner, event in reversed(tracked) if owner == user]
    assert sum(len(events) for events in read.values()) == 1000
    context.close()


def test_a_page_closed_mid_queue_sends_what_fits_and_the_next_page_sends_the_rest(
    browser: Browser, origin: Origin, api: tuple[RunningServer, AccessLog]
) -> None:
    server, log = api
    user = unique_user()
    their_token = token(server, user)
    context = browser.new_context()
    page = open_page(context, origin)
    # Nothing is sent before the page closes: a batch is 500 events, the interval 10 minutes.
    page.evaluate(START, [server.url, their_token, {"batchSize": 500, "flushIntervalMs": 600_000}])
    # Events of about 2 KB: 400 of them are some 870 KB, of which one keepalive batch carries 30.
    tracked = [event for _, event in page.evaluate(TRACK, [[user], 0, 400, "x" * 2000])]
    since = log.mark()
    page.close()

    # Every event was kept, in order, before the page went away.
    reopened = open_page(context, origin)
    kept = reopened.evaluate(KEPT, server.url)
    assert [event for event, _ in kept] == tracked
    # The keepalive batch: the oldest events whose body fits in 64 KiB.
    assert log.wait_for(batch_answered(), since)["status"] == 200
    listed = httpx.get(
        f"{server.url}/events/{user}",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {their_token}"},
    ).json()["events"]
    sent = len(listed)
    assert [event["eventId"] for event in reversed(listed)] == tracked[:sent]
    sizes = [len(body.encode()) for _, body in kept]
    assert len('{"events":[]}') + sum(sizes[:sent]) + sent - 1 <= KEEPALIVE_BUDGET_BYTES
    assert len('{"events":[]}') + sum(sizes[: sent + 1]) + sent > KEEPALIVE_BUDGET_BYTES

    # The next page's client sends everything kept: the server replays what the keepalive stored.
    reopened.evaluate(START, [server.url, their_token, {}])
    assert reopened.evaluate(FLUSH) == ["replayed"] * sent + ["created"] * (400 - sent)
    assert reopened.evaluate(READ, [user]) == {user: list(reversed(tracked))}
    assert reopened.evaluate(KEPT, server.url) == []
    context.close()


def bundled(main: str, build: str, work: Path) -> bytes:
    """docs/client.md's module, bundled by its esbuild command (the client's own esbuild, with the
    package installed in node_modules/ as npm would)."""
    (work / "src").mkdir()
    (work / "src" / "main.js").write_text(main)
    (work / "node_modules" / "@eventlog").mkdir(parents=True)
    (work / "node_modules" / "@eventlog" / "client").symlink_to(CLIENT)
    esbuild = CLIENT / "node_modules" / ".bin" / "esbuild"
    command = build.strip().replace("npx esbuild", str(esbuild))
    subprocess.run(["bash", "-c", command], cwd=work, check=True, capture_output=True)
    return (work / "public" / "app.js").read_bytes()


def test_the_pages_of_docs_client_md_record_a_view_and_a_click(
    browser: Browser, origin: Origin, open_api: tuple[RunningServer, AccessLog], tmp_path: Path
) -> None:
    server, log = open_api
    plain, main, build, loader = (
        text.replace(DOCUMENTED_URL, server.url) for _, text in browser_blocks("docs/client.md")
    )
    html = "text/html; charset=utf-8"
    origin.pages["/pricing"] = (html, plain.encode())
    origin.pages["/checkout"] = (html, loader.encode())
    origin.pages["/app.js"] = ("text/javascript", bundled(main, build, tmp_path))
    for path in ("/pricing", "/checkout"):
        # A context each: the second page would also send what the first kept (replays).
        context = browser.new_context()
        page = context.new_page()
        # The page's timers stand still: its events can only leave when it is closed.
        page.clock.install()
        page.clock.pause_at(time.time() + 3600)
        since = log.mark()
        page.goto(origin.url + path)
        page.click("#buy")
        page.close()
        assert log.wait_for(batch_answered(), since)["status"] == 200
        listed = httpx.get(f"{server.url}/events/user-42", params={"limit": 2}).json()["events"]
        assert [(event["eventType"], event["details"]) for event in listed] == [
            ("click", {"button": "buy"}),
            ("page_view", {"page": path}),
        ]
        context.close()
