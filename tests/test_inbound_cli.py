"""`clientela inbound` as it runs beside the service: its own process, over the tests' database,
receiving over SMTP, and `--stdin` for a mail server's pipe (exit status by sysexits.h)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import aiosmtplib
import pytest

from clientela.conversations.models import Message
from inbound_support import DOMAIN, MAIL_FROM, REFUSED, emailed_to, other_token, posted, reply

CLI = [sys.executable, "-c", "from clientela.cli import app; app()", "inbound"]


def environment(database: str) -> dict[str, str]:
    return {
        **os.environ,
        "CLIENTELA_DATABASE_URL": database,
        "CLIENTELA_INBOUND_DOMAIN": DOMAIN,
        "CLIENTELA_MAIL_FROM": MAIL_FROM,
        "CLIENTELA_SMTP_HOST": "",
        "PYTHONUNBUFFERED": "1",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def until_listening(process: asyncio.subprocess.Process, port: int) -> None:
    for _ in range(600):  # up to a minute: the process migrates first
        if process.returncode is not None:
            pytest.fail(f"clientela inbound exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail("clientela inbound did not listen within a minute")


async def test_clientela_inbound_receives_replies_over_smtp(api, world, inbound, database):
    email = await emailed_to(inbound, api, world, world.client)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *CLI, "--host", "127.0.0.1", "--port", str(port), env=environment(database), stdin=asyncio.subprocess.DEVNULL
    )
    try:
        await until_listening(process, port)
        answer = reply(email["Reply-To"], world.client.user.email, "Received through the CLI.", answers=email)
        _, response = await aiosmtplib.send(answer, hostname="127.0.0.1", port=port)
        assert response.startswith("2.0.0")
        forged = reply(other_token(email["Reply-To"].addresses[0].addr_spec), world.client.user.email, "Forged", answers=email)
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await aiosmtplib.send(forged, hostname="127.0.0.1", port=port)
        assert (refused.value.code, refused.value.message) == (550, f"5.7.1 {REFUSED}")
    finally:
        process.terminate()
        await process.wait()
    assert await posted(world.client) == ["Received through the CLI."]


async def pipe(database: str, raw: bytes, *arguments: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI, "--stdin", *arguments, env=environment(database), stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate(raw)
    return process.returncode, stderr.decode()


async def test_clientela_inbound_stdin_receives_one_email_from_a_pipe(api, world, inbound, database):
    email = await emailed_to(inbound, api, world, world.client)
    address = email["Reply-To"].addresses[0].addr_spec
    piped = reply(address, world.client.user.email, "Through the pipe.", answers=email)
    status, said = await pipe(database, bytes(piped))
    assert (status, said.strip().splitlines()[-1]) == (0, "250 2.0.0 Reply received")
    assert await posted(world.client) == ["Through the pipe."]

    # Delivered twice by the mail server: posted once.
    assert (await pipe(database, bytes(piped)))[0] == 0
    assert await Message.filter(author_id=world.client.user.id).count() == 1

    # A refusal bounces (EX_NOPERM) with the same words as over SMTP; an address that is not
    # ours is EX_NOUSER; the envelope recipient, when given, is the one that counts.
    stranger = reply(address, "someone@elsewhere.example", "Let me in", answers=email)
    status, said = await pipe(database, bytes(stranger))
    assert (status, said.strip().splitlines()[-1]) == (77, f"550 5.7.1 {REFUSED}")
    assert (await pipe(database, bytes(piped), "--recipient", "postmaster@elsewhere.example"))[0] == 67
    assert await posted(world.client) == ["Through the pipe."]
