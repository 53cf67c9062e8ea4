"""What a store failure must look like to a client, and what the details table holds after."""

from typing import Any

import httpx


def assert_unavailable(response: httpx.Response, store: str) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["store"]) == ("urn:eventlog:problem:unavailable", store)
    assert problem["detail"] == f"The {store} store is unavailable; retry the same request later."


def details_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return list(dynamodb.scan(TableName=table)["Items"])
