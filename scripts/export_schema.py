"""Write the contracts the code serves to docs/ (`make schema`): the GraphQL schema and the
OpenAPI description; with `--page-query`, print the keyset page as SQL Server receives it (the
end of db/schema.sql). Tests fail when the committed files drift from what the server serves."""

import json
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc

from gateway.app import create_app
from gateway.graphql.schema import build_schema
from gateway.settings import Settings
from persistence.metadata import page_query
from persistence.protocols import PageRequest
from schema.cursor import CursorPosition

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA_FILE = DOCS / "schema.graphql"
OPENAPI_FILE = DOCS / "openapi.json"


def exported_schema() -> str:
    return build_schema().as_str() + "\n"


def exported_openapi() -> str:
    """The OpenAPI document `/openapi.json` serves; building the app opens no store."""
    return json.dumps(create_app(Settings()).openapi(), indent=2, ensure_ascii=False) + "\n"


def page_query_tsql() -> str:
    """The listing queries of `GET /events/{userId}?eventType=...&cursor=...&limit=100`, with
    one type and with several, as T-SQL comments for DBAs: what to look for in a plan, and why
    the redundant bound is there."""
    after = CursorPosition(datetime(2026, 1, 1, tzinfo=UTC), "?")
    one_type = _compiled(PageRequest("?", 101, event_types=("?",), after=after))
    several = _compiled(PageRequest("?", 101, event_types=("?", "!"), after=after))
    header = (
        "The keyset page the API runs (GET /events/{userId}?eventType=...&cursor=..., limit 100 "
        "+ 1 to know if a next page exists), as pyodbc sends it. Plan: one index seek on "
        "ix_events_user_type_timeline (on ix_events_user_timeline without eventType) on "
        "user_id = ? [AND event_type = ?] AND occurred_at <= ?, then a residual predicate on "
        "the ties. `occurred_at <= ?` is implied by the OR that follows; it is there so the "
        "seek starts at the cursor instead of reading every newer row of the user."
    )
    several_header = (
        "With several types (eventType=a&eventType=b, padded with '' to 2, 4, 8 or 16), the "
        "same seek once per type, each stopping after TOP (101) rows: plan shape, a "
        "Concatenation (or Merge Join (Concatenation)) of one Index Seek + Top per type on "
        "ix_events_user_type_timeline, then a Top N Sort of at most 101 rows a type. No seek "
        "reads past its page, however many rows of the type the user has."
    )
    lines = [
        *textwrap.wrap(header, 96),
        "",
        *one_type.splitlines(),
        "",
        *textwrap.wrap(several_header, 96),
        "",
        *several.splitlines(),
    ]
    return "\n" + "".join(f"-- {line}".rstrip() + "\n" for line in lines)


def _compiled(request: PageRequest) -> str:
    return str(
        page_query(request).compile(
            dialect=mssql_pyodbc.dialect(paramstyle="qmark"),  # type: ignore[no-untyped-call]
            compile_kwargs={"render_postcompile": True},
        )
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--page-query"]:
        sys.stdout.write(page_query_tsql())
    else:
        SCHEMA_FILE.write_text(exported_schema())
        OPENAPI_FILE.write_text(exported_openapi())
