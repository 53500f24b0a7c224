"""Test fixtures: a real database (SQLite by default, PostgreSQL when
CLIENTELA_TEST_DATABASE_URL points at one), migrated once per run and emptied before each test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Generous limits for the suite; the throttling tests set their own.
os.environ.setdefault("CLIENTELA_SIGNUPS_PER_IP_PER_HOUR", "100000")
# Fair-use budgets no test meets and never settles with the database (a settlement is not a
# change of the data the fingerprints compare); tests/test_fair_use.py sets its own.
os.environ.setdefault("CLIENTELA_FAIR_USE_BURST", "1000000000")
os.environ.setdefault("CLIENTELA_FAIR_USE_EXPENSIVE_BURST", "1000000000")
os.environ.setdefault("CLIENTELA_FAIR_USE_SETTLE_EVERY", "1000000000")
# The GraphQL over HTTP audit sends its requests all at once, more than may wait by default.
os.environ.setdefault("CLIENTELA_FAIR_USE_WAITING_REQUESTS", "1000000")
os.environ.setdefault("CLIENTELA_PUBLIC_URL", "http://clientela.test")
os.environ.setdefault("CLIENTELA_SECRET_KEY", "test-secret-key")
# Uploads of the suite land in a throwaway directory, never beside the checkout.
os.environ.setdefault("CLIENTELA_STORAGE_DIR", tempfile.mkdtemp(prefix="clientela-files-"))

from clientela import db  # noqa: E402
from support import stop_process  # noqa: E402

pytest_plugins = ["smtp_server", "inbound_support", "s3_server", "files_support", "browser_support"]

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
async def serve_live(database):
    """`await serve_live(settings)`: the whole service with those settings (by default the
    environment's) on a free loopback port, in the tests' event loop (and so their database);
    gives its base URL."""
    import asyncio

    import uvicorn

    from clientela.app import create_app

    running = []

    async def serve(settings=None) -> str:
        app = create_app(settings, run_email_worker=False, manage_database=False)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve())
        running.append((server, task))
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, task in running:
        server.should_exit = True
        await task


@pytest.fixture
async def live_server(serve_live):
    """The whole service on a free loopback port, in the tests' event loop; its base URL."""
    return await serve_live()


class ServerProcess:
    """The service started by `server_process`: its URL, and what it has logged."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.url = url
        self.log_path = log_path

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int = 0) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server_process(database):
    """The service as it runs in production: `uvicorn clientela.app:create_app --factory` in its own
    process, on a free loopback port, over the tests' database and with their secret key, so the
    sessions that Factory and build_world make are valid there. For tests that block (schemathesis
    calls are synchronous) or that must not share the tests' event loop (load). One per test module,
    so that its email worker does not poll the database under the rest of the suite; it never sends
    mail (no SMTP host, whatever .env says). Its output (warnings and the tracebacks of unexpected
    errors) goes to a file: `ServerProcess.log_since(offset)`."""
    with serving(database) as server:
        yield server


@pytest.fixture(scope="module")
def two_server_processes(database):
    """Two processes of the service (as `server_process`) over the same database: what one keeps
    per process must follow what is written through the other."""
    with serving(database) as first, serving(database) as second:
        yield first, second


@contextmanager
def serving(database: str) -> Iterator[ServerProcess]:
    """The service in a process of its own over `database`, for as long as the block runs."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = Path(tempfile.mkdtemp(prefix="clientela-server-")) / "server.log"
    env = {
        **os.environ,
        "CLIENTELA_DATABASE_URL": database,
        "CLIENTELA_SECRET_KEY": os.environ["CLIENTELA_SECRET_KEY"],
        "CLIENTELA_SMTP_HOST": "",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "clientela.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = ServerProcess(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server process exited with {process.returncode}:\n{server.log_since()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server process did not answer /healthz within 60 s:\n{server.log_since()}")
            time.sleep(0.1)
        # /healthz does not touch the database; a request with a (wrong) token does.
        probe = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Authorization": "Bearer not-a-session"},
            timeout=30,
        )
        if probe.status_code != 200:
            time.sleep(0.5)
            pytest.fail(
                f"the server process answers {probe.status_code} to a GraphQL request that reads the "
                f"database: {probe.text[:500]}\nIt logged:\n{server.log_since()[-6000:]}"
            )
        yield server
    finally:
        stop_process(process)
