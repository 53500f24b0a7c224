"""Each request, seen from outside: one log line (clientela.requests) and, for the API, its
metrics. The outermost middleware, so that what it times and counts is the whole request."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientela import metrics
from clientela.core import requests
from clientela.core.statements import shortened

log = logging.getLogger("clientela.requests")

# Probes and scrapes come every few seconds and say nothing about use.
UNLOGGED = frozenset({"/healthz", "/readyz", "/metrics"})
GRAPHQL = "/graphql"
# The API's routes besides GraphQL, each its own operation in the metrics.
API_ROUTES = frozenset({"/reports/time.csv"})


class ObserveRequests:
    def __init__(self, app: ASGIApp, *, slow_seconds: float) -> None:
        self.app = app
        self.slow_seconds = slow_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLOGGED:
            return await self.app(scope, receive, send)
        status = 500  # unless the app answers: it failed, and the server says 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        with requests.recording() as record:
            try:
                await self.app(scope, receive, noting_status)
            finally:
                self._finished(scope, record, status, time.perf_counter() - started)

    def _finished(self, scope: Scope, record: requests.RequestRecord, status: int, seconds: float) -> None:
        path = scope["path"]
        if path in API_ROUTES:
            record.operation = path
        outcome = record.codes[0] if record.codes else ("OK" if status < 400 else f"HTTP_{status}")
        if path == GRAPHQL or path in API_ROUTES:
            metrics.observe_request(
                metrics.graphql_operation(record.operation) if path == GRAPHQL else path, record, outcome, seconds
            )
        milliseconds = round(seconds * 1000, 1)
        slow = seconds >= self.slow_seconds
        fields = {
            "method": scope["method"],
            "path": path,
            "status": status,
            "outcome": outcome,
            "duration_ms": milliseconds,
            "statements": record.statements.count,
        }
        if slow:
            fields["sql"] = [shortened(statement) for statement in record.statements.statements]
        named = f"{path} {record.operation}" if record.operation and path != record.operation else path
        log.log(
            logging.WARNING if slow else logging.INFO,
            "%s%s %s: %s %s in %s ms, %s statements",
            "Slow request: " if slow else "",
            scope["method"],
            named,
            status,
            outcome,
            milliseconds,
            record.statements.count,
            extra=fields,
        )
