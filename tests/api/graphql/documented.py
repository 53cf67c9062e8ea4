"""What docs/graphql.md promises, read from it for the tests that hold the code to it."""

from functools import cache

from tests.docs import ROOT, section, table

GRAPHQL_MD = ROOT / "docs" / "graphql.md"


@cache
def documented_codes() -> frozenset[str]:
    """The `extensions.code` values docs/graphql.md explains."""
    rows = table(section(GRAPHQL_MD.read_text(), "## Error codes"))
    return frozenset(row["code"].strip("`") for row in rows)
