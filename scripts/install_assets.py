"""Install the browser assets that GraphiQL, Swagger UI and ReDoc load, from the npm registry.

The versions are read from the pages themselves (Strawberry's GraphiQL template and FastAPI's
docs pages), so the installed files are byte for byte the ones those pages name and their SRI
hashes match. Without npm, nothing is installed and the pages load from their CDN as shipped.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from strawberry.http.ides import get_graphql_ide_html

from gateway.assets import DEFAULT_ASSETS_DIR, package_files


def pages() -> list[str]:
    """The HTML of GraphiQL, Swagger UI and ReDoc as the libraries ship them."""
    return [
        get_graphql_ide_html("graphiql"),
        bytes(get_swagger_ui_html(openapi_url="/openapi.json", title="").body).decode(),
        bytes(get_redoc_html(openapi_url="/openapi.json", title="").body).decode(),
    ]


def pinned_packages() -> list[str]:
    return sorted({file.spec for page in pages() for file in package_files(page)})


def main() -> int:
    packages = pinned_packages()
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: GraphiQL and /docs will load their assets from a CDN")  # noqa: T201
        return 0
    prefix = Path(DEFAULT_ASSETS_DIR).parent
    prefix.mkdir(parents=True, exist_ok=True)
    command = [
        npm,
        "install",
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
        "--prefix",
        str(prefix),
        *packages,
    ]
    print("Installing browser assets:", " ".join(packages))  # noqa: T201
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
