"""`/docs` (Swagger UI) and `/redoc`, with their scripts served locally when installed."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from gateway.assets import OfflineAssets, root_path

# No favicon from the internet: a page that works offline should not ask for one.
_NO_FAVICON = "data:,"


def install_docs_pages(app: FastAPI, assets: OfflineAssets) -> None:
    title = app.title

    def openapi_url(request: Request) -> str:
        """Behind a path prefix (an API Gateway base path) the spec is under it too."""
        return root_path(request) + (app.openapi_url or "")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url(request),
            title=f"{title} - Swagger UI",
            swagger_favicon_url=_NO_FAVICON,
        )
        return HTMLResponse(assets.localize(bytes(page.body).decode(), root_path(request)))

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url(request),
            title=f"{title} - ReDoc",
            redoc_favicon_url=_NO_FAVICON,
            with_google_fonts=False,
        )
        return HTMLResponse(assets.localize(bytes(page.body).decode(), root_path(request)))
