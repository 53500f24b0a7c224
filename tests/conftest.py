"""Test fixtures: a real database (SQLite by default, PostgreSQL when
CLIENTELA_TEST_DATABASE_URL points at one), migrated once per run and emptied before each test."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Generous limits for the suite; the throttling tests set their own.
os.environ.setdefault("CLIENTELA_SIGNUPS_PER_IP_PER_HOUR", "100000")
os.environ.setdefault("CLIENTELA_PUBLIC_URL", "http://clientela.test")
os.environ.setdefault("CLIENTELA_SECRET_KEY", "test-secret-key")

from clientela import db  # noqa: E402

pytest_plugins = ["smtp_server"]

DATABASE_URL = os.environ.get("CLIENTELA_TEST_DATABASE_URL") or (
    f"sqlite://{Path(tempfile.mkdtemp(prefix='clientela-test-')) / 'test.db'}"
)


@pytest.fixture(scope="session")
async def database():
    await db.migrate(DATABASE_URL)
    await db.connect(DATABASE_URL)
    yield DATABASE_URL
    await db.disconnect()


@pytest.fixture(autouse=True)
async def clean_database(database):
    from support import wipe_database

    await wipe_database()
    yield


@pytest.fixture
async def api(database):
    import httpx

    from clientela.app import create_app
    from support import Api

    app = create_app(run_email_worker=False, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://clientela.test") as client:
        yield Api(client)


@pytest.fixture
def factory():
    from support import Factory

    return Factory()


@pytest.fixture
async def world(factory, database):
    from support import build_world

    return await build_world(factory)


@pytest.fixture
async def live_server(database):
    """The service on a real loopback port, in the tests' event loop (and so their database)."""
    import asyncio
    import socket

    import uvicorn

    from clientela.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(run_email_worker=False, manage_database=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
