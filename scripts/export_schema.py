"""Write the GraphQL schema the code serves to docs/schema.graphql (`make schema`)."""

from pathlib import Path

from gateway.graphql.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "schema.graphql"


def exported_schema() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(exported_schema())
