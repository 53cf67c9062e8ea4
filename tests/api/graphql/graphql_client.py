"""A small GraphQL client over the same HTTP client the REST tests use."""

from typing import Any

from schema.jsonvalue import parse_json

RECORD = """
mutation Record($input: RecordEventInput!) {
  recordEvent(input: $input) {
    outcome
    event { eventId userId eventType timestamp receivedAt details }
  }
}
"""

EVENTS = """
query Events($userId: String!, $first: Int, $after: String, $eventType: String,
             $eventTypes: [String!], $from: DateTime, $to: DateTime) {
  events(userId: $userId, first: $first, after: $after, eventType: $eventType,
         eventTypes: $eventTypes, from: $from, to: $to) {
    edges { cursor node { eventId userId eventType timestamp receivedAt details } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


# What GraphQL-over-HTTP recommends a client sends (and what Apollo Client, urql and
# graphql-request send in some form).
ACCEPT = "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8"
GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"


def graphql(client: Any, query: str, status: int = 200, **variables: Any) -> dict[str, Any]:
    """POST one operation and read its answer, which must have `status` (400 for a request
    error: the document does not parse or validate, or the variables do not coerce). The client
    accepts anything (httpx sends `Accept: */*`): application/graphql-response+json answers."""
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    result: dict[str, Any] = parse_json(response.content)
    return result


def error_codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]
