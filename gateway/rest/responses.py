"""Response classes: JSON that keeps every digit of a Decimal, and RFC 9457 problems."""

from typing import Any

from fastapi.responses import JSONResponse

from schema.jsonvalue import dump_json


class ExactJSONResponse(JSONResponse):
    """FastAPI's encoder turns Decimals into floats; details must come back as they were sent."""

    def render(self, content: Any) -> bytes:
        return dump_json(content)


class ProblemResponse(ExactJSONResponse):
    media_type = "application/problem+json"
