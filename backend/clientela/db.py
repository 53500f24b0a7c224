"""The database: Tortoise configuration, start-up and versioned migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite import SqliteClient
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor

from clientela.core import statements
from clientela.settings import Settings, get_settings

MODEL_MODULES = [
    "clientela.workspaces.models",
    "clientela.people.models",
    "clientela.accounts.models",
    "clientela.organizations.models",
    "clientela.projects.models",
    "clientela.tasks.models",
    "clientela.sharing.models",
    "clientela.partners.models",
    "clientela.conversations.models",
    "clientela.mail.models",
    "clientela.audit.models",
    "clientela.inbound.models",
    "clientela.targets.models",
    "clientela.automations.models",
    "clientela.files.models",
    "clientela.ratings.models",
]

APP = {"models": MODEL_MODULES, "default_connection": "default", "migrations": "clientela.migrations"}


def _with_sqlite_defaults(database_url: str) -> str:
    """SQLite waits for another process's write lock (the email worker, a second server) instead
    of failing at once with "database is locked"."""
    if not database_url.startswith("sqlite://") or "busy_timeout" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + "busy_timeout=5000"


def _connection(database_url: str, settings: Settings | None) -> str | dict:
    """The URL as it is, or on PostgreSQL (asyncpg) with `settings`' pool bounds, statement
    timeout and slow-statement log."""
    if settings is None:
        return _with_sqlite_defaults(database_url)
    expanded = expand_db_url(database_url)
    if expanded["engine"] != "tortoise.backends.asyncpg":
        return _with_sqlite_defaults(database_url)
    timeout_ms = round(settings.database_statement_timeout_seconds * 1000)
    expanded["credentials"].update(
        minsize=settings.database_pool_min_size,
        maxsize=settings.database_pool_max_size,
        server_settings={**expanded["credentials"].get("server_settings", {}), "statement_timeout": str(timeout_ms)},
        init=statements.slow_statement_logger(settings.slow_query_seconds),
        reset=_keep_session,
    )
    return expanded


async def _keep_session(connection) -> None:
    """What a connection back in the pool needs beyond what asyncpg always does (roll back an
    open transaction, drop listeners): nothing. asyncpg's default sends `RESET ALL`, `CLOSE ALL`,
    `UNLISTEN *` and `pg_advisory_unlock_all()`: one more round trip after every statement
    Tortoise runs outside a transaction, which acquires and releases a connection each time.
    Nothing here changes session state (no SET, cursors held across statements, LISTEN or
    advisory locks); the statement timeout is a startup setting, which RESET ALL keeps anyway."""


def tortoise_config(database_url: str, settings: Settings | None = None) -> dict:
    return {
        "connections": {"default": _connection(database_url, settings)},
        "apps": {"models": APP},
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str) -> None:
    """Apply every migration not yet applied (what `clientela migrate` does).

    On SQLite the foreign keys are off while migrating, as SQLite's own procedure for changing
    a table asks: SQLite changes a column by copying its table, and dropping the old copy with
    foreign keys on deletes every row that refers to it, in cascade (Tortoise's schema editor
    does not turn them off). That every reference still holds is checked after. SQLite's query
    planner then gets fresh statistics (ANALYZE): without them it takes an index on the
    workspace, which every row shares, over the handful of ids a client's filtered list names
    (PostgreSQL keeps its statistics by itself)."""
    sqlite = database_url.startswith("sqlite://")
    if sqlite and "foreign_keys" not in database_url:
        database_url += ("&" if "?" in database_url else "?") + "foreign_keys=OFF"
    await run_migrations(config=tortoise_config(database_url))
    try:
        if sqlite:
            _, broken = await connections.get("default").execute_query("PRAGMA foreign_key_check")
            if broken:
                raise RuntimeError(f"Migrating left {len(broken)} rows referring to nothing, first: {tuple(broken[0])}")
            await connections.get("default").execute_script("ANALYZE")
    finally:
        await Tortoise.close_connections()


# Long reads (reports, the CSV export) run on a connection of their own. On SQLite, where one
# connection runs every statement in turn, a half-second aggregate would otherwise hold every
# other request's statements; a second connection reads the committed data beside it (WAL mode,
# Tortoise's default) in its own thread. PostgreSQL's pool already runs statements side by side.
# It stays out of Tortoise's configuration, where a second connection would make every
# `in_transaction()` name its connection.
_long_reads: SqliteClient | None = None


async def connect(database_url: str, settings: Settings | None = None) -> None:
    """Connect with `settings`' pool, timeout and slow-query threshold (else the environment's)."""
    global _long_reads
    statements.install()
    # uvicorn runs the lifespan in a task of its own; requests must still find the connections.
    await Tortoise.init(config=tortoise_config(database_url, settings or get_settings()), _enable_global_fallback=True)
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        _long_reads = SqliteClient(
            connection_name="long_reads", **expand_db_url(_with_sqlite_defaults(database_url))["credentials"]
        )
        await _long_reads.create_connection(with_db=True)


async def disconnect() -> None:
    global _long_reads
    if _long_reads is not None:
        await _long_reads.close()
        _long_reads = None
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(database_url: str, settings: Settings | None = None) -> AsyncIterator[None]:
    await connect(database_url, settings)
    try:
        yield
    finally:
        await disconnect()


async def pending_migrations() -> list[str]:
    """The migrations the database has not applied, by name; raises when it does not answer."""
    connection = connections.get("default")
    await connection.execute_query("SELECT 1")  # Tortoise reads a failing database as one with no migrations
    plan = await MigrationExecutor(connection, {"models": APP}).plan()
    return [step.migration.name for step in plan]


def long_reads() -> BaseDBAsyncClient:
    """The connection for reads that take long: its own on SQLite, the pool on PostgreSQL."""
    from tortoise import connections

    return _long_reads or connections.get("default")


def is_postgres() -> bool:
    from tortoise import connections

    return connections.get("default").capabilities.dialect == "postgres"


def __getattr__(name: str) -> dict:
    # `tortoise -c clientela.db.TORTOISE_ORM makemigrations` reads the configuration from here.
    if name == "TORTOISE_ORM":
        return tortoise_config(get_settings().database_url)
    raise AttributeError(name)
