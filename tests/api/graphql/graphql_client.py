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
query Events($userId: String!, $first: Int, $after: String, $eventType: [String!],
             $from: DateTime, $to: DateTime) {
  events(userId: $userId, first: $first, after: $after, eventType: $eventType,
         from: $from, to: $to) {
    edges { cursor node { eventId userId eventType timestamp receivedAt details } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def graphql(client: Any, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = parse_json(response.content)
    return result


def error_codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]
