"""The HTTP service: GraphQL at /graphql (GraphiQL in development), the CSV time report, and
the in-process email worker."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import csv
import datetime as dt
import gc
import io
import logging
from collections.abc import AsyncIterator

from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from clientela import db, http, policy
from clientela.accounts import services as accounts
from clientela.core.errors import ClientelaError
from clientela.graphql.context import Context
from clientela.graphql.schema import build_schema
from clientela.mail.worker import run_worker
from clientela.portal.settings import default_portal_settings
from clientela.reports import services as reports
from clientela.settings import Settings, get_settings
from clientela.web import portal_web_app

log = logging.getLogger("clientela")


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def context_for(connection: HTTPConnection, settings: Settings) -> Context:
    """Who is asking, worked out once per request from the bearer token."""
    token = bearer_token(connection)
    user = await accounts.user_for_token(token)
    return Context(
        viewer=await policy.viewer_for(user),
        settings=settings,
        client_ip=connection.client.host if connection.client else "unknown",
        session_token=token,
    )


GRAPHQL_RESPONSE = "application/graphql-response+json"
# Set by process_result, read by create_response: both run in the request's task.
_response_media: contextvars.ContextVar[tuple[str, int]] = contextvars.ContextVar("response_media")


def _prefers_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE in accept and (
        "application/json" not in accept or accept.index(GRAPHQL_RESPONSE) < accept.index("application/json")
    )


class ClientelaGraphQL(GraphQL):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(development=settings.development, introspection=settings.introspection),
            graphql_ide="graphiql" if settings.development else None,
            allow_queries_via_get=True,
        )
        self.settings = settings

    async def get_context(self, request, response) -> Context:
        return await context_for(request, self.settings)

    async def process_result(self, request, result):
        """GraphQL over HTTP: with application/graphql-response+json, a document that never ran
        (parse, validation or variable errors) is a 400 without a data entry."""
        response = await super().process_result(request, result)
        if not _prefers_graphql_response(request):
            _response_media.set(("application/json", 200))
            return response
        never_ran = result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
        if never_ran:
            response.pop("data", None)
        _response_media.set((GRAPHQL_RESPONSE, 400 if never_ran else 200))
        return response

    def create_response(self, response_data, sub_response):
        response = super().create_response(response_data, sub_response)
        media, status = _response_media.get(("application/json", 200))
        response.headers["content-type"] = media if media == "application/json" else f"{media}; charset=utf-8"
        if status != 200 and not sub_response.status_code:
            response.status_code = status
        return response

    async def execute_operation(self, *args, **kwargs):
        try:
            return await asyncio.wait_for(
                super().execute_operation(*args, **kwargs),
                self.settings.request_timeout_seconds,
            )
        except TimeoutError:
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"The request ran longer than {self.settings.request_timeout_seconds:g} seconds and was stopped.",
                        extensions={"code": "TIMEOUT", "limit": "time"},
                    )
                ],
            )


async def time_report_csv(request: Request) -> Response:
    """GET /reports/time.csv?from=YYYY-MM-DD&to=YYYY-MM-DD, authenticated by the bearer token;
    streamed, so a year of time entries never sits in memory."""
    context = await context_for(request, request.app.state.settings)
    try:
        start = dt.date.fromisoformat(request.query_params.get("from", ""))
        end = dt.date.fromisoformat(request.query_params.get("to", ""))
    except ValueError:
        return JSONResponse({"error": "from and to must be dates (YYYY-MM-DD).", "code": "BAD_USER_INPUT"}, 400)
    rows = reports.time_entries_csv(context.viewer, start, end)
    try:
        header = await anext(rows)
    except ClientelaError as error:
        code = error.extensions["code"]
        status = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "BAD_USER_INPUT": 400}.get(code, 400)
        return JSONResponse({"error": error.message, "code": code}, status)

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        async for row in rows:
            writer.writerow(row)
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"time-report-{start}-{end}.csv"
    return StreamingResponse(
        lines(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(settings: Settings | None = None, *, run_email_worker: bool = True, manage_database: bool = True) -> Starlette:
    settings = settings or get_settings()
    # A bad portal configuration stops start-up here, naming the file and the key.
    default_portal_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await db.connect(settings.database_url)
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop)) if run_email_worker else None
        # What start-up made lives as long as the process: keep the collector from walking it.
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            if worker:
                await worker
            if manage_database:
                await db.disconnect()

    graphql = ClientelaGraphQL(settings)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/reports/time.csv", time_report_csv),
            Route("/healthz", healthz),
            Mount("/", app=portal_web_app()),
        ],
        lifespan=lifespan,
        middleware=http.middleware(settings),
    )
    app.state.settings = settings
    return app
