"""The embedded DynamoDB: moto's server in this process, on a free loopback port.

It keeps items in memory, so the embedded SQL store must not outlive it (the settings refuse
that pairing). Imported only in embedded mode: moto is heavy and has no place on Lambda.

DynamoDB applies each request to an item atomically; moto does not (an UpdateItem that creates
an item first stores the bare key, then the attributes), so concurrent conditional writes to one
item could see half of another. The server here answers one request at a time, which restores
the atomicity the write protocol relies on.
"""

import argparse
import logging
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class _OneRequestAtATime:
    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class EmbeddedDynamoDB:
    def __init__(self, port: int = 0) -> None:
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
