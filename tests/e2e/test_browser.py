"""In a real browser with every non-local request blocked: GraphiQL runs a query and shows the
answer; Swagger UI lists the operations. `pytest --save-screenshots` keeps the pictures in
docs/img/ for the README."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from tests.e2e.conftest import RunningServer
from tests.factories import make_event

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def offline_page(
    browser: Browser, embedded_server: RunningServer
) -> Iterator[tuple[Page, list[str]]]:
    """A page that may reach only the server under test; what else it asked for is kept."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    external: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith((embedded_server.url, "data:")):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    page.route("**/*", only_local)
    yield page, external
    page.close()


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
        "/events/{userId}",
        "/events/{userId}/{eventId}",
        "/health",
        "/health/ready",
    ]
    screenshot(page, "swagger-ui", request, tmp_path)
    assert external == []
