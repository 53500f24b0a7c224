"""Several processes of the service over one database (uvicorn --workers N, or several hosts):
what a process keeps for itself, the client portal's totals, follows a write made through another
process from that process's next request on."""

from __future__ import annotations

import httpx

from support import CONTRACT


def send(server, operation: str, variables: dict, token: str) -> dict:
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": CONTRACT[operation], "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def portal_total(server, client) -> int:
    return send(server, "PortalHome", {"first": 5}, client.token)["portalItems"]["totalCount"]


async def test_a_write_through_one_process_is_counted_by_the_other_on_its_next_request(two_server_processes, world):
    first, second = two_server_processes
    before = portal_total(first, world.client)
    assert portal_total(second, world.client) == before  # each process has counted it once

    # A task of a project Acme follows, made through the first process: Acme's client sees it.
    send(first, "CreateTask", {"input": {"projectId": str(world.acme_project.id), "title": "New page"}}, world.staff.token)
    assert portal_total(second, world.client) == before + 1
    assert portal_total(first, world.client) == before + 1

    # Acme stops following the project through the second process: the task leaves the portal.
    unfollow = {"projectId": str(world.acme_project.id), "organizationIds": [str(world.acme.id)]}
    send(second, "UnfollowProject", unfollow, world.admin.token)
    assert portal_total(first, world.client) == before
    assert portal_total(second, world.client) == before
