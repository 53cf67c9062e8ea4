"""`python -m gateway` (what `make run` starts): open the stores, say where they are, serve.

The port is bound before the banner is printed, so a client that reads the banner may connect at
once, and a port already in use is reported before anything else starts.
"""

import argparse
import socket
import sys

import uvicorn

from gateway.app import create_app
from gateway.observability import configure_logging
from gateway.settings import Settings, get_settings
from gateway.stores import Stores, open_stores


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Event Log API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    settings = get_settings()
    configure_logging(settings.log_level)
    listener = bind_listener(args.host, args.port)
    with open_stores(settings) as stores:
        host, port = listener.getsockname()[:2]
        print(banner(f"http://{host}:{port}", settings, stores), flush=True)  # noqa: T201
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, stores), log_config=None, access_log=False)
        )
        server.run(sockets=[listener])


def banner(base_url: str, settings: Settings, stores: Stores) -> str:
    lasting = "temporary: removed when this process stops" if settings.embedded else "lasting"
    return (
        f"Event Log API on {base_url}\n"
        f"  API docs: {base_url}/docs (Swagger UI), {base_url}/redoc\n"
        f"  metadata: {stores.description['metadata']}\n"
        f"  details:  {stores.description['details']}\n"
        f"  data is {lasting}. Stop with Ctrl+C.\n"
    )


def bind_listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say they are TCP, and without that a keep-alive client waits ~40 ms per response.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        sys.exit(f"Cannot listen on {host}:{port} ({exc.strerror}); try: make run PORT={port + 1}")
    listener.listen(2048)
    return listener


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        # Ctrl+C before uvicorn took over the signals: the stores are already closed.
        sys.exit(0)
