"""The outbox's throughput: 1,000 queued emails delivered to a local SMTP server (aiosmtpd) by 2
`clientela worker` processes, each email exactly once.

    .venv/bin/python -m bench.outbox [--database sqlite|postgres] [--emails 1000] [--workers 2]

Builds a workspace in a fresh database (a scratch SQLite file, or the database `bench_outbox`
on the benchmark's own PostgreSQL server, see bench/processes.py): a client organization of 100
people with addresses that follows a project, and one public reply by the admin on each of 10
items of it, posted through the service (conversations.services.post_message), so that each
writes 100 reply emails to the outbox in its transaction, as a busy conversation does. Their
delivery is the heaviest there is: the recipient's audience is checked again and a reply
address is made for each. Then starts the workers and an SMTP server on loopback, and times
from the workers' start to the last email accepted. Target: under 10 s, each email received
once (by its Message-ID) and marked SENT once. Writes bench/results/outbox-<database>-<commit>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench import generate, processes, run

TARGET_SECONDS = 10.0
PEOPLE = 100
DOMAIN = "reply.bench.example"


class Recorder:
    """An aiosmtpd handler that counts the Message-IDs it accepts, and notes the time of the last."""

    def __init__(self, expected: int) -> None:
        self.message_ids: Counter[str] = Counter()
        self.expected = expected
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.done = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.message_ids[message["Message-ID"]] += 1
        self.last_at = time.monotonic()
        self.first_at = self.first_at or self.last_at
        if sum(self.message_ids.values()) >= self.expected:
            self.done.set()
        return "250 2.0.0 Message accepted"


async def queue(url: str, emails: int) -> None:
    """`emails` reply emails in the outbox, written by posting public replies through the service."""
    from clientela import db
    from clientela.accounts.services import create_workspace
    from clientela.accounts.viewer import viewer_for
    from clientela.conversations.models import MessageVisibility
    from clientela.conversations.services import post_message
    from clientela.organizations.models import Organization, OrganizationKind
    from clientela.people.models import User
    from clientela.projects.models import Project, ProjectFollower
    from clientela.tasks.models import Task

    await db.migrate(url)
    async with db.connected(url):
        admin = await create_workspace(
            workspace_name="Bench", name="Ada Admin", email="ada@firm.example", password="bench-password-1", language="en"
        )
        client = await Organization.create(workspace_id=admin.workspace_id, name="Acme", kind=OrganizationKind.CLIENT)
        await User.bulk_create(
            [
                User(workspace_id=admin.workspace_id, organization=client, name=f"Client {n}", email=f"client{n}@acme.example")
                for n in range(PEOPLE)
            ]
        )
        project = await Project.create(workspace_id=admin.workspace_id, name="Website", client=client)
        await ProjectFollower.create(project=project, organization=client)
        viewer = await viewer_for(await User.get(id=admin.id).select_related("workspace", "organization"))
        for n in range(-(-emails // PEOPLE)):
            task = await Task.create(workspace_id=admin.workspace_id, project=project, title=f"Item {n}")
            await post_message(
                viewer, task_id=task.id, project_id=None, body=f"Reply {n}: the draft is ready for your review.",
                visibility=MessageVisibility.PUBLIC, include_history=True,
            )  # fmt: skip


async def outcome(url: str) -> dict:
    from clientela import db
    from clientela.mail.models import OutboxEmail

    async with db.connected(url):
        rows = await OutboxEmail.all().values_list("status", flat=True)
    return dict(Counter(str(status) for status in rows))


def database_url(database: str, scratch: Path, pg_port: int) -> str:
    if database == "postgres":
        url = f"{processes.start_postgres(pg_port)}/bench_outbox"
        asyncio.run(generate.fresh_postgres_database(url))
        return url
    return f"sqlite://{scratch / 'outbox.sqlite3'}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-port", type=int, default=processes.POSTGRES_PORT)
    parser.add_argument("--emails", type=int, default=1_000, help=f"a multiple of {PEOPLE}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    from aiosmtpd.controller import Controller

    scratch = Path(tempfile.mkdtemp(prefix="clientela-bench-outbox-"))
    url = database_url(args.database, scratch, args.pg_port)
    os.environ.update(CLIENTELA_SECRET_KEY=generate.SECRET_KEY, CLIENTELA_INBOUND_DOMAIN=DOMAIN)
    sys.path.insert(0, str(run.BACKEND))
    asyncio.run(queue(url, args.emails))
    queued = asyncio.run(outcome(url)).get("PENDING", 0)

    recorder = Recorder(queued)
    smtp = Controller(recorder, hostname="127.0.0.1", port=processes.free_port())
    smtp.start()
    env = {
        **os.environ,
        "CLIENTELA_DATABASE_URL": url,
        "CLIENTELA_SMTP_HOST": "127.0.0.1",
        "CLIENTELA_SMTP_PORT": str(smtp.port),
        "CLIENTELA_SMTP_STARTTLS": "false",
        "PYTHONPATH": str(run.BACKEND),
    }
    command = [sys.executable, "-c", "from clientela.cli import app; app()", "worker"]
    started = time.monotonic()
    workers = [
        subprocess.Popen(command, env=env, stdout=(scratch / f"worker{n}.log").open("w"), stderr=subprocess.STDOUT)
        for n in range(args.workers)
    ]
    try:
        recorder.done.wait(timeout=120)
        time.sleep(1)  # anything sent twice would arrive now
        # CPU time the workers took: the figure the machine's other load does not change.
        cpu = [processes.cpu_seconds(worker.pid) for worker in workers]
    finally:
        for worker in workers:
            processes.stop(worker)
        smtp.stop()
    statuses = asyncio.run(outcome(url))
    received = sum(recorder.message_ids.values())
    result = {
        "database": args.database,
        "workers": args.workers,
        "queued": queued,
        "received": received,
        "distinct_message_ids": len(recorder.message_ids),
        "received_twice": sum(1 for n in recorder.message_ids.values() if n > 1),
        "outbox_statuses": statuses,
        "seconds_from_start": round(recorder.last_at - started, 2) if recorder.last_at else None,
        "seconds_first_to_last": round(recorder.last_at - recorder.first_at, 2) if recorder.last_at else None,
        "workers_cpu_seconds": [round(seconds, 2) for seconds in cpu],
        "target_seconds": TARGET_SECONDS,
        "git": run.git_commit(),
    }
    result["met"] = (
        received == queued == len(recorder.message_ids) == statuses.get("SENT", 0)
        and result["seconds_from_start"] is not None
        and result["seconds_from_start"] < TARGET_SECONDS
    )
    output = args.output or run.RESULTS / f"outbox-{args.database}-{result['git'] or 'unknown'}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not result["met"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
