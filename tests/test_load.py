"""Load: 32 connections on loopback for CLIENTELA_LOAD_SECONDS (default 60) against the started
service (a separate process, see `server_process` in conftest.py), mixing the portal's operations
as clients (PortalHome, PortalItem, PortalReply) and the staff app's as a staff member and an
admin (ProjectPage, TaskPage, LogTime, UpdateTask), all from the contract. It ends with 0 errors
(no transport error, no status but 200, no GraphQL error) and 0 lost writes: every logTime and
every reply the service acknowledged is in the database, as it was acknowledged, and nothing
else was written."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx

from clientela.conversations.models import Message
from clientela.tasks.models import Task, TimeEntry
from support import CONTRACT

CONNECTIONS = 32
DURATION = float(os.environ.get("CLIENTELA_LOAD_SECONDS", "60"))
REQUEST_TIMEOUT = 30.0


@dataclass
class Tally:
    requests: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    time_entries: dict[str, int] = field(default_factory=dict)  # acknowledged logTime: id -> minutes
    replies: dict[str, str] = field(default_factory=dict)  # acknowledged PortalReply: id -> body
    titles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # acknowledged UpdateTask titles


async def test_32_connections_of_mixed_portal_and_staff_operations_end_with_no_error_and_no_lost_write(server_process, world):
    portal = [
        # (a client person, the task they requested)
        (world.client, str(world.acme_task.id)),
        (world.other_client, str(world.globex_task.id)),
    ]
    staff = [
        # (person, a project, the tasks they log time on, the task they update)
        (world.staff, str(world.acme_project.id), [str(world.acme_task.id), str(world.internal_task.id)], str(world.internal_task.id)),
        (world.admin, str(world.globex_project.id), [str(world.globex_task.id), str(world.acme_task.id)], str(world.globex_task.id)),
    ]
    tally = Tally()
    deadline = time.monotonic() + DURATION

    async def send(client: httpx.AsyncClient, name: str, variables: dict, token: str) -> dict | None:
        started = time.monotonic()
        try:
            response = await client.post(
                "/graphql", json={"query": CONTRACT[name], "variables": variables}, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as error:
            tally.errors.append(f"{name}: {type(error).__name__}: {error}")
            return None
        finally:
            tally.requests[name] += 1
            tally.latencies[name].append(time.monotonic() - started)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or body.get("errors") or not body.get("data"):
            tally.errors.append(f"{name} {variables}: {response.status_code} {response.text[:500]}")
            return None
        return body["data"]

    async def portal_worker(client: httpx.AsyncClient, number: int) -> None:
        rng = random.Random(number)
        person, task_id = portal[number % len(portal)]
        while time.monotonic() < deadline:
            pick = rng.random()
            if pick < 0.45:
                await send(client, "PortalHome", {"first": 20}, person.token)
            elif pick < 0.85:
                await send(client, "PortalItem", {"id": task_id}, person.token)
            else:
                body = f"reply {number}-{rng.getrandbits(40):x}"
                data = await send(client, "PortalReply", {"taskId": task_id, "body": body}, person.token)
                if data:
                    tally.replies[data["postMessage"]["id"]] = body

    async def staff_worker(client: httpx.AsyncClient, number: int) -> None:
        rng = random.Random(number)
        person, project_id, log_on, update = staff[number % len(staff)]
        while time.monotonic() < deadline:
            pick = rng.random()
            if pick < 0.3:
                await send(client, "ProjectPage", {"id": project_id}, person.token)
            elif pick < 0.6:
                await send(client, "TaskPage", {"id": rng.choice(log_on)}, person.token)
            elif pick < 0.85:
                minutes = rng.randint(1, 600)
                variables = {"input": {"taskId": rng.choice(log_on), "minutes": minutes, "note": f"load {number}"}}
                data = await send(client, "LogTime", variables, person.token)
                if data:
                    entry = data["logTime"]
                    if entry["minutes"] != minutes:
                        tally.errors.append(f"LogTime {variables}: acknowledged as {entry}")
                    tally.time_entries[entry["id"]] = minutes
            else:
                title = f"Load title {number}-{rng.getrandbits(32):x}"
                variables = {"id": update, "input": {"title": title, "priority": rng.choice(["LOW", "NORMAL", "HIGH"])}}
                data = await send(client, "UpdateTask", variables, person.token)
                if data:
                    tally.titles[update].add(data["updateTask"]["title"])

    entries_before = await TimeEntry.all().count()
    messages_before = await Message.all().count()
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server_process.url, limits=limits, timeout=REQUEST_TIMEOUT) as client:
        workers = [
            (portal_worker if number % 2 == 0 else staff_worker)(client, number) for number in range(CONNECTIONS)
        ]
        await asyncio.wait_for(asyncio.gather(*workers), DURATION + 2 * REQUEST_TIMEOUT)
    elapsed = time.monotonic() - started

    total = sum(tally.requests.values())
    lines = [f"{total} requests in {elapsed:.1f} s over {CONNECTIONS} connections: {total / elapsed:.0f}/s, {len(tally.errors)} errors"]
    for name, latencies in sorted(tally.latencies.items()):
        latencies.sort()
        p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)]
        lines.append(f"  {name:12} {len(latencies):6}  p50 {p50 * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  max {latencies[-1] * 1000:6.0f} ms")
    summary = "\n".join(lines)
    print(summary)

    assert total > 0, summary
    assert not tally.errors, f"{summary}\nfirst errors:\n" + "\n".join(tally.errors[:20])

    # Every acknowledged write is in the database, as acknowledged; nothing else was written.
    stored = dict(await TimeEntry.filter(id__in=list(tally.time_entries)).values_list("id", "minutes"))
    lost = {i: m for i, m in tally.time_entries.items() if i not in {str(k) for k in stored}}
    changed = {str(i): (tally.time_entries[str(i)], m) for i, m in stored.items() if tally.time_entries[str(i)] != m}
    assert not lost and not changed, f"{summary}\n{len(lost)} logTime writes lost, {len(changed)} changed: {list(lost.items())[:10]} {list(changed.items())[:10]}"
    assert await TimeEntry.all().count() == entries_before + len(tally.time_entries), summary
    replies = dict(await Message.filter(id__in=list(tally.replies)).values_list("id", "body"))
    assert {str(i): b for i, b in replies.items()} == tally.replies, f"{summary}\nreplies lost or changed"
    assert await Message.all().count() == messages_before + len(tally.replies), summary
    for task_id, titles in tally.titles.items():
        assert (await Task.get(id=task_id)).title in titles, f"{summary}\nthe last title of {task_id} was never acknowledged"
    assert tally.time_entries and tally.replies and tally.titles, f"{summary}\nsome kind of write never succeeded"
