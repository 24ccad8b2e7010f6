"""Swagger UI (/docs) and ReDoc (/redoc) served by the API itself: no CDN, so they work
on a machine with no internet (FastAPI's own pages load their script from a CDN and were
blank offline).

The files are those of the `fastapi-offline` package (Swagger UI 5 and ReDoc 2, the
versions FastAPI's pages load), served from /docs/assets/ by name; the pages are FastAPI's
own (`get_swagger_ui_html`, `get_redoc_html`) pointed at them, ReDoc without Google Fonts,
and Swagger UI with no online validator. /docs/oauth2-redirect keeps Swagger's OAuth2
flows working. tests/test_docs.py renders /docs in Chromium with every other host blocked.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

from app.core.errors import NotFound

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
# The package's folder of Swagger UI and ReDoc files (read once, served by name).
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
# Swagger UI's defaults that would reach the internet: the online validator badge.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
# The assets change only with the package's version: let browsers keep them a day.
_CACHE = {"Cache-Control": "public, max-age=86400"}
# The pages may load nothing from another origin: ReDoc's footer has a logo from its CDN
# built in (its `onError` hides it when refused); Swagger UI and ReDoc start from inline
# scripts, ReDoc's search runs in a worker made from a blob.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)


def _same_origin_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def install_docs(app: FastAPI) -> None:
    """Add /docs, /docs/oauth2-redirect, /redoc and /docs/assets/{name} to `app` (created
    with `docs_url=None, redoc_url=None`); none of them is in the OpenAPI document."""
    assets = {path.name: path for path in ASSETS_DIR.iterdir() if path.is_file()}
    missing = {SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON} - set(assets)
    if missing:
        raise RuntimeError(f"fastapi-offline lacks {sorted(missing)} in {ASSETS_DIR}")
    parameters = {**SWAGGER_UI_PARAMETERS, **(app.swagger_ui_parameters or {})}

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{ASSETS_URL}/{name}"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=asset(request, SWAGGER_JS),
            swagger_css_url=asset(request, SWAGGER_CSS),
            swagger_favicon_url=asset(request, FAVICON),
            swagger_ui_parameters=parameters,
            init_oauth=app.swagger_ui_init_oauth,
        )
        return _same_origin_only(page)

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=f"{request.scope.get('root_path', '')}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=asset(request, REDOC_JS),
            redoc_favicon_url=asset(request, FAVICON),
            with_google_fonts=False,
        )
        return _same_origin_only(page)

    @app.get(f"{ASSETS_URL}/{{name}}", include_in_schema=False)
    async def docs_asset(name: str) -> FileResponse:
        path = assets.get(name)
        if path is None:
            raise NotFound(f"No documentation asset named {name!r}")
        return FileResponse(path, headers=_CACHE)
