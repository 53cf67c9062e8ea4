"""The embedded DynamoDB of `make run`: dynalite in a process of its own when Node.js and its
npm package are there (`make run` installs it), else moto's server in this process; either on a
free loopback port, reached over HTTP by the same DynamoDB adapter as in production.

dynalite (an independent DynamoDB implementation, in memory) answers a BatchGetItem of 20 keys
about ten times faster than moto, and in its own process it does not take this process's
interpreter lock from the API's requests: under 32 concurrent clients, moto in-process served a
page of 20 at 10 requests/s with timeouts. Both keep items in memory, so the embedded SQL store
must not outlive them (the settings refuse that pairing). Imported only in embedded mode; moto
is imported only when it serves (the `moto` extra, which `make run` installs only where Node.js
is missing): it is heavy and has no place on Lambda.

DynamoDB applies each request to an item atomically; moto does not (an UpdateItem that creates
an item first stores the bare key, then the attributes), so concurrent conditional writes to one
item could see half of another. The server here answers one request at a time, which restores
the atomicity the write protocol relies on.

dynalite runs as the project's patch changes it (`patches/`, applied by `make dynalite` after
`npm ci`): as published, it builds attribute maps from plain JavaScript objects and loses the key
`__proto__`. An install without the patch does not start (`UnpatchedDynalite`).

moto also projects an item (ProjectionExpression) by converting the whole item through boto3's
TypeDeserializer, whose decimal context refuses numbers DynamoDB stores (1.2345...E-130 with 38
digits): a version read of such an event's item would answer 500. Projections of top-level
attributes, the only ones this API makes, are taken from the stored attribute values instead.
"""

import argparse
import logging
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unidiff.patch import PatchSet

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from moto.dynamodb.models.dynamo_type import Item
    from werkzeug.serving import BaseWSGIServer


class _OneRequestAtATime:
    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


def _project_top_level_from_stored_values() -> None:
    """Makes moto project top-level attributes from the stored values (once per process)."""
    from moto.dynamodb.models.dynamo_type import Item

    moto_project = Item.project
    if getattr(moto_project, "top_level_from_stored_values", False):
        return

    def project(item: "Item", projection_expressions: list[list[str]]) -> "Item":
        if any(len(path) != 1 for path in projection_expressions):
            return moto_project(item, projection_expressions)
        wanted = {path[0] for path in projection_expressions}
        attributes = item.to_json()["Attributes"]
        return Item(
            hash_key=item.hash_key,
            range_key=item.range_key,
            attrs={name: value for name, value in attributes.items() if name in wanted},
        )

    project.top_level_from_stored_values = True  # type: ignore[attr-defined]
    Item.project = project  # type: ignore[method-assign,assignment]


ROOT = Path(__file__).resolve().parents[1]
DYNALITE_PACKAGE = ROOT / "node_modules" / "dynalite"
DYNALITE_CLI = DYNALITE_PACKAGE / "cli.js"
# The project's changes to npm packages, in patch-package's format (patches/README.md).
PATCHES = ROOT / "patches"


class UnpatchedDynalite(SystemExit):
    """dynalite is installed without a change of the project's patch (`npm ci` ran alone): a
    refusal to start, said in one line (`make run` prints it and exits)."""


def unpatched_files(package: Path = DYNALITE_PACKAGE, patches: Path = PATCHES) -> list[str]:
    """The files of the dynalite installed at `package` that lack a hunk of the project's
    patches of dynalite in `patches` (none when every hunk is applied).

    patch-package applies a hunk only where its header says, so an applied hunk's new side (its
    context and added lines) is in the file exactly at the hunk's target lines.
    """
    missing: set[str] = set()
    for patch in sorted(patches.glob("dynalite+*.patch")):
        for changed in PatchSet(patch.read_text()):
            relative = changed.path.removeprefix("node_modules/dynalite/")
            file = package / relative
            lines = file.read_text().splitlines(keepends=True) if file.is_file() else []
            for hunk in changed:
                start = hunk.target_start - 1
                applied = lines[start : start + hunk.target_length]
                if applied != [line.value for line in hunk.target_lines()]:
                    missing.add(relative)
    return sorted(missing)


# dynalite's CLI, run so that it exits when its standard input ends: this process holds the
# other end, so however this process ends (stopped, crashed, killed), dynalite goes with it.
_TIED_TO_PARENT = (
    "process.stdin.on('end', () => process.exit(0)); process.stdin.resume(); "
    "require(process.argv[1])"
)


class Dynalite:
    """dynalite, in memory, in its own process on a free loopback port, for as long as this
    process lives (`make run`, the tests, the benchmarks); the one installed at `package`, which
    must carry the project's patch."""

    def __init__(self, package: Path = DYNALITE_PACKAGE) -> None:
        self._package = package
        self._process: subprocess.Popen[str] | None = None

    @staticmethod
    def available() -> bool:
        return DYNALITE_CLI.exists() and shutil.which("node") is not None

    def start(self) -> str:
        missing = unpatched_files(self._package)
        if missing:
            raise UnpatchedDynalite(
                f"{self._package} lacks the project's patch (patches/, in {', '.join(missing)}),"
                " so it would lose keys such as __proto__: `npm ci` does not apply it;"
                " `make dynalite` does (make run and make test run it)"
            )
        # dynalite reads `--port 0` as its default (4567): pick a free port for it.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._process = subprocess.Popen(
            [
                *("node", "-e", _TIED_TO_PARENT, str(self._package / "cli.js")),
                *("--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        # "Dynalite listening at: http://127.0.0.1:<port>", printed once it listens: the wait.
        banner = self._process.stdout.readline()
        if "listening" not in banner:
            self.stop()
            raise RuntimeError(f"dynalite did not start: {banner!r}")
        return f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)


def start_embedded_dynamodb() -> tuple[str, str, Callable[[], None]]:
    """The embedded emulator, started: its endpoint, its name, and how to stop it."""
    if Dynalite.available():
        dynalite = Dynalite()
        return dynalite.start(), "dynalite", dynalite.stop
    moto = EmbeddedDynamoDB()
    return moto.start(), "moto in this process: without Node.js, no dynalite", moto.stop


class EmbeddedDynamoDB:
    def __init__(self, port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        _project_top_level_from_stored_values()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if sys.is_finalizing():
            # The interpreter has frozen its daemon threads: the server thread will never
            # acknowledge a shutdown, and waiting for it would hang the exit. Owners close the
            # emulator before that (the Lambda handler registers its stores with atexit).
            self._server.server_close()
            return
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def main() -> None:
    """Serve on its own until killed: `python -m persistence.embedded --port 8001` (the demo
    runs DynamoDB this way so it can pause it). Each request is logged on stderr."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8001)
    port = parser.parse_args().port
    server = EmbeddedDynamoDB(port)
    logging.getLogger("werkzeug").setLevel(logging.INFO)
    sys.stdout.write(server.start() + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
