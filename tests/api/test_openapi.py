"""The machine-readable contract: every route documents its answers, errors as problems."""

from fastapi.testclient import TestClient


def test_openapi_documents_each_routes_answers_with_problems_for_errors(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    documented = {
        (method.upper(), path): sorted(operation["responses"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    assert documented == {
        ("POST", "/events"): ["200", "201", "400", "409", "413", "415", "422", "503"],
        ("GET", "/events/{userId}"): ["200", "400", "422", "503"],
        ("GET", "/events/{userId}/{eventId}"): ["200", "404", "422", "503"],
        ("GET", "/health"): ["200"],
        ("GET", "/health/ready"): ["200", "503"],
    }
    for operations in spec["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
                    assert response["content"]["application/problem+json"]["schema"]["$ref"]


def test_the_post_body_schema_states_the_rules(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["userId", "eventType"]
    assert body["additionalProperties"] is False
    assert body["properties"]["userId"]["pattern"] == "^[A-Za-z0-9._:@+|=-]{1,128}$"


def test_the_interactive_docs_are_served(client: TestClient) -> None:
    assert "swagger-ui" in client.get("/docs").text
    assert "redoc" in client.get("/redoc").text
