"""What docs/client.md says of how the TypeScript client is published."""

import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "typescript" / "package.json"


def test_the_unlicensed_client_is_published_restricted_to_its_scope() -> None:
    package = json.loads(PACKAGE.read_text())
    assert package["name"].startswith("@eventlog/")
    assert package["license"] == "UNLICENSED"
    assert package.get("publishConfig", {}).get("access", "restricted") == "restricted"
    assert package.get("private") is not True
