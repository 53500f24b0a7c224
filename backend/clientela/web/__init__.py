"""The client portal web app: static files (static/, no build step) served by the service itself.

The app routes by path in the browser, so each of its page paths (the ones the emails link to
among them) answers with index.html; any other path without a file extension gets index.html
too, with status 404, and the app shows its own "page not found"."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"

# Keep in step with ROUTES in static/app/main.js.
PAGES = re.compile(r"/(?:items(?:/[^/]+)?|set-password|projects/[^/]+|organizations/[^/]+)?/?")

# Revalidate every time (a cheap 304 with the ETag), so a new version is never half-loaded.
# The other security headers (nosniff, referrer policy, framing) come from clientela.http for
# every route; the set-password page also says <meta name="referrer" content="no-referrer">.
CACHE_HEADERS = {"Cache-Control": "no-cache"}
# The portal loads nothing from elsewhere and builds its pages without inline code or styles.
HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}


class PortalFiles(StaticFiles):
    def __init__(self) -> None:
        super().__init__(directory=STATIC, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        route = get_route_path(scope) or "/"
        if scope["method"] in ("GET", "HEAD") and PAGES.fullmatch(route):
            response = await super().get_response("index.html", scope)
        else:
            try:
                response = await super().get_response(path, scope)
            except HTTPException as exc:
                if exc.status_code != 404 or "." in route.rsplit("/", 1)[-1]:
                    raise
                full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, "index.html")
                response = FileResponse(full_path, stat_result=stat_result, status_code=404)
        response.headers.update(CACHE_HEADERS)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.update(HTML_HEADERS)
        return response


def portal_web_app() -> StaticFiles:
    return PortalFiles()
