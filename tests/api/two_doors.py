"""One scenario, two doors: record and read events through REST or GraphQL over HTTP, with the
answers in one shape so a test states its expectations once."""

from dataclasses import dataclass
from typing import Any

from schema.jsonvalue import parse_json
from tests.api.graphql.graphql_client import RECORD
from tests.strategies import request_body

JSON = {"content-type": "application/json"}
# The REST status that means what a GraphQL error code means.
_STATUS_OF_CODE = {"BAD_USER_INPUT": 422, "CONFLICT": 409, "SERVICE_UNAVAILABLE": 503}


@dataclass(frozen=True)
class Answer:
    status: int  # REST's status, or for GraphQL the one REST gives for the same outcome
    body: Any  # the Event, or a problem with `errors`


def record_rest(client: Any, body: Any) -> Answer:
    response = client.post("/events", content=request_body(body), headers=JSON)
    return Answer(response.status_code, parse_json(response.content))


def record_graphql(client: Any, body: Any) -> Answer:
    request = {"query": RECORD, "variables": {"input": body}}
    response = client.post("/graphql", content=request_body(request), headers=JSON)
    assert response.status_code == 200, response.text
    result = parse_json(response.content)
    if result.get("errors"):
        extensions = result["errors"][0]["extensions"]
        status = _STATUS_OF_CODE.get(extensions["code"], 500)
        return Answer(status, {"errors": extensions.get("errors", []), "graphql": result})
    payload = result["data"]["recordEvent"]
    return Answer(201 if payload["outcome"] == "CREATED" else 200, payload["event"])


RECORDERS = {"rest": record_rest, "graphql": record_graphql}

_RECORD_EVENTS = """mutation($inputs: [RecordEventInput!]!) {
  recordEvents(inputs: $inputs) {
    outcome code errors { field message code }
    event { eventId userId eventType timestamp receivedAt details }
  }
}"""


def record_rest_batch(client: Any, body: Any) -> Answer:
    """`body` alone in `POST /events/batch`, answered as `POST /events` would answer it."""
    response = client.post("/events/batch", content=request_body({"events": [body]}), headers=JSON)
    assert response.status_code == 200, response.text
    (result,) = parse_json(response.content)["results"]
    if "problem" in result:
        return Answer(result["problem"]["status"], result["problem"])
    return Answer(201 if result["outcome"] == "created" else 200, result["event"])


def record_graphql_batch(client: Any, body: Any) -> Answer:
    """`body` alone in `recordEvents`, answered as `recordEvent` would answer it."""
    (result,) = graphql_data(client, _RECORD_EVENTS, inputs=[body])["recordEvents"]
    if result["code"]:
        return Answer(_STATUS_OF_CODE.get(result["code"], 500), {"errors": result["errors"]})
    return Answer(201 if result["outcome"] == "CREATED" else 200, result["event"])


# Every way to record an event: one at a time and in a batch, through each door.
WRITERS = {
    "POST /events": record_rest,
    "POST /events/batch": record_rest_batch,
    "recordEvent": record_graphql,
    "recordEvents": record_graphql_batch,
}

_EVENTS = """query($u: String!) {
  withDetails: events(userId: $u) { nodes { eventId details } }
  without: events(userId: $u) { nodes { eventId eventType timestamp receivedAt } }
}"""
_EVENT = "query($u: String!, $e: ID!) { event(userId: $u, eventId: $e) { eventId details } }"


def graphql_data(client: Any, query: str, **variables: Any) -> Any:
    request = {"query": query, "variables": variables}
    response = client.post("/graphql", content=request_body(request), headers=JSON)
    assert response.status_code == 200, response.text
    result = parse_json(response.content)
    assert "errors" not in result, result
    return result["data"]


def details_on_every_read_path(client: Any, user: str, event_id: str) -> dict[str, Any]:
    """The one event's details as each read answers them: REST's get and list, GraphQL's event
    and events (and events without details lists it too)."""
    rest_one = client.get(f"/events/{user}/{event_id}")
    assert rest_one.status_code == 200, rest_one.text
    rest_page = client.get(f"/events/{user}")
    assert rest_page.status_code == 200, rest_page.text
    (listed,) = parse_json(rest_page.content)["events"]
    lists = graphql_data(client, _EVENTS, u=user)
    (node,) = lists["withDetails"]["nodes"]
    (bare,) = lists["without"]["nodes"]
    assert listed["eventId"] == node["eventId"] == bare["eventId"] == event_id
    one = graphql_data(client, _EVENT, u=user, e=event_id)["event"]
    return {
        "REST get": parse_json(rest_one.content)["details"],
        "REST list": listed["details"],
        "GraphQL events": node["details"],
        "GraphQL event": one["details"],
    }
