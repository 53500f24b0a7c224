"""Replies by email, timed: 100 replies sent over SMTP to `clientela inbound` running in its own
process, each posted to its conversation and emailed onwards (to the outbox).

    .venv/bin/python -m bench.inbound [--replies 100] [--connections 4] [--url sqlite:///path/db]

Builds a workspace in a scratch SQLite database (or in the database of `--url`): a
client organization of 20 people, 10 items each requested by two of them and followed by a staff
member, and a public message on each, whose reply addresses are made as the email worker makes
them. Then starts `clientela inbound`, sends the replies from `--connections` SMTP connections
at once (each reply from its address's person, with a quoted history to cut) and reports the
seconds from the first MAIL FROM to the last 250, and the replies per second. Target: 100 replies
in under 10 s. Checks that every reply was posted once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib

TARGET_SECONDS = 10.0
DOMAIN = "reply.bench.example"
SECRET_KEY = "bench-secret-key"
PEOPLE, ITEMS = 20, 10


async def build(url: str, replies: int) -> tuple[object, list[tuple[str, str]]]:
    """The workspace's id, and (reply address, its person's address) for each reply to send."""
    from clientela import db
    from clientela.accounts.services import create_workspace
    from clientela.conversations.models import Message, MessageVisibility
    from clientela.inbound.services import reply_addresses
    from clientela.organizations.models import Organization, OrganizationKind
    from clientela.people.models import User
    from clientela.projects.models import Project, ProjectFollower
    from clientela.settings import get_settings
    from clientela.tasks.models import Task, TaskRequester

    await db.migrate(url)
    async with db.connected(url):
        admin = await create_workspace(
            workspace_name="Bench", name="Ada Admin", email="ada@firm.example", password="bench-password-1", language="en"
        )
        workspace_id = admin.workspace_id
        client = await Organization.create(
            workspace_id=workspace_id, name="Acme", kind=OrganizationKind.CLIENT, owner_id=admin.id
        )
        people = [
            await User.create(workspace_id=workspace_id, organization=client, name=f"Client {n}", email=f"client{n}@acme.example")
            for n in range(PEOPLE)
        ]
        project = await Project.create(workspace_id=workspace_id, name="Website", client=client)
        await ProjectFollower.create(project=project, user_id=admin.id)
        wanted = []
        for n in range(ITEMS):
            task = await Task.create(workspace_id=workspace_id, project=project, title=f"Item {n}")
            message = await Message.create(
                workspace_id=workspace_id,
                task=task,
                author_id=admin.id,
                body="Please review.",
                visibility=MessageVisibility.PUBLIC,
            )
            for person in people[2 * n : 2 * n + 2]:
                await TaskRequester.of(task.id, person).save()
                wanted.append((person, message.id))
        made = await reply_addresses(get_settings(), [(person.id, message_id) for person, message_id in wanted])
        addresses = [(made[person.id, message_id], person.email) for person, message_id in wanted]
        return workspace_id, [addresses[i % len(addresses)] for i in range(replies)]


def reply(to: str, sender: str, number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: Please review"
    message["Message-ID"] = make_msgid(domain="acme.example")
    message.set_content(f"Reply {number}: looks good to me.\n\nOn Mon, 1 Dec 2026, Ada Admin wrote:\n> Please review.\n")
    return message


async def send_all(port: int, messages: list[EmailMessage], connections: int) -> list[str]:
    queue: asyncio.Queue[EmailMessage] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)
    answers: list[str] = []

    async def connection() -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
            while not queue.empty():
                _, answer = await smtp.send_message(queue.get_nowait())
                answers.append(answer)

    await asyncio.gather(*(connection() for _ in range(connections)))
    return answers


async def until_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise SystemExit("clientela inbound did not start")


async def count_posted(url: str, workspace_id: object) -> int:
    from clientela import db
    from clientela.inbound.models import ReceivedEmail

    async with db.connected(url):
        return await ReceivedEmail.filter(message__workspace_id=workspace_id).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replies", type=int, default=100)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--url", help="the database (default: a scratch SQLite file); it gets a workspace of its own")
    options = parser.parse_args()
    url = options.url or f"sqlite://{Path(tempfile.mkdtemp(prefix='clientela-bench-inbound-')) / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "CLIENTELA_DATABASE_URL": url,
        "CLIENTELA_SECRET_KEY": SECRET_KEY,
        "CLIENTELA_INBOUND_DOMAIN": DOMAIN,
        "CLIENTELA_SMTP_HOST": "",
    }
    os.environ.update({k: env[k] for k in ("CLIENTELA_SECRET_KEY", "CLIENTELA_INBOUND_DOMAIN")})
    workspace_id, addresses = asyncio.run(build(url, options.replies))
    messages = [reply(to, sender, n) for n, (to, sender) in enumerate(addresses)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from clientela.cli import app; app()", "inbound", "--port", str(port)]
    log = Path(tempfile.mkdtemp(prefix="clientela-bench-inbound-")) / "inbound.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        asyncio.run(until_listening(process, port))
        started = time.perf_counter()
        answers = asyncio.run(send_all(port, messages, options.connections))
        seconds = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait()
    accepted = sum(answer.startswith("2.0.0") for answer in answers)
    posted = asyncio.run(count_posted(url, workspace_id))
    print(
        f"{len(messages)} replies over {options.connections} SMTP connections: {seconds:.2f} s, {len(messages) / seconds:.1f} replies/s"
    )
    print(f"accepted {accepted}, posted {posted}; target: {options.replies} in under {TARGET_SECONDS:.0f} s")
    if posted != len(messages) or seconds >= TARGET_SECONDS * len(messages) / 100:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
