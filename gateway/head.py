"""HEAD on every route that answers GET: the same status and headers, no body (RFC 9110 §9.3.2).

FastAPI routes declare GET alone, so HEAD would be a 405; answering it here, as the GET it asks
about, keeps the two identical by construction (Content-Length included) without a second route
per path or an operation per path in the OpenAPI description.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, headers_only)
        finally:
            if "route" in as_get:  # the route that answered, for the request's metrics
                scope["route"] = as_get["route"]
