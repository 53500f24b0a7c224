"""What each kind of viewer reads: money, hidden fields, lists (the outcome of every contract
operation for every viewer is in test_contract_matrix.py, whose tables this file shares).
See ../shared/design/access-policy.md."""

import pytest

from support import add_partner_firms
from test_contract_matrix import ADMIN_ONLY, MANAGE_ACME, READ_ACME, READ_ACME_PROJECT, VIEWERS, table


@pytest.fixture
async def world(world, factory):
    """The contract matrix's world: with partner firms, one of whose members is a viewer."""
    return await add_partner_firms(world, factory)


def token_of(world, viewer):
    return None if viewer == "anonymous" else getattr(world, viewer).token


def outcome(result):
    return result.code or "ok"


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_who_reads_a_client_project_and_its_money(api, world, viewer):
    result = await api("ProjectPage", {"id": str(world.acme_project.id)}, token=token_of(world, viewer))
    assert outcome(result) == READ_ACME_PROJECT[viewer]
    if outcome(result) == "ok":
        project = result.data["project"]
        assert project["name"] == "Acme site"
        sees_money = viewer != "client"
        assert (project["budget"] is not None) == sees_money
        assert (project["hourlyRate"] is not None) == sees_money
        assert (project["billed"] is not None) == sees_money
        assert (project["timeSpentMinutes"] is not None) == sees_money
        if sees_money:
            assert project["budget"] == {"amount": "1000.00", "currency": "USD"}
            assert project["billed"]["amount"] == "90.00"  # 90 minutes at 60.00 an hour
        assert [e["node"]["title"] for e in project["tasks"]["edges"]] == ["Acme home page"]
    else:
        assert result.data is None or result.data["project"] is None


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_who_reads_a_task_and_what_clients_never_see(api, world, viewer):
    result = await api("TaskPage", {"id": str(world.acme_task.id)}, token=token_of(world, viewer))
    assert outcome(result) == READ_ACME_PROJECT[viewer]
    if outcome(result) != "ok":
        return
    task = result.data["task"]
    bodies = [m["body"] for m in task["messages"]]
    if viewer == "client":
        assert task["timeEntries"] is None
        assert task["cost"] is None and task["timeSpentMinutes"] is None and task["estimatedMinutes"] is None
        assert bodies == ["public reply on Acme home page"]
        assert task["followers"] is None  # FOLLOWERS is not a default portal field
    else:
        assert [e["minutes"] for e in task["timeEntries"]] == [90]
        assert task["cost"] == {"amount": "90.00", "currency": "USD"}
        assert task["estimatedMinutes"] == 120
        assert bodies == ["internal note on Acme home page", "public reply on Acme home page"]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_who_reads_a_client_organization(api, world, viewer):
    result = await api("OrganizationPage", {"id": str(world.acme.id)}, token=token_of(world, viewer))
    assert outcome(result) == READ_ACME[viewer]
    if outcome(result) == "ok":
        organization = result.data["organization"]
        assert organization["name"] == "Acme"
        assert (organization["financialSummary"] is None) == (viewer == "client")
        assert [m["name"] for m in organization["members"]] == ["Clara Client"]
        expected_projects = [] if viewer == "outsider_staff" else ["Acme site"]
        assert [p["name"] for p in organization["projects"]] == expected_projects


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_who_manages_a_client_project(api, world, viewer):
    from clientela.tasks.models import Task, TimeEntry

    token = token_of(world, viewer)
    update = await api("UpdateTask", {"id": str(world.acme_task.id), "input": {"title": f"by {viewer}"}}, token=token)
    log = await api("LogTime", {"input": {"taskId": str(world.acme_task.id), "minutes": 15}}, token=token)
    assert outcome(update) == outcome(log) == MANAGE_ACME[viewer]
    changed = (await Task.get(id=world.acme_task.id)).title == f"by {viewer}"
    assert changed == (MANAGE_ACME[viewer] == "ok")
    entries = await TimeEntry.filter(task_id=world.acme_task.id).count()
    assert entries == (2 if MANAGE_ACME[viewer] == "ok" else 1)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_who_changes_portal_settings_and_creates_internal_teams(api, world, viewer):
    token = token_of(world, viewer)
    settings = await api("UpdatePortalSettings", {"input": {"canSubmitItems": False}}, token=token)
    team = await api("CreateOrganization", {"input": {"name": "New team", "kind": "INTERNAL"}}, token=token)
    assert outcome(settings) == outcome(team) == ADMIN_ONLY[viewer]


REPORTS = table("ok", client="FORBIDDEN", other_client="FORBIDDEN", anonymous="UNAUTHENTICATED")


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_who_reads_the_time_report(api, world, viewer):
    result = await api("TimeReport", {"from": "2026-11-01", "to": "2026-11-30"}, token=token_of(world, viewer))
    assert outcome(result) == REPORTS[viewer]
    if outcome(result) == "ok":
        projects = {row["project"]["name"] for row in result.data["timeReport"]["rows"]}
        expected = {
            "admin": {"Acme site", "Globex audit", "Internal tooling"},
            "staff": {"Acme site", "Internal tooling"},
            "owner": {"Acme site"},
            "csr": {"Acme site"},
            "consultant": {"Acme site"},
            "partner_member": {"Acme site"},
        }.get(viewer, set())
        assert projects == expected


async def test_ids_of_another_workspace_are_not_found_even_for_its_admin(api, world):
    for operation, variables in [
        ("TaskPage", {"id": str(world.foreign_task.id)}),
        ("ProjectPage", {"id": str(world.foreign_project.id)}),
        ("UpdateTask", {"id": str(world.foreign_task.id), "input": {"title": "hijack"}}),
    ]:
        result = await api(operation, variables, token=world.admin.token)
        assert result.code == "NOT_FOUND", operation


async def test_changing_an_organizations_kind_changes_what_its_members_see_on_the_next_request(api, world):
    names = lambda result: sorted(o["name"] for o in result.ok()["organizations"])  # noqa: E731
    assert names(await api("Organizations", token=world.client.token)) == ["Acme"]
    assert (await api("ProjectPage", {"id": str(world.acme_project.id)}, token=world.client.token)).ok()
    await api("UpdateOrganization", {"id": str(world.acme.id), "input": {"kind": "INTERNAL"}}, token=world.admin.token)
    # Clara is now staff of an internal team: she sees the directory, and projects only as a member.
    assert names(await api("Organizations", token=world.client.token)) == ["Acme", "Globex", "Northwind", "Oak Partners", "Pine Partners"]
    result = await api("ProjectPage", {"id": str(world.acme_project.id)}, token=world.client.token)
    assert result.code == "NOT_FOUND"
    # And the shares of Acme, no longer a client, grant nothing.
    result = await api("ProjectPage", {"id": str(world.acme_project.id)}, token=world.csr.token)
    assert result.code == "NOT_FOUND"
