"""Pin the browser files that GraphiQL, Swagger UI and ReDoc load: assets/package.json's
dependencies.

The versions are read from the pages themselves (Strawberry's GraphiQL template and FastAPI's
docs pages), so the files `npm ci` installs from package-lock.json are byte for byte the ones
those pages name and their SRI hashes match. `make lock` runs this after upgrading FastAPI and
Strawberry, then lets npm lock what it wrote; a test fails when the pages and the lock disagree.
Other keys of assets/package.json are left as they are.
"""

import json
import sys
from pathlib import Path

from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from strawberry.http.ides import get_graphql_ide_html

from gateway.assets import package_files

PACKAGE_JSON = Path(__file__).resolve().parents[1] / "assets" / "package.json"


def pages() -> list[str]:
    """The HTML of GraphiQL, Swagger UI and ReDoc as the libraries ship them."""
    return [
        get_graphql_ide_html("graphiql"),
        bytes(get_swagger_ui_html(openapi_url="/openapi.json", title="").body).decode(),
        bytes(get_redoc_html(openapi_url="/openapi.json", title="").body).decode(),
    ]


def pinned_packages() -> dict[str, str]:
    """Each npm package the pages load, with the version (or jsDelivr's major-only range) named."""
    files = {(file.package, file.version) for page in pages() for file in package_files(page)}
    return dict(sorted(files))


def main() -> int:
    manifest = json.loads(PACKAGE_JSON.read_text())
    manifest["dependencies"] = pinned_packages()
    PACKAGE_JSON.write_text(json.dumps(manifest, indent=2) + "\n")
    print("Browser files pinned in assets/package.json:", manifest["dependencies"])  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
