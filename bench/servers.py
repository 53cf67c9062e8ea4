"""The servers the benchmarks load, one uvicorn worker each, as `make run` serves:

    python -m bench.servers bare --port 8100       bare FastAPI doing the comparable thing
    python -m bench.servers memory --port 8101     this API over in-memory store doubles
    python -m bench.servers stores --port 8102     this API over a SQLite file and the DynamoDB
                                                   endpoint EVENTLOG_DYNAMODB_ENDPOINT names

(`make run`'s own server, `python -m gateway`, is the embedded case.) Authentication is off and
logs go where `make run`'s go, at its level: what is measured is what a user runs.
"""

import argparse
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, status
from pydantic import BaseModel, Field

from bench.doubles import MemoryDetailStore, MemoryMetadataStore
from gateway.app import create_app
from gateway.entrypoints.server import bind_listener, uvicorn_server
from gateway.middleware.observability import configure_logging
from gateway.settings import Settings
from gateway.stores import Stores, open_stores


class BareEvent(BaseModel):
    """What the anchor validates: the same fields and patterns as the API's body."""

    event_id: str | None = Field(None, alias="eventId")
    user_id: str = Field(alias="userId", pattern=r"^[A-Za-z0-9._:@+|=-]{1,128}$")
    event_type: str = Field(alias="eventType", pattern=r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
    timestamp: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


def bare_app() -> FastAPI:
    app = FastAPI()

    # async, as FastAPI's own tutorial writes them: no worker thread for code without I/O.
    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/events", status_code=status.HTTP_201_CREATED)
    async def record(event: BareEvent) -> BareEvent:
        return event

    # The comparable thing for a write to a store, whose client blocks: a sync route, which
    # FastAPI runs in a worker thread (as this API runs its store calls).
    @app.post("/blocking/events", status_code=status.HTTP_201_CREATED)
    def record_blocking(event: BareEvent) -> BareEvent:
        return event

    return app


def memory_app(**settings_given: Any) -> FastAPI:
    """The app over the in-memory doubles; `settings_given` overrides settings (metrics=...)."""
    settings = Settings(auth="none", **settings_given)
    stores = Stores(
        metadata=MemoryMetadataStore(),  # type: ignore[arg-type]
        details=MemoryDetailStore(),  # type: ignore[arg-type]
        cursor_secret=secrets.token_bytes(32),
        description={},
        engine=None,  # type: ignore[arg-type]
        dynamodb=None,  # type: ignore[arg-type]
    )
    return create_app(settings, stores)


def serve(app: FastAPI, port: int) -> None:
    listener = bind_listener("127.0.0.1", port)
    uvicorn_server(app).run(sockets=[listener])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["bare", "memory", "stores"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    configure_logging(os.environ.get("EVENTLOG_LOG_LEVEL", "INFO"))
    if args.kind == "bare":
        serve(bare_app(), args.port)
    elif args.kind == "memory":
        serve(memory_app(), args.port)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            settings = Settings(
                database_url=f"sqlite:///{Path(folder) / 'events.db'}",
                create_tables=True,
                cursor_secret=secrets.token_urlsafe(32),
                auth="none",
            )
            with open_stores(settings) as stores:
                serve(create_app(settings, stores), args.port)


if __name__ == "__main__":
    main()
