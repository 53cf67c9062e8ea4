"""The server (`python -m gateway`, what `make run` starts): open the stores, say where they are,
serve. `python -m gateway reconcile` runs the reconcile job instead (entrypoints/reconcile.py),
and `python -m gateway retention` the retention job (entrypoints/retention.py).

The port is bound before the banner is printed, so a client that reads the banner may connect at
once, and a port already in use is reported before anything else starts.
"""

import argparse
import signal
import socket
import sys
from contextlib import ExitStack

import uvicorn
from botocore.exceptions import BotoCoreError, ClientError
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.auth.dev_issuer import DEV_TOKEN_SECONDS, TOKEN_PATH, LocalIssuer
from gateway.middleware.observability import configure_logging
from gateway.settings import Settings, SettingsRefused, load_settings
from gateway.stores import MalformedSecret, Stores, open_stores, secret_logins, with_secret
from gateway.telemetry import telemetry_for


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Event Log API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    stop_like_ctrl_c(signal.SIGTERM, signal.SIGHUP)
    try:
        settings = load_settings()
    except SettingsRefused as refused:
        sys.exit(str(refused))
    configure_logging(settings.log_level)
    listener = bind_listener(args.host, args.port)
    with ExitStack() as running:
        issuer = None
        if settings.auth == "dev":
            issuer = running.enter_context(LocalIssuer())
            settings = settings.model_copy(update=issuer.settings())
        resolved = _with_secret(settings)
        telemetry = telemetry_for(settings)
        stores = running.enter_context(
            open_stores(resolved, secret_logins(settings, resolved), telemetry=telemetry)
        )
        # Built before the banner: once it is printed, only uvicorn's start stands between a
        # client (or a Ctrl+C) and the server.
        app = create_app(settings, stores, telemetry=telemetry)
        host, port = listener.getsockname()[:2]
        base_url = f"http://{host}:{port}"
        text = banner(base_url, settings, stores) + access(base_url, settings, issuer)
        print(text, flush=True)  # noqa: T201
        uvicorn_server(app).run(sockets=[listener])


def stop_like_ctrl_c(*signals: signal.Signals) -> None:
    """Makes each of `signals` stop the server as Ctrl+C does. By default a SIGTERM (a service
    manager, `kill`) or a SIGHUP (the terminal closing) ends the process at once, skipping the
    ExitStack that removes the embedded stores' temporary folder and stops dynalite. While
    uvicorn serves, it answers SIGTERM itself (a graceful shutdown) and then raises it again,
    which lands here once the requests are done."""

    def as_ctrl_c(_signum: int, _frame: object) -> None:
        signal.raise_signal(signal.SIGINT)

    for each in signals:
        signal.signal(each, as_ctrl_c)


def _with_secret(settings: Settings) -> Settings:
    """EVENTLOG_DATABASE_SECRET_ARN, as on Lambda: the login and the cursor key from the secret
    (read again when SQL Server refuses the login). A secret that cannot be read stops the
    start, saying why, never what the secret holds."""
    try:
        return with_secret(settings)
    except MalformedSecret as exc:
        sys.exit(f"Cannot use the database secret: {exc}")
    except (BotoCoreError, ClientError) as exc:
        sys.exit(
            f"Cannot read the database secret ({type(exc).__name__}): check its ARN and access"
        )


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    """uvicorn as it serves the app: our JSON log lines (configure_logging) and access line.
    Each request's task starts from an empty context, not from a copy of the connection's
    callback that made it (an earlier request's context, when that request paused reading the
    connection): nothing one request sets is seen by the next."""
    config = uvicorn.Config(app, log_config=None, access_log=False, reset_contextvars=True)
    return uvicorn.Server(config)


def banner(base_url: str, settings: Settings, stores: Stores) -> str:
    lasting = "temporary: removed when this process stops" if settings.embedded else "lasting"
    return (
        f"Event Log API on {base_url}\n"
        f"  API docs: {base_url}/docs (Swagger UI), {base_url}/redoc\n"
        f"  metadata: {stores.description['metadata']}\n"
        f"  details:  {stores.description['details']}\n"
        f"  metrics:  {metrics_location(base_url, settings)}\n"
        f"  data is {lasting}. Stop with Ctrl+C.\n"
    )


def metrics_location(base_url: str, settings: Settings) -> str:
    """Where the metrics are read (gateway/rest/metrics_page.py says when /metrics is served)."""
    if settings.metrics == "off":
        return "off (EVENTLOG_METRICS=off)"
    if settings.metrics == "emf":
        return "CloudWatch EMF lines on stdout (EVENTLOG_METRICS=emf)"
    if settings.embedded:
        return f"{base_url}/metrics (Prometheus)"
    if settings.metrics_token is not None:
        return f"{base_url}/metrics (Prometheus; bearer EVENTLOG_METRICS_TOKEN)"
    return "not served: set EVENTLOG_METRICS_TOKEN to serve /metrics"


def access(base_url: str, settings: Settings, issuer: LocalIssuer | None) -> str:
    """Who may call: open, the configured issuer's tokens, or the local issuer's, with a token
    to try and the command that uses it."""
    if issuer is not None:
        hours = DEV_TOKEN_SECONDS // 3600
        return (
            f"  auth: tokens from a dev issuer, its keys made at start (JWKS {issuer.jwks_url})\n"
            f"  paste into your shell (the token is user-42's, valid {hours} hour):\n"
            f"    export ISSUER={issuer.url}\n"
            f"    export TOKEN={issuer.token('user-42')}\n"
            f'  then: curl -s {base_url}/events/user-42 -H "Authorization: Bearer $TOKEN"\n'
            f'  more tokens: curl -s "$ISSUER{TOKEN_PATH}?sub=user-7&scope=events:read"\n'
        )
    if settings.auth == "none":
        return (
            "  auth: off: anyone may read and write every user's events "
            "(make run AUTH=dev to try tokens)\n"
        )
    return f"  auth: bearer tokens from {settings.auth_issuer}\n"


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


def cli(argv: list[str]) -> None:
    """`python -m gateway [--host H] [--port P]` serves; `python -m gateway reconcile ...` and
    `python -m gateway retention ...` run those jobs instead."""
    if argv[:1] == ["reconcile"]:
        from gateway.entrypoints.reconcile import main as reconcile

        reconcile(argv[1:])
        sys.exit(0)
    if argv[:1] == ["retention"]:
        from gateway.entrypoints.retention import main as retention

        retention(argv[1:])
        sys.exit(0)
    try:
        main()
    except KeyboardInterrupt:
        # Ctrl+C before uvicorn took over the signals: the stores are already closed.
        sys.exit(0)
