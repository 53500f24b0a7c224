"""Files over HTTP: `POST /files` uploads one (multipart/form-data, one part named `file`) as a
pending file of the viewer, which a mutation then attaches; `GET /files/{id}` downloads one the
viewer may read. Both take the bearer token only (no cookie, so no CSRF exposure); refusals
answer as GraphQL errors do, `{"errors": [{"message", "extensions": {"code", …}}]}`."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from clientela import fair_use, policy
from clientela.core import requests
from clientela.core.errors import BadUserInput, ClientelaError, RateLimited
from clientela.core.validation import shortened
from clientela.files import services
from clientela.files.types import download_path
from clientela.graphql.context import Context
from clientela.request_context import context_for
from clientela.settings import Settings

UPLOAD_PATH = "/files"
# Room in an upload's body for the multipart framing around the file: the boundaries and the
# part's headers (its file name among them).
FORM_OVERHEAD = 16 * 1024
NOT_A_FORM = "Send the file as multipart/form-data, in one part named file."
# Nothing downloaded runs or renders in the service's origin: a browser saves it, and were it
# opened in place, it would have no origin of its own and could load nothing.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def upload_limit(settings: Settings) -> tuple[int, str]:
    """The largest body `POST /files` reads (http.BodyLimit): the largest file and its framing;
    and what a refusal says."""
    return settings.upload_max_bytes + FORM_OVERHEAD, services.over_upload_limit(settings)


def refusal(error: ClientelaError) -> JSONResponse:
    # In GraphQL's shape, which the portal already reads; counted in /metrics like any refusal.
    if (record := requests.current()) is not None:
        record.refused(error)
    headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, RateLimited) else None
    body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
    return JSONResponse(body, error.http_status, headers=headers)


async def _context(request: Request) -> Context:
    context = await context_for(request, request.app.state.settings)
    await request.app.state.fair_use.take(context.fair_use_key, fair_use.GENERAL)
    if context.refusal is not None:
        raise context.refusal
    return context


async def upload(request: Request) -> Response:
    """The file is received into a spooled temporary file (python-multipart, through Starlette),
    never whole in memory; http.BodyLimit stops a body over the limit by its Content-Length, or
    while it arrives, with 413."""
    try:
        context = await _context(request)
        policy.require_not_previewing(context.previewer is not None)
        policy.require_upload(context.viewer)  # before a byte of the body is read
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            raise BadUserInput(NOT_A_FORM, field="file")
        async with request.form(max_files=1, max_fields=0) as form:
            part = form.get("file")
            if isinstance(part, str) or part is None:
                raise BadUserInput(NOT_A_FORM, field="file")
            file = await services.store_file(
                context.viewer, part.file, part.filename, request.app.state.storage, request.app.state.settings
            )
    except HTTPException as error:  # the form could not be read (python-multipart)
        return refusal(BadUserInput(f"{NOT_A_FORM} ({error.detail})", field="file"))
    except ClientelaError as error:
        return refusal(error)
    body = {"id": str(file.id), "name": file.name, "size": file.size, "contentType": file.content_type}
    return JSONResponse(body, 201, headers={"Location": download_path(file.id)})


def content_disposition(name: str) -> str:
    """Always an attachment: the name as RFC 6266 has it, in ASCII for old clients (letters,
    digits and a few marks; everything else "_") and in full as percent-encoded UTF-8, neither
    of which can carry a quote, a path or a line break into the header."""
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    fallback = shortened(re.sub(r"[^A-Za-z0-9._()\- ]+", "_", unaccented).strip(" ."), 100) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name[:200], safe='')}"


async def download(request: Request) -> Response:
    """A file the viewer may read, streamed from the store; anything else is 404, as a missing id."""
    try:
        context = await _context(request)
        file, chunks = await services.read(context.viewer, request.path_params["id"], request.app.state.storage)
    except ClientelaError as error:
        return refusal(error)
    headers = {"Content-Disposition": content_disposition(file.name), "Content-Length": str(file.size), **DOWNLOAD_HEADERS}
    return StreamingResponse(chunks, media_type=file.content_type, headers=headers)


def routes() -> list[Route]:
    return [Route(UPLOAD_PATH, upload, methods=["POST"]), Route(UPLOAD_PATH + "/{id}", download, methods=["GET"])]
