"""Copy the browser files the pages load, and nothing else, into a Lambda artifact.

`sam build` (Makefile, build-ApiFunction) calls it with `<artifact>/assets/node_modules`, where
`gateway.assets` looks for them (next to the code, as in a checkout): on Lambda too, /docs and
GraphiQL then work where the CDN is blocked. Each package keeps its package.json (the app serves
a file only when the installed version is the one the page pins). assets/node_modules holds
~150 MB;
the pages need ~5 MB of it.
"""

import shutil
import sys
from pathlib import Path

from gateway.assets import DEFAULT_ASSETS_DIR, INSTALLED_MARK, OfflineAssets, package_files
from scripts.pin_assets import pages


def package(destination: Path, source: Path = DEFAULT_ASSETS_DIR) -> list[Path]:
    installed = OfflineAssets(source)
    wanted = {file for page in pages() for file in package_files(page)}
    missing = [file.spec + "/" + file.path for file in wanted if installed.local_file(file) is None]
    if missing:
        listed = ", ".join(sorted(missing))
        raise SystemExit(f"Browser assets missing ({listed}): run `make assets`")
    relative = {Path(file.package) / file.path for file in wanted}
    relative |= {Path(file.package) / "package.json" for file in wanted}
    for path in sorted(relative):
        (destination / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / path, destination / path)
    (destination / INSTALLED_MARK).touch()
    return sorted(relative)


if __name__ == "__main__":
    copied = package(Path(sys.argv[1]))
    print(f"{len(copied)} browser asset files copied to {sys.argv[1]}")  # noqa: T201
