"""The SQL statements a piece of work sends: counted where Tortoise reports them, and on
PostgreSQL timed by the driver, so that slow ones are logged.

Tortoise logs every statement, with its parameters, at DEBUG on `tortoise.db_client` just before
sending it. `install` puts a counter there that adds it to each tally open in the current
context (`counting`: a request, a test), so concurrent requests each count their own, and stops
the logger from passing records on: parameters (password hashes, token hashes, message bodies)
never reach a log. Tortoise gives no end of a statement; asyncpg's query loggers do (`elapsed`),
so on PostgreSQL `slow_statement_logger` logs each statement over the threshold with its SQL,
which holds placeholders, never values."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
# A logged statement's text is cut here: enough to recognise it and run EXPLAIN on it.
LOGGED_SQL_CHARACTERS = 2_000

log = logging.getLogger("clientela.sql")


@dataclass
class Tally:
    """Statements sent while it was open; `statements` keeps the first `keep` texts (all of
    them when `keep` is None)."""

    keep: int | None = None
    parent: Tally | None = None
    count: int = 0
    statements: list[str] = field(default_factory=list)

    def add(self, sql: str) -> None:
        tally: Tally | None = self
        while tally is not None:
            tally.count += 1
            if tally.keep is None or len(tally.statements) < tally.keep:
                tally.statements.append(sql)
            tally = tally.parent


_open: ContextVar[Tally | None] = ContextVar("statement_tally", default=None)


@contextmanager
def counting(keep: int | None = None) -> Iterator[Tally]:
    """Count the statements sent in this context (and the tasks it starts) until the block
    ends; an enclosing tally counts them too."""
    tally = Tally(keep=keep, parent=_open.get())
    token = _open.set(tally)
    try:
        yield tally
    finally:
        _open.reset(token)


class _Counter(logging.Handler):
    def handle(self, record: logging.LogRecord) -> bool:
        tally = _open.get()
        if tally is None:
            return False
        # Tortoise logs ("%s: %s", sql, parameters), or a script's SQL as the message itself.
        sql = record.args[0] if record.args and record.msg == "%s: %s" else record.msg
        if isinstance(sql, str) and sql.lstrip()[:6].upper().startswith(STATEMENTS):
            tally.add(sql)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # handle() does the work, without the lock
        pass


def install() -> None:
    """Count statements from now on (idempotent)."""
    logger = logging.getLogger("tortoise.db_client")
    if not any(isinstance(handler, _Counter) for handler in logger.handlers):
        logger.addHandler(_Counter())
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


def shortened(sql: str) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= LOGGED_SQL_CHARACTERS else sql[: LOGGED_SQL_CHARACTERS - 1] + "…"


def slow_statement_logger(threshold_seconds: float) -> Callable[[Any], Awaitable[None]]:
    """asyncpg's `init` for each new connection of a pool: a statement that took at least
    `threshold_seconds` is logged at WARNING with its duration and SQL. asyncpg calls the
    logger in the context of the code that ran the statement, so the line carries the request's
    id and operation (clientela.logs)."""

    def logged(query) -> None:  # an asyncpg LoggedQuery; its `args` are never read
        if query.elapsed >= threshold_seconds:
            milliseconds = round(query.elapsed * 1000, 1)
            log.warning(
                "Slow statement: %s ms",
                milliseconds,
                extra={"duration_ms": milliseconds, "sql": [shortened(query.query)]},
            )

    async def init(connection) -> None:
        connection.add_query_logger(logged)

    return init
