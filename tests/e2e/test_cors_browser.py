"""CORS in a real browser: a page served from a second local origin records an event with a
bearer token (a preflighted fetch), reads the Location header and lists the user's events, and
reads why a token is refused (the problem body and WWW-Authenticate); the same page from an
origin the API does not allow cannot, and nothing is stored."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from gateway.app import create_app
from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from tests.api.apps import LiveServer
from tests.auth import bearer, with_issuer
from tests.factories import unique_user

# What a front end would do: record, follow Location, list. Any failure becomes a value.
PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>front end</title></head><body>
<script>
async function recordAndList(api, token, user) {
  try {
    const auth = {"Authorization": "Bearer " + token};
    const created = await fetch(api + "/events", {
      method: "POST",
      headers: {...auth, "Content-Type": "application/json", "X-Request-ID": "from-the-page"},
      body: JSON.stringify({userId: user, eventType: "page_view", details: {page: "/pricing"}}),
    });
    const event = await created.json();
    const location = created.headers.get("Location");
    const one = await fetch(api + location, {headers: auth});
    const listing = await fetch(api + "/events/" + encodeURIComponent(user), {headers: auth});
    const listed = await listing.json();
    return {
      status: created.status,
      location: location,
      requestId: created.headers.get("X-Request-ID"),
      sameEvent: (await one.json()).eventId === event.eventId,
      listed: listed.events.map((e) => e.eventId),
      eventId: event.eventId,
    };
  } catch (error) {
    return {error: String(error)};
  }
}
async function refusal(api, token) {
  try {
    const auth = {"Authorization": "Bearer " + token};
    const answer = await fetch(api + "/events/user-42", {headers: auth});
    const problem = await answer.json();
    return {
      status: answer.status,
      challenge: answer.headers.get("WWW-Authenticate"),
      type: problem.type,
      detail: problem.detail,
    };
  } catch (error) {
    return {error: String(error)};
  }
}
</script></body></html>"""


class PageServer:
    """A second origin: serves the front end's page on 127.0.0.1 at a port of its own."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(PAGE)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "PageServer":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pages() -> Iterator[tuple[PageServer, PageServer]]:
    with PageServer() as allowed, PageServer() as other:
        yield allowed, other


@pytest.fixture
def api(
    settings: Settings, issuer: LocalIssuer, pages: tuple[PageServer, PageServer]
) -> Iterator[str]:
    allowed, _ = pages
    app = create_app(with_issuer(settings, issuer, cors_allow_origins=[allowed.origin]))
    with LiveServer(app) as url:
        yield url


def run_page(browser: Browser, origin: str, api: str, token: str, user: str) -> dict[str, Any]:
    page = browser.new_page()
    try:
        page.goto(origin + "/")
        result: dict[str, Any] = page.evaluate(
            "([api, token, user]) => recordAndList(api, token, user)", [api, token, user]
        )
        return result
    finally:
        page.close()


def test_a_page_on_an_allowed_origin_records_and_lists_with_a_token(
    browser: Browser, api: str, issuer: LocalIssuer, pages: tuple[PageServer, PageServer]
) -> None:
    user = unique_user()
    result = run_page(browser, pages[0].origin, api, issuer.token(user), user)
    assert result == {
        "status": 201,
        "location": f"/events/{user}/{result['eventId']}",
        "requestId": "from-the-page",
        "sameEvent": True,
        "listed": [result["eventId"]],
        "eventId": result["eventId"],
    }


def test_the_same_page_on_another_origin_is_stopped_by_the_browser(
    browser: Browser, api: str, issuer: LocalIssuer, pages: tuple[PageServer, PageServer]
) -> None:
    user = unique_user()
    result = run_page(browser, pages[1].origin, api, issuer.token(user), user)
    assert result == {"error": "TypeError: Failed to fetch"}
    # The preflight was refused, so the POST was never sent.
    stored = httpx.get(f"{api}/events/{user}", headers=bearer(issuer.token(user))).json()
    assert stored["events"] == []


def test_a_page_reads_why_its_token_was_refused_from_the_body_and_the_challenge(
    browser: Browser, api: str, pages: tuple[PageServer, PageServer]
) -> None:
    page = browser.new_page()
    try:
        page.goto(pages[0].origin + "/")
        result = page.evaluate("([api]) => refusal(api, 'not-a-token')", [api])
    finally:
        page.close()
    assert result == {
        "status": 401,
        "challenge": (
            'Bearer realm="eventlog", error="invalid_token", '
            'error_description="The token is not a JWT."'
        ),
        "type": "urn:eventlog:problem:unauthenticated",
        "detail": "The token is not a JWT.",
    }
