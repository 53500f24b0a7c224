"""The client portal web app: static files (static/, no build step) served by the service itself.

The app routes by path in the browser, so each of its page paths (the ones the emails link to
among them) answers with index.html; any other path without a file extension gets index.html
too, with status 404, and the app shows its own "page not found". index.html is sent in the
page's language (its `lang` and the first "Loading…"), before any script runs: the `lang` query
parameter (an email's links carry their language), else the language the app last used in this
browser (the LANGUAGE_COOKIE it writes), else the browser's Accept-Language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from starlette._utils import get_route_path
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from clientela.core.validation import primary_language

STATIC = Path(__file__).parent / "static"
# Written by static/app/i18n.js; a preference, not a credential (the API reads no cookie).
LANGUAGE_COOKIE = "clientela_lang"
# The words index.html shows before the app starts, as static/app/i18n.js has them.
FIRST_WORDS = ("loading", "skip")

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


@cache
def _words() -> dict[str, dict[str, str]]:
    """FIRST_WORDS in each language of the app, read from its i18n.js (one place for the words)."""
    source = (STATIC / "app" / "i18n.js").read_text()
    blocks = re.split(r"^  ([a-z]{2}): \{$", source, flags=re.MULTILINE)[1:]
    return {
        language: {key: re.search(rf'^    {key}: "(.*)",$', block, re.MULTILINE).group(1) for key in FIRST_WORDS}
        for language, block in zip(blocks[::2], blocks[1::2], strict=True)
    }


def page_language(scope: Scope) -> str:
    """The language of the page asked for: its `lang` parameter, the app's last choice here, the
    browser's preferences (in their order of quality), English."""
    headers = Headers(scope=scope)
    chosen = primary_language(QueryParams(scope.get("query_string", b"")).get("lang"))
    chosen = chosen or primary_language(cookie_parser(headers.get("cookie", "")).get(LANGUAGE_COOKIE))
    if chosen:
        return chosen
    preferences = []
    for position, item in enumerate(headers.get("accept-language", "").split(",")):
        tag, _, quality = item.strip().partition(";q=")
        try:
            preferences.append((-float(quality or 1), position, tag))
        except ValueError:
            continue
    return next((lang for *_, tag in sorted(preferences) if (lang := primary_language(tag))), "en")


@cache
def _index_in(language: str) -> str:
    words = _words()[language]
    page = (STATIC / "index.html").read_text()
    english = _words()["en"]
    return (
        page.replace('<html lang="en">', f'<html lang="{language}">')
        .replace(f'<p id="loading">{english["loading"]}</p>', f'<p id="loading">{words["loading"]}</p>')
        .replace(f'id="skip-link">{english["skip"]}</a>', f'id="skip-link">{words["skip"]}</a>')
    )


def index_page(scope: Scope, status_code: int = 200) -> Response:
    return HTMLResponse(_index_in(page_language(scope)), status_code=status_code, headers={"Vary": "Accept-Language, Cookie"})


class PortalFiles(StaticFiles):
    def __init__(self) -> None:
        super().__init__(directory=STATIC, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        route = get_route_path(scope) or "/"
        if scope["method"] in ("GET", "HEAD") and PAGES.fullmatch(route):
            response = index_page(scope)
        else:
            try:
                response = await super().get_response(path, scope)
            except HTTPException as exc:
                if exc.status_code != 404 or "." in route.rsplit("/", 1)[-1]:
                    raise
                response = index_page(scope, status_code=404)
        response.headers.update(CACHE_HEADERS)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.update(HTML_HEADERS)
        return response


def portal_web_app() -> StaticFiles:
    return PortalFiles()
