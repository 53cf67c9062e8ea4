"""Write the contracts the code serves to docs/ (`make schema`): the GraphQL schema and the
OpenAPI description. Tests fail when the committed files drift from what the server serves."""

import json
from pathlib import Path

from gateway.app import create_app
from gateway.graphql.schema import build_schema
from gateway.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA_FILE = DOCS / "schema.graphql"
OPENAPI_FILE = DOCS / "openapi.json"


def exported_schema() -> str:
    return build_schema().as_str() + "\n"


def exported_openapi() -> str:
    """The OpenAPI document `/openapi.json` serves; building the app opens no store."""
    return json.dumps(create_app(Settings()).openapi(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(exported_schema())
    OPENAPI_FILE.write_text(exported_openapi())
