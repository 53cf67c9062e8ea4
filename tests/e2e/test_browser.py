"""In a real browser with every non-local request blocked: GraphiQL runs a query and shows the
answer; Swagger UI lists the operations. With tokens checked (`make run AUTH=dev`), Swagger UI's
Authorize and GraphiQL's Headers tab carry the token. `pytest --save-screenshots` keeps the
pictures in docs/img/ for the README."""

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from tests.e2e.servers import RunningServer
from tests.factories import make_event

ROOT = Path(__file__).resolve().parents[2]


def page_confined_to(browser: Browser, server: RunningServer) -> tuple[Page, list[str]]:
    """A page that may reach only the server under test; what else it asked for is kept."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    external: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith((server.url, "data:")):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    page.route("**/*", only_local)
    return page, external


@pytest.fixture
def offline_page(
    browser: Browser, embedded_server: RunningServer
) -> Iterator[tuple[Page, list[str]]]:
    page, external = page_confined_to(browser, embedded_server)
    yield page, external
    page.close()


@pytest.fixture
def token_page(
    browser: Browser, dev_auth_server: RunningServer
) -> Iterator[tuple[Page, list[str]]]:
    page, external = page_confined_to(browser, dev_auth_server)
    yield page, external
    page.close()


def dev_token(server: RunningServer) -> str:
    """user-42's token, from the banner of `make run AUTH=dev`."""
    return next(line.split("export TOKEN=")[1] for line in server.banner if "TOKEN=" in line)


def screenshot(page: Page, name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    folder = ROOT / "docs" / "img" if request.config.getoption("--save-screenshots") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def test_graphiql_runs_a_query_with_no_internet(
    offline_page: tuple[Page, list[str]],
    embedded_server: RunningServer,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    page, external = offline_page
    body = make_event(userId="user-42", details={"page": "/pricing", "durationMs": 5120})
    event_id = httpx.post(f"{embedded_server.url}/events", json=body).json()["eventId"]
    query = "\n".join(
        [
            "{",
            '  events(userId: "user-42", first: 5) {',
            "    nodes { eventId eventType timestamp details }",
            "    pageInfo { hasNextPage endCursor }",
            "  }",
            "}",
        ]
    )
    page.goto(f"{embedded_server.url}/graphql?q={quote(query)}")
    page.locator(".graphiql-execute-button").click()
    page.locator(".graphiql-response").get_by_text(event_id).wait_for(timeout=15_000)
    assert "/pricing" in page.locator(".graphiql-response").inner_text()
    screenshot(page, "graphiql", request, tmp_path)
    assert external == []


def test_swagger_ui_lists_the_operations_with_no_internet(
    offline_page: tuple[Page, list[str]],
    embedded_server: RunningServer,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    page, external = offline_page
    page.goto(f"{embedded_server.url}/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for(timeout=15_000)
    assert sorted(set(operations.all_inner_texts())) == [
        "/events",
        "/events/batch",
        "/events/{userId}",
        "/events/{userId}/{eventId}",
        "/health",
        "/health/ready",
    ]
    screenshot(page, "swagger-ui", request, tmp_path)
    assert external == []


def test_swagger_ui_authorize_sends_the_token(
    token_page: tuple[Page, list[str]], dev_auth_server: RunningServer
) -> None:
    page, external = token_page
    page.goto(f"{dev_auth_server.url}/docs")
    operation = page.locator("#operations-events-list_events_events__userId__get")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator('tr[data-param-name="userId"] input').fill("user-42")

    def status_after_execute() -> str:
        operation.locator(".execute").click()
        cell = operation.locator(".live-responses-table tbody td.response-col_status").first
        cell.wait_for(timeout=15_000)
        status = cell.inner_text().strip()
        operation.locator(".btn-clear").click()
        return status

    assert status_after_execute() == "401"
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").fill(dev_token(dev_auth_server))
    dialog.locator(".auth-btn-wrapper .authorize").click()
    dialog.locator(".auth-btn-wrapper .btn-done").click()
    assert status_after_execute() == "200"
    assert external == []


def test_graphiql_says_where_the_token_goes_and_sends_it_from_the_headers_tab(
    token_page: tuple[Page, list[str]], dev_auth_server: RunningServer
) -> None:
    page, external = token_page
    page.goto(f"{dev_auth_server.url}/graphql")
    editor = page.locator(".graphiql-query-editor")
    editor.get_by_text("open the Headers tab below").wait_for(timeout=15_000)

    query = '{ events(userId: "user-42") { nodes { eventId } } }'
    headers = json.dumps({"Authorization": f"Bearer {dev_token(dev_auth_server)}"})
    for sent, answer in ((None, "UNAUTHENTICATED"), (headers, '"nodes": []')):
        address = f"{dev_auth_server.url}/graphql?q={quote(query)}"
        page.goto(address + (f"&headers={quote(sent)}" if sent else ""))
        page.locator(".graphiql-execute-button").click()
        page.locator(".graphiql-response").get_by_text(answer).wait_for(timeout=15_000)
    assert external == []
