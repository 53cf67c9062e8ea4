"""schemathesis over the published OpenAPI description, against the ASGI app and its real stores
(SQLite, moto): generated requests to every operation, valid and invalid, with every check it has
(no server error, status codes, content types, headers and bodies as documented), then
sequences that record an event and follow the OpenAPI links to read it back.

Authentication is on, as in a deployment: the cases carry a token of the tests' issuer with the
scopes of a backend (`events:read events:write events:delete`, so any generated `userId` may be
used), and
schemathesis' own check sends each operation without it and with a forged one, expecting 401.

The cases come from each operation's strategy under hypothesis directly: schemathesis' pytest
plugin (`from_fixture`, `parametrize`) reads a node attribute pytest 9 no longer has.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import given
from hypothesis import settings as settings_for
from schemathesis import Case, GenerationMode
from schemathesis.schemas import BaseSchema

from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from scripts.export_schema import OPENAPI_FILE
from tests.api.conftest import app_with
from tests.auth import with_issuer
from tests.conftest import store_settings, unique_table

# Per operation and mode; derandomized by the profile in tests/conftest.py: every run sends the
# same requests.
EXAMPLES_PER_OPERATION = 150
STATEFUL_SCENARIOS = 60
# Rules JSON Schema cannot state, so data it calls valid may still be refused as documented: a
# timestamp from 1970 to 24 h ahead, numbers within DynamoDB's range, 32 levels, a size in
# bytes, `from` before `to` (422); a cursor this server signed (400). Every other check runs as
# it comes.
CONFIG = """
[[operations]]
include-path = "/events"
checks.positive_data_acceptance.expected-statuses = ["2xx", "409", "422"]

[[operations]]
include-path = "/events/{userId}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "422"]
# After `DELETE /events/{userId}`, `GET /events/{userId}` is a page with no events (200), as for
# any user without events: the history was erased, the resource "user" never existed.
checks.use_after_free.enabled = false
"""
_PATHS = schemathesis.openapi.from_path(OPENAPI_FILE).raw_schema["paths"]
OPERATIONS = [
    pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode.value}")
    for path, methods in _PATHS.items()
    for method, operation in methods.items()
    for mode in GenerationMode
    # An operation that takes nothing has no invalid request to make.
    if mode is GenerationMode.POSITIVE or "parameters" in operation or "requestBody" in operation
]


BACKEND_SCOPES = ("events:read", "events:write", "events:delete")


@pytest.fixture
def auth_settings(settings: Settings, issuer: LocalIssuer) -> Settings:
    return with_issuer(settings, issuer)


@pytest.fixture
def api_schema(auth_settings: Settings, issuer: LocalIssuer) -> Iterator[BaseSchema]:
    token = issuer.token("schemathesis", BACKEND_SCOPES)
    config = schemathesis.Config.from_str(
        f'headers = {{ Authorization = "Bearer {token}" }}\n{CONFIG}'
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app_with(auth_settings), config=config)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_every_operation_answers_as_its_openapi_description_says(
    api_schema: BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings_for(max_examples=EXAMPLES_PER_OPERATION)
    def answers_as_documented(case: Case[Any]) -> None:
        case.call_and_validate()

    answers_as_documented()


@pytest.mark.slow
def test_recorded_events_are_read_back_where_the_openapi_links_lead(
    api_schema: BaseSchema, auth_settings: Settings, issuer: LocalIssuer, tmp_path: Path
) -> None:
    app = api_schema.app

    class OnFreshStores(api_schema.as_state_machine()):  # type: ignore[misc]
        """Each scenario starts on empty stores: hypothesis replays a scenario's choices and
        expects the same answers, which an event left by an earlier one would change (a POST
        answering 200 instead of 201 offers other links)."""

        def setup(self) -> None:
            fresh = with_issuer(
                store_settings(
                    tmp_path / f"{uuid.uuid4().hex}.db",
                    auth_settings.dynamodb_endpoint,
                    unique_table(),
                ),
                issuer,
            )
            app.state.resolver_source = app_with(fresh).state.resolver_source

    OnFreshStores.run(settings=settings_for(max_examples=STATEFUL_SCENARIOS, stateful_step_count=6))
