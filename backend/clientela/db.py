"""The database: Tortoise configuration, start-up and versioned migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite import SqliteClient
from tortoise.migrations.api.migrate import migrate as run_migrations

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
    "clientela.ratings.models",
]


def _with_sqlite_defaults(database_url: str) -> str:
    """SQLite waits for another process's write lock (the email worker, a second server) instead
    of failing at once with "database is locked"."""
    if not database_url.startswith("sqlite://") or "busy_timeout" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + "busy_timeout=5000"


def tortoise_config(database_url: str) -> dict:
    return {
        "connections": {"default": _with_sqlite_defaults(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "clientela.migrations",
            }
        },
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


async def connect(database_url: str) -> None:
    global _long_reads
    # uvicorn runs the lifespan in a task of its own; requests must still find the connections.
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        _long_reads = SqliteClient(connection_name="long_reads", **expand_db_url(_with_sqlite_defaults(database_url))["credentials"])
        await _long_reads.create_connection(with_db=True)


async def disconnect() -> None:
    global _long_reads
    if _long_reads is not None:
        await _long_reads.close()
        _long_reads = None
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(database_url: str) -> AsyncIterator[None]:
    await connect(database_url)
    try:
        yield
    finally:
        await disconnect()


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
        from clientela.settings import get_settings

        return tortoise_config(get_settings().database_url)
    raise AttributeError(name)
