"""Response classes both doors, the middleware and the Lambda handler answer with: JSON that keeps
every digit of a Decimal, and RFC 9457 problems, with the one answer to anything unexpected."""

from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

from gateway.middleware.request_id import current_request_id
from persistence.telemetry import note_problem
from schema.jsonvalue import dump_json

PROBLEM_TYPE_PREFIX = "urn:eventlog:problem:"


class ExactJSONResponse(JSONResponse):
    """FastAPI's encoder turns Decimals into floats; details must come back as they were sent."""

    def render(self, content: Any) -> bytes:
        return dump_json(content)


class ProblemResponse(ExactJSONResponse):
    media_type = "application/problem+json"


def problem_body(
    status: HTTPStatus, slug: str, title: str, detail: str, **extensions: Any
) -> dict[str, Any]:
    note_problem(slug, extensions.get("store"))
    return {
        "type": PROBLEM_TYPE_PREFIX + slug,
        "title": title,
        "status": int(status),
        "detail": detail,
        "requestId": current_request_id(),
        **extensions,
    }


def internal_problem_body() -> dict[str, Any]:
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    return problem_body(
        status,
        "internal",
        status.phrase,
        "Something went wrong on our side; quote the requestId when reporting it.",
    )


def internal_error_problem() -> ProblemResponse:
    """The answer to anything unexpected: it says nothing of what went wrong inside."""
    return ProblemResponse(internal_problem_body(), status_code=HTTPStatus.INTERNAL_SERVER_ERROR)
