"""`clientela serve` in its own process, as production runs it, for the tests of what it logs and
what its metrics add up to: its address and everything it wrote to stdout and stderr."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

SERVE = [sys.executable, "-c", "from clientela.cli import app; app()", "serve"]
# The app alone, as a process manager would start it: no migrations first.
UVICORN = [sys.executable, "-m", "uvicorn", "clientela.app:create_app", "--factory"]


@dataclass
class Served:
    url: str
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(database: str, *options: str, program: list[str] = SERVE, **environment: str) -> AsyncIterator[Served]:
    """`clientela serve --port <free> *options` (or another `program` taking --host and --port)
    over `database`, with the tests' secret key (so the tests' sessions are valid there), no
    SMTP server unless `environment` names one, and `environment` on top; stopped (and its
    output complete) when the block ends."""
    port = free_port()
    output = Path(tempfile.mkdtemp(prefix="clientela-serve-")) / "output.log"
    env = {
        **os.environ,
        "CLIENTELA_DATABASE_URL": database,
        "CLIENTELA_SMTP_HOST": "",
        "PYTHONUNBUFFERED": "1",
        **environment,
    }
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *program, "--host", "127.0.0.1", "--port", str(port), *options,
            env=env, stdout=sink, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
    served = Served(f"http://127.0.0.1:{port}", output)
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=5) as client:
            for _ in range(600):  # a minute at most: it migrates and imports first
                if process.returncode is not None:
                    pytest.fail(f"{program[-1]} exited with {process.returncode}:\n{served.text()[-4000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"{program[-1]} did not answer within a minute:\n{served.text()[-4000:]}")
        yield served
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
