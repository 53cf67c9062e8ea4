"""Browser assets of GraphiQL, Swagger UI and ReDoc, served by this app when installed.

Those pages load React, GraphiQL and the rest from a CDN, which a firewalled machine cannot reach.
assets/package.json pins the very packages and versions the pages name (`scripts/pin_assets.py`
writes them) and `npm ci` installs them from its lock into `assets/node_modules/`; here each CDN
address whose file is installed becomes a local one (the bytes are the same, so the pages' SRI
hashes still match). An address whose file is absent is left as it was: the page then falls back
to the CDN. Each page is localized when it is served, so files installed while the server runs
(`make run` installs them once it answers) are served from then on; an install counts once it has
finished (`npm ci` succeeded and the Makefile left its mark), so a page never names a file that is
still being written.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/assets"
DEFAULT_ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets" / "node_modules"
# Left in the folder when its install has finished (the Makefile's stamp; the Lambda build's copy).
INSTALLED_MARK = ".installed"

# Any CDN address of the form https://host/[npm/]package@version/path (no host is named here).
PACKAGE_URL = re.compile(
    r"https://[^/\"'\s]+/(?:npm/)?"
    r"(?P<package>(?:@[^/@\"'\s]+/)?[^/@\"'\s]+)@(?P<version>[^/\"'\s]+)/(?P<path>[^\"'\s?#]+)"
)


@dataclass(frozen=True)
class PackageFile:
    package: str
    version: str
    path: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


def package_files(html: str) -> list[PackageFile]:
    return [PackageFile(**match.groupdict()) for match in PACKAGE_URL.finditer(html)]


class OfflineAssets:
    def __init__(self, root: Path = DEFAULT_ASSETS_DIR) -> None:
        self.root = root

    def localize(self, html: str, root_path: str = "") -> str:
        """`root_path`: the path prefix the app is served under (an API Gateway base path), so
        the browser asks for <root_path>/assets/..., which reaches this app."""
        prefix = root_path.rstrip("/")
        return PACKAGE_URL.sub(lambda match: self._address(match, prefix), html)

    def local_file(self, wanted: PackageFile) -> Path | None:
        """The installed copy of a CDN file, when the installed version is the one asked for."""
        if not (self.root / INSTALLED_MARK).is_file():
            return None
        candidate = self.root / wanted.package / wanted.path
        installed = self._installed_version(wanted.package)
        if installed is None or not satisfies(installed, wanted.version):
            return None
        return candidate if candidate.is_file() else None

    def mount(self, app: FastAPI) -> None:
        app.mount(ASSETS_PATH, _FilesWhenInstalled(directory=self.root), name="assets")

    def _address(self, match: re.Match[str], prefix: str) -> str:
        wanted = PackageFile(**match.groupdict())
        if self.local_file(wanted) is None:
            return match.group(0)
        return f"{prefix}{ASSETS_PATH}/{wanted.package}/{wanted.path}"

    def _installed_version(self, package: str) -> str | None:
        manifest = self.root / package / "package.json"
        if not manifest.is_file():
            return None
        version = json.loads(manifest.read_text()).get("version")
        return version if isinstance(version, str) else None


class _FilesWhenInstalled(StaticFiles):
    """The installed files; 404 for every path while the folder does not exist yet."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, check_dir=False)

    async def check_config(self) -> None:
        if self.directory is not None and Path(self.directory).is_dir():
            await super().check_config()


def root_path(request: Request) -> str:
    """The path prefix the app is served under ("" when none): pages name URLs below it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def satisfies(installed: str, wanted: str) -> bool:
    """`18.2.0` wants exactly that; `5` (jsDelivr's major-only form) any 5.x.y."""
    return installed == wanted or installed.startswith(f"{wanted}.")
