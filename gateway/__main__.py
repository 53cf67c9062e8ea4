"""`python -m gateway` (what `make run` starts): open the stores, say where they are, serve."""

import argparse

import uvicorn

from gateway.app import create_app
from gateway.observability import configure_logging
from gateway.settings import get_settings
from gateway.stores import open_stores


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Event Log API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    settings = get_settings()
    configure_logging(settings.log_level)
    with open_stores(settings) as stores:
        base = f"http://{args.host}:{args.port}"
        lasting = "temporary: removed when this process stops" if settings.embedded else "lasting"
        print(  # noqa: T201 - the banner is this command's output
            f"Event Log API on {base}\n"
            f"  API docs (Swagger UI): {base}/docs   ReDoc: {base}/redoc\n"
            f"  metadata: {stores.description['metadata']}\n"
            f"  details:  {stores.description['details']}\n"
            f"  data is {lasting}\n",
            flush=True,
        )
        app = create_app(settings, stores)
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
