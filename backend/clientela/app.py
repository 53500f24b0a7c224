"""The HTTP service: GraphQL at /graphql (GraphiQL in development), the CSV time report, files
(files/routes.py), and the in-process email worker."""

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

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from clientela import db, fair_use, http, metrics
from clientela.core import requests
from clientela.core.errors import BadUserInput, ClientelaError, Forbidden, RateLimited, TimedOut
from clientela.fair_use import FairAdmission, FairUse
from clientela.files import routes as files
from clientela.files.storage import Storage, storage_from_settings
from clientela.graphql.context import Context
from clientela.graphql.errors import graphql_error
from clientela.graphql.schema import build_schema
from clientela.mail.worker import run_worker
from clientela.observe import ObserveRequests
from clientela.portal.settings import default_portal_settings
from clientela.reports import services as reports
from clientela.request_context import context_for
from clientela.settings import Settings, get_settings
from clientela.web import portal_web_app

log = logging.getLogger("clientela")


GRAPHQL_RESPONSE = "application/graphql-response+json"
# Set by process_result, read by create_response: both run in the request's task.
_response_media: contextvars.ContextVar[tuple[str, int]] = contextvars.ContextVar("response_media")
_retry_after: contextvars.ContextVar[int | None] = contextvars.ContextVar("retry_after", default=None)


def _prefers_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE in accept and (
        "application/json" not in accept or accept.index(GRAPHQL_RESPONSE) < accept.index("application/json")
    )


class ClientelaGraphQL(GraphQL):
    def __init__(self, settings: Settings, budget: FairUse | None = None, storage: Storage | None = None) -> None:
        super().__init__(
            build_schema(development=settings.development, introspection=settings.introspection),
            graphql_ide="graphiql" if settings.development else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.budget = budget
        self.storage = storage

    async def get_context(self, request, response) -> Context:
        return await context_for(request, self.settings, self.budget, self.storage)

    async def process_result(self, request, result):
        """GraphQL over HTTP: with application/graphql-response+json, a document that never ran
        (parse, validation or variable errors) is a 400 without a data entry, and one refused
        by the fair-use budget a 429; either way such a refusal carries a Retry-After header."""
        response = await super().process_result(request, result)
        if (record := requests.current()) is not None:
            for error in result.errors or ():
                extensions = error.extensions or {}
                record.error(extensions.get("code", "INTERNAL_SERVER_ERROR"), extensions.get("limit"))
        refused = [e for e in result.errors or () if e.path is None and (e.extensions or {}).get("code") == "RATE_LIMITED"]
        _retry_after.set(refused[0].extensions.get("retryAfterSeconds") if refused else None)
        if not _prefers_graphql_response(request):
            _response_media.set(("application/json", 200))
            return response
        never_ran = result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
        if never_ran:
            response.pop("data", None)
        _response_media.set((GRAPHQL_RESPONSE, (429 if refused else 400) if never_ran else 200))
        return response

    def create_response(self, response_data, sub_response):
        response = super().create_response(response_data, sub_response)
        media, status = _response_media.get(("application/json", 200))
        response.headers["content-type"] = media if media == "application/json" else f"{media}; charset=utf-8"
        if status != 200 and not sub_response.status_code:
            response.status_code = status
        if (retry_after := _retry_after.get()) is not None:
            response.headers["retry-after"] = str(retry_after)
        return response

    async def execute_operation(self, *args, **kwargs):
        context = kwargs.get("context")
        request_data = kwargs.get("request_data")
        if (record := requests.current()) is not None and request_data is not None:
            record.operation = request_data.operation_name  # until the document, once parsed, names it

        async def run():
            # Every request draws on its session's budget, before its document is even parsed.
            if context is not None and context.fair_use is not None:
                await context.fair_use.take(context.fair_use_key, fair_use.GENERAL)
            if context is not None and context.refusal is not None:
                raise context.refusal
            return await super(ClientelaGraphQL, self).execute_operation(*args, **kwargs)

        try:
            return await asyncio.wait_for(run(), self.settings.request_timeout_seconds)
        except ClientelaError as error:  # the budget, or a preview refused
            return ExecutionResult(data=None, errors=[graphql_error(error)])
        except TimeoutError:
            stopped = TimedOut(_timeout_message(self.settings.request_timeout_seconds), limit="time")
            return ExecutionResult(data=None, errors=[graphql_error(stopped)])


class TimeLimitedStreamingResponse(StreamingResponse):
    """A streamed response that stops sending at `deadline` (the event loop's clock) plus a
    second of grace, even when the client has stopped reading: the connection is then closed
    without the response's end, which every HTTP client reports as an incomplete transfer."""

    def __init__(self, content, *, deadline: float, **kwargs) -> None:
        super().__init__(content, **kwargs)
        self.deadline = deadline

    async def __call__(self, scope, receive, send) -> None:
        with anyio.move_on_after(max(0.0, self.deadline - anyio.current_time()) + 1.0):
            await super().__call__(scope, receive, send)


def error_response(error: ClientelaError) -> JSONResponse:
    """What an HTTP route answers for `error`."""
    if (record := requests.current()) is not None:
        record.refused(error)
    headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, RateLimited) else None
    return JSONResponse({"error": error.message, **error.extensions}, error.http_status, headers=headers)


PREVIEW_NO_REPORTS = "Reports cannot be read while previewing the portal as a client."


def _timeout_message(seconds: float) -> str:
    return f"The request ran longer than {seconds:g} seconds and was stopped."


async def time_report_csv(request: Request) -> Response:
    """GET /reports/time.csv?from=YYYY-MM-DD&to=YYYY-MM-DD, authenticated by the bearer token;
    streamed, so a year of time entries never sits in memory.

    The whole request, streaming included, has the time limit of a GraphQL request
    (`request_timeout_seconds`). Everything up to the first rows (sign-in, permission, the first
    chunk) runs before the response starts, so a request that runs out of time there is answered
    503 with code TIMEOUT; one that runs out while streaming ends with a last line saying that
    the export was cut there."""
    settings = request.app.state.settings
    limit = settings.request_timeout_seconds
    deadline = anyio.current_time() + limit
    try:
        start = dt.date.fromisoformat(request.query_params.get("from", ""))
        end = dt.date.fromisoformat(request.query_params.get("to", ""))
    except ValueError:
        return error_response(BadUserInput("from and to must be dates (YYYY-MM-DD)."))
    try:
        with anyio.fail_after(limit):
            context = await context_for(request, settings)
            budget: FairUse = request.app.state.fair_use
            await budget.take(context.fair_use_key, fair_use.GENERAL)
            if context.refusal is not None:
                raise context.refusal
            if context.previewer is not None:  # clients read no reports: nothing to preview
                raise Forbidden(PREVIEW_NO_REPORTS)
            batches = reports.time_entries_csv(context.viewer, start, end)
            header = await anext(batches)  # the permission and the dates checked
            await budget.take(context.fair_use_key, fair_use.EXPENSIVE)
            first = await anext(batches, [])
    except TimeoutError:
        return error_response(TimedOut(_timeout_message(limit)))
    except ClientelaError as error:
        return error_response(error)

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(header)
        writer.writerows(first)
        batch = first
        while batch:
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            try:
                with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                    batch = await anext(batches, [])
            except TimeoutError:
                writer.writerow(
                    [f"# Cut here: {_timeout_message(limit)} Rows after this line are missing; export a shorter period."]
                )
                break
            writer.writerows(batch)
            await budget.admission.background_step()  # interactive requests go first
        yield buffer.getvalue()

    filename = f"time-report-{start}-{end}.csv"
    return TimeLimitedStreamingResponse(
        lines(),
        deadline=deadline,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def healthz(request: Request) -> Response:
    """Liveness: the process answers (it reads no database)."""
    return PlainTextResponse("ok")


# A database that takes longer than this to answer a probe is as good as down.
READINESS_TIMEOUT_SECONDS = 2.0


async def readyz(request: Request) -> Response:
    """Readiness: the database answers and has every migration applied."""
    try:
        pending = await asyncio.wait_for(db.pending_migrations(), READINESS_TIMEOUT_SECONDS)
    except Exception as error:
        log.warning("Not ready: the database does not answer (%s)", type(error).__name__)
        return PlainTextResponse("not ready: the database does not answer", 503)
    if pending:
        return PlainTextResponse(f"not ready: {len(pending)} migrations not applied ({', '.join(pending)})", 503)
    return PlainTextResponse("ready")


def create_app(
    settings: Settings | None = None,
    *,
    run_email_worker: bool = True,
    manage_database: bool = True,
    storage: Storage | None = None,
) -> Starlette:
    settings = settings or get_settings()
    storage = storage or storage_from_settings(settings)
    # A bad portal configuration stops start-up here, naming the file and the key.
    default_portal_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await db.connect(settings.database_url, settings)
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop, storage=storage)) if run_email_worker else None
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
            metrics.process_ended()

    budget = FairUse(settings)
    graphql = ClientelaGraphQL(settings, budget, storage)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/reports/time.csv", time_report_csv),
            *files.routes(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.metrics_endpoint),
            Mount("/", app=portal_web_app()),
        ],
        lifespan=lifespan,
        # Outermost, the request's log line and metrics; innermost, fair use, where the client
        # address is known (trusted proxies) and a refusal has the headers.
        middleware=[
            Middleware(ObserveRequests, slow_seconds=settings.slow_query_seconds),
            *http.middleware(settings),
            Middleware(FairAdmission, fair_use=budget),
        ],
    )
    app.state.settings = settings
    app.state.fair_use = budget
    app.state.storage = storage
    return app


def create_api_app() -> Starlette:
    """The service without the in-process email worker (`clientela serve --no-worker`), for
    uvicorn to build in each worker process."""
    return create_app(run_email_worker=False)
