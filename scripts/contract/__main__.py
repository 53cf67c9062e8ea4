"""`python -m scripts.contract check`: today's contract against the last released one (what the
test in `make test` checks), with every finding and the lines CHANGELOG.md still needs.

`make release VERSION=x.y.z` cuts a version in three steps around `uv lock` and `make schema`:
`release x.y.z` (the check must pass; the version must be above the last one) stamps
pyproject.toml, `gateway.__version__` and CHANGELOG.md; `freeze x.y.z` copies the re-exported
contract to docs/released/x.y.z/."""

import argparse
import re
import shutil
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from scripts.contract.changelog import stamp
from scripts.contract.check import (
    CONTRACT,
    RELEASE_VERSION,
    ROOT,
    compare,
    latest_release,
    version_key,
)

# The assignments `release` rewrites: [project]'s version (the first `version =` line of
# pyproject.toml, read back after writing) and the gateway package's.
VERSION_NAMES = {"pyproject.toml": "version", "gateway/__init__.py": "__version__"}


def check(root: Path) -> int:
    report = compare(root)
    sys.stdout.write(report.text() + "\n")
    return 1 if report.unlisted else 0


def release(root: Path, version: str) -> int:
    if check(root):
        return 1
    last = latest_release(root)
    if (version_key(version) or ()) <= (version_key(last) or ()):
        sys.stderr.write(f"{version} is not above the last release, {last}\n")
        return 1
    stamped = {}
    for file, name in VERSION_NAMES.items():
        line = re.compile(rf'^{name} = "[^"]*"$', re.MULTILINE)
        stamped[file], found = line.subn(f'{name} = "{version}"', (root / file).read_text(), 1)
        if not found:
            sys.stderr.write(f"{file} has no line {name} = ...\n")
            return 1
    if tomllib.loads(stamped["pyproject.toml"])["project"]["version"] != version:
        sys.stderr.write("pyproject.toml's first `version =` line is not [project]'s\n")
        return 1
    today = datetime.now(UTC).date().isoformat()
    try:
        stamped["CHANGELOG.md"] = stamp((root / "CHANGELOG.md").read_text(), version, today)
    except ValueError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    # Written once all are stamped: a refusal leaves every file as it was.
    for file, text in stamped.items():
        (root / file).write_text(text)
    return 0


def freeze(root: Path, version: str) -> int:
    folder = root / "docs" / "released" / version
    if folder.exists():
        sys.stderr.write(f"{folder.relative_to(root)} exists: a released contract never changes\n")
        return 1
    folder.mkdir(parents=True)
    for name in CONTRACT:
        shutil.copyfile(root / "docs" / name, folder / name)
    sys.stdout.write(f"{version}: the contract is in {folder.relative_to(root)}/\n")
    return 0


def semantic_version(text: str) -> str:
    if not RELEASE_VERSION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"give MAJOR.MINOR.PATCH, not {text!r}")
    return text


def main(arguments: list[str], root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.contract", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="compare the contract with the last released one")
    for name in ("release", "freeze"):
        commands.add_parser(name).add_argument("version", type=semantic_version)
    given = parser.parse_args(arguments)
    if given.command == "check":
        return check(root)
    if given.command == "release":
        return release(root, given.version)
    return freeze(root, given.version)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
