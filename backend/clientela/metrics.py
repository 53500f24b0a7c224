"""Prometheus metrics, served at GET /metrics to whoever has `CLIENTELA_METRICS_TOKEN`.

With PROMETHEUS_MULTIPROC_DIR set (before this module is imported: `clientela serve` sets it for
its workers), each process writes its values to files there and any process answers for all of
them: counters and histograms add up, the pool gauges add up over the processes alive. Without
it, the process answers for itself, with the client library's process and runtime metrics.
Figures of the database (the outbox) are read when scraped, by whichever process answers."""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from tortoise import connections

from clientela.core.requests import RequestRecord
from clientela.mail import outbox

# Operation names are the clients' to choose: each process labels at most this many distinct
# ones, and counts the rest as "other", so that no client can grow the series without bound.
OPERATION_LABELS = 200
UNNAMED, OTHER = "unnamed", "other"
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")

REQUESTS = Counter(
    "clientela_requests",
    "API requests by operation (GraphQL operation name, or the route) and outcome (OK, or the first error's extensions.code).",
    ["operation", "outcome"],
)
DURATION = Histogram(
    "clientela_request_duration_seconds",
    "Time to serve an API request, to its last byte.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
STATEMENTS = Histogram(
    "clientela_request_statements",
    "SQL statements an API request sent.",
    ["operation"],
    buckets=(1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233),
)
REFUSALS = Counter(
    "clientela_throttle_refusals",
    "Requests refused with RATE_LIMITED, by the limit that refused them "
    "(general, expensive, concurrent: fair use; attempts: sign-ins, sign-ups, resets, invitations).",
    ["limit"],
)
POOL = Gauge(
    "clientela_database_pool_connections",
    "PostgreSQL connections of the processes' pools, in use or idle (as the last request or scrape of each process left them).",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "clientela_database_pool_max_connections",
    "The most connections the processes' pools may open (0 on SQLite, which has no pool).",
    multiprocess_mode="livesum",
)

_operation_labels: set[str] = set()


def graphql_operation(name: str | None) -> str:
    """The label of a GraphQL operation's name."""
    if not name:
        return UNNAMED
    if name in _operation_labels:
        return name
    if not _GRAPHQL_NAME.fullmatch(name) or len(_operation_labels) >= OPERATION_LABELS:
        return OTHER
    _operation_labels.add(name)
    return name


def observe_request(operation: str, record: RequestRecord, outcome: str, seconds: float) -> None:
    REQUESTS.labels(operation, outcome).inc()
    DURATION.labels(operation).observe(seconds)
    STATEMENTS.labels(operation).observe(record.statements.count)
    for limit in record.refusals:
        REFUSALS.labels(limit).inc()
    observe_pool()


def observe_pool() -> None:
    # Tortoise's asyncpg client keeps its pool in `_pool`, made on first use; SQLite has none.
    pool = getattr(connections.get("default"), "_pool", None)
    if pool is None:
        return
    idle = pool.get_idle_size()
    POOL.labels("idle").set(idle)
    POOL.labels("in_use").set(pool.get_size() - idle)
    POOL_MAX.set(pool.get_max_size())


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def process_ended() -> None:
    """A process that stops leaves the pool gauges' sums."""
    if path := _multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid(), path)


class _OutboxFigures:
    def __init__(self, pending: int, oldest: datetime | None) -> None:
        self.pending, self.oldest = pending, oldest

    def collect(self):
        yield GaugeMetricFamily(
            "clientela_outbox_pending_emails", "Emails in the outbox not sent yet (due or waiting to retry).", value=self.pending
        )
        age = (datetime.now(UTC) - self.oldest).total_seconds() if self.oldest else 0.0
        yield GaugeMetricFamily(
            "clientela_outbox_oldest_pending_age_seconds",
            "How long the oldest unsent email has waited (0 when none waits).",
            value=max(0.0, age),
        )


async def exposition() -> bytes:
    observe_pool()
    if _multiprocess_dir():
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(_OutboxFigures(*await outbox.backlog()))
    return generate_latest(processes) + generate_latest(database)


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: 404 unless a token is configured, 401 without it."""
    token = request.app.state.settings.metrics_token
    if not token:
        return PlainTextResponse("Not Found", 404)
    given = request.headers.get("authorization", "").encode()
    if not secrets.compare_digest(given, f"Bearer {token}".encode()):
        return PlainTextResponse("Unauthorized", 401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(await exposition(), media_type=CONTENT_TYPE_LATEST)
