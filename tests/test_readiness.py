"""/healthz says the process is alive; /readyz that it can serve: the database answers and has
every migration applied. And the PostgreSQL pool and statement timeout the settings ask for."""

from __future__ import annotations

import asyncio
import logging
import os

import asyncpg
import httpx
import pytest
from tortoise import connections

from clientela import db
from clientela.settings import Settings
from serving import UVICORN, free_port, serving


async def test_ready_when_the_database_answers_with_every_migration_applied(api):
    response = await api.client.get("/readyz")
    assert (response.status_code, response.text) == (200, "ready")
    assert (await api.client.get("/healthz")).status_code == 200


async def test_not_ready_while_a_migration_is_not_applied(api):
    connection = connections.get("default")
    _, rows = await connection.execute_query('SELECT "app", "name", "applied_at" FROM "tortoise_migrations" ORDER BY "name" DESC')
    latest = rows[0]
    parameter = "$1" if db.is_postgres() else "?"
    await connection.execute_query(f'DELETE FROM "tortoise_migrations" WHERE "name" = {parameter}', [latest["name"]])
    try:
        response = await api.client.get("/readyz")
        assert response.status_code == 503
        assert response.text == f"not ready: 1 migrations not applied ({latest['name']})"
        assert (await api.client.get("/healthz")).status_code == 200  # alive all the same
    finally:
        marks = "$1, $2, $3" if db.is_postgres() else "?, ?, ?"
        await connection.execute_query(
            f'INSERT INTO "tortoise_migrations" ("app", "name", "applied_at") VALUES ({marks})',
            [latest["app"], latest["name"], latest["applied_at"]],
        )
    assert (await api.client.get("/readyz")).status_code == 200


async def test_not_ready_while_the_database_does_not_answer():
    """The service as a process manager starts it, over a PostgreSQL server that is not there."""
    nowhere = f"postgres://clientela:clientela@127.0.0.1:{free_port()}/clientela"
    async with serving(nowhere, program=UVICORN) as served:
        async with httpx.AsyncClient(base_url=served.url) as client:
            assert (await client.get("/healthz")).status_code == 200
            response = await client.get("/readyz")
    assert (response.status_code, response.text) == (503, "not ready: the database does not answer")


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL", "").startswith("postgres"), reason="a pool and a timeout of PostgreSQL's"
)
async def test_the_postgresql_pool_statement_timeout_and_slow_statement_log_follow_the_settings(database, caplog):
    from tortoise.backends.asyncpg import AsyncpgDBClient

    settings = Settings(
        database_pool_min_size=2, database_pool_max_size=3, database_statement_timeout_seconds=0.25, slow_query_seconds=0.05
    )
    credentials = db.tortoise_config(database, settings)["connections"]["default"]["credentials"]
    client = AsyncpgDBClient(connection_name="settings", **credentials)
    await client.create_connection(with_db=True)
    try:
        assert (client._pool.get_min_size(), client._pool.get_max_size()) == (2, 3)
        _, [row] = await client.execute_query("SHOW statement_timeout")
        assert row["statement_timeout"] == "250ms"
        with pytest.raises(asyncpg.QueryCanceledError):
            await client.execute_query("SELECT pg_sleep(2)")
        with caplog.at_level(logging.WARNING, logger="clientela.sql"):
            await client.execute_query("SELECT 1")
            await client.execute_query("SELECT pg_sleep($1)", [0.1])
            await asyncio.sleep(0)  # asyncpg hands the record to its loggers with call_soon
    finally:
        await client.close()
    [slow] = [r for r in caplog.records if r.name == "clientela.sql" and "pg_sleep($1)" in str(r.sql)]
    assert slow.levelno == logging.WARNING and slow.duration_ms >= 100 and slow.sql == ["SELECT pg_sleep($1)"]
    assert not [r for r in caplog.records if r.name == "clientela.sql" and r.sql == ["SELECT 1"]]


@pytest.mark.skipif(not os.environ.get("CLIENTELA_TEST_DATABASE_URL", "").startswith("postgres"), reason="a pool of PostgreSQL's")
async def test_a_postgresql_connection_goes_back_to_the_pool_without_a_reset_round_trip(database):
    """asyncpg's default reset (RESET ALL and three more) costs a round trip after every
    statement; without it a session setting outlives its statement, and an open transaction is
    still rolled back."""
    from tortoise.backends.asyncpg import AsyncpgDBClient

    settings = Settings(database_pool_min_size=1, database_pool_max_size=1)
    credentials = db.tortoise_config(database, settings)["connections"]["default"]["credentials"]
    client = AsyncpgDBClient(connection_name="reset", **credentials)
    await client.create_connection(with_db=True)
    try:
        await client.execute_query("SET application_name = 'kept'")
        _, [row] = await client.execute_query("SHOW application_name")
        assert row["application_name"] == "kept"
        async with client._pool.acquire() as connection:
            await connection.execute("BEGIN; CREATE TEMPORARY TABLE left_open (x int)")
        _, [row] = await client.execute_query("SELECT to_regclass('pg_temp.left_open') IS NULL AS rolled_back")
        assert row["rolled_back"]
    finally:
        await client.close()
