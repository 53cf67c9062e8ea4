"""GraphiQL and Swagger UI, driven in Chromium against the dev-auth server, as a person would.

The selectors are the ones tests/e2e/test_browser.py drives; every wait is for what the page
must show (the answer, the status), so a page that stops working stops the build.
"""

import json
from urllib.parse import quote

from scripts.video.recording import Recording
from scripts.video.stack import Server

WITHOUT_DETAILS = """{
  events(userId: "user-42", first: 5) {
    nodes { eventId eventType timestamp }
    pageInfo { hasNextPage endCursor }
  }
}"""
WITH_DETAILS = """{
  events(userId: "user-42", first: 5) {
    nodes { eventId eventType timestamp details }
    pageInfo { hasNextPage endCursor }
  }
}"""
TIMEOUT_MS = 20_000


def graphiql(recording: Recording, server: Server, event_id: str) -> None:
    page = recording.page
    headers = quote(json.dumps({"Authorization": f"Bearer {server.token}"}))
    for number, query in enumerate((WITHOUT_DETAILS, WITH_DETAILS)):
        page.goto(f"{server.url}/graphql?q={quote(query)}&headers={headers}")
        page.locator(".graphiql-query-editor").get_by_text("events").first.wait_for(
            timeout=TIMEOUT_MS
        )
        if number == 0:
            recording.begin()
            recording.say(
                "GraphiQL at /graphql, with the token in its headers tab.",
                wait=False,
            )
            page.get_by_text("Headers", exact=True).first.click()
        else:
            recording.say("Now the same query, asking for details.", wait=False)
        recording.hold(1.5)
        page.locator(".graphiql-execute-button").click()
        answer = page.locator(".graphiql-response")
        answer.get_by_text(event_id).first.wait_for(timeout=TIMEOUT_MS)
        if number == 0:
            recording.say("This query asks for no details, so it never touches DynamoDB.")
            recording.hold(1.5)
        else:
            answer.get_by_text('"plan"').first.wait_for(timeout=TIMEOUT_MS)
            recording.say(
                "With details, a per-request DataLoader fetches the whole page's in one "
                "BatchGetItem."
            )
            recording.hold(2.0)


def swagger_ui(recording: Recording, server: Server) -> None:
    page = recording.page
    page.goto(f"{server.url}/docs")
    page.locator(".opblock-summary-path").first.wait_for(timeout=TIMEOUT_MS)
    recording.begin()
    recording.say(
        "Swagger UI at /docs: Authorize takes the same token.",
        wait=False,
    )
    recording.hold(1.0)
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").fill(server.token)
    recording.hold(0.8)
    dialog.locator(".auth-btn-wrapper .authorize").click()
    dialog.locator(".auth-btn-wrapper .btn-done").click()
    recording.say("Try it out on POST /events, with the documented example.")
    record = page.locator("#operations-events-record_event_events_post")
    record.locator(".opblock-summary").click()
    record.locator(".try-out__btn").click()
    record.locator(".body-param__text").scroll_into_view_if_needed()
    recording.hold(1.5)
    record.locator(".execute").click()
    status = record.locator(".live-responses-table tbody td.response-col_status").first
    status.wait_for(timeout=TIMEOUT_MS)
    assert status.inner_text().strip() == "201", status.inner_text()
    status.scroll_into_view_if_needed()
    recording.say("201, with the stored event.")
    recording.hold(2.0)
    listing = page.locator("#operations-events-list_events_events__userId__get")
    listing.locator(".opblock-summary").scroll_into_view_if_needed()
    listing.locator(".opblock-summary").click()
    listing.locator(".try-out__btn").click()
    listing.locator('tr[data-param-name="userId"] input').fill("user-42")
    recording.say("And the user's history, newest first.", wait=False)
    listing.locator(".execute").click()
    status = listing.locator(".live-responses-table tbody td.response-col_status").first
    status.wait_for(timeout=TIMEOUT_MS)
    assert status.inner_text().strip() == "200", status.inner_text()
    status.scroll_into_view_if_needed()
    recording.hold(2.5)
