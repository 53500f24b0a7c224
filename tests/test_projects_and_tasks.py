"""Projects, tasks, labels, time and money (staff.graphql)."""

from decimal import Decimal

from clientela.audit.models import AuditEntry
from clientela.projects.models import Project
from clientela.tasks.models import Task


async def create_project(api, token, **input):
    return (await api("CreateProject", {"input": {"name": "Website", **input}}, token=token)).ok()["createProject"]


async def test_create_and_update_a_project_with_its_client_and_exact_money(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    project = await create_project(api, admin.token, clientId=str(acme.id), budget="0.10", hourlyRate="80.00")
    assert project["client"]["name"] == "Acme"
    updated = (
        await api("UpdateProject", {"id": project["id"], "input": {"description": "New site", "budget": "0.20"}}, token=admin.token)
    ).ok()["updateProject"]
    assert updated["description"] == "New site" and updated["client"]["name"] == "Acme"
    second = await create_project(api, admin.token, clientId=str(acme.id), budget="0.10")
    assert second
    page = (await api("OrganizationPage", {"id": str(acme.id)}, token=admin.token)).ok()["organization"]
    # 0.20 + 0.10 in floats is 0.30000000000000004: money is exact decimals.
    assert page["financialSummary"]["budget"] == {"amount": "0.30", "currency": "USD"}
    assert page["financialSummary"]["projectCount"] == 2
    # clientId: null takes the client away; leaving it out keeps it.
    cleared = (await api("UpdateProject", {"id": project["id"], "input": {"clientId": None}}, token=admin.token)).ok()
    assert cleared["updateProject"]["client"] is None


async def test_project_bad_input_changes_nothing(api, factory):
    admin = await factory.workspace()
    team_id = str(admin.user.organization_id)
    foreign = await factory.workspace("Elsewhere")
    foreign_client = await factory.organization(foreign, "Theirs")
    cases = [
        ({"name": ""}, "BAD_USER_INPUT"),
        ({"name": "n" * 201}, "BAD_USER_INPUT"),
        ({"name": "ok", "description": "d" * 20_001}, "BAD_USER_INPUT"),
        ({"name": "ok", "budget": "-1.00"}, "BAD_USER_INPUT"),
        ({"name": "ok", "hourlyRate": "1.005"}, "BAD_USER_INPUT"),
        ({"name": "ok", "clientId": team_id}, "BAD_USER_INPUT"),  # an INTERNAL organization is not a client
        ({"name": "ok", "clientId": str(foreign_client.id)}, "NOT_FOUND"),
    ]
    for input, code in cases:
        result = await api("CreateProject", {"input": input}, token=admin.token)
        assert result.code == code, (input, result.errors)
    assert await Project.all().count() == 0


async def test_assigning_a_client_in_bulk_is_all_or_nothing_and_audited(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    foreign = await factory.workspace("Elsewhere")
    foreign_project = await create_project(api, foreign.token, name="Theirs")
    ids = [(await create_project(api, admin.token, name=f"P{i}"))["id"] for i in range(3)]
    refused = await api("AssignClientToProjects", {"clientId": str(acme.id), "projectIds": ids + [foreign_project["id"]]}, token=admin.token)
    assert refused.code == "NOT_FOUND"
    assert await Project.filter(client_id=acme.id).count() == 0
    done = (await api("AssignClientToProjects", {"clientId": str(acme.id), "projectIds": ids}, token=admin.token)).ok()
    assert [p["client"]["id"] for p in done["assignClientToProjects"]] == [str(acme.id)] * 3
    listed = (await api("Projects", {"clientId": str(acme.id)}, token=admin.token)).ok()["projects"]
    assert sorted(p["name"] for p in listed) == ["P0", "P1", "P2"]
    assert await AuditEntry.filter(action="project.client", organization_id=acme.id).count() == 1


async def test_tasks_with_labels_status_filters_and_pages(api, factory):
    admin = await factory.workspace()
    project = await create_project(api, admin.token)
    labels = [["Important"], ["Important", "In progress"], ["Postponed"], [], ["In progress"]]
    statuses = ["OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "IN_PROGRESS"]
    for index, (task_labels, status) in enumerate(zip(labels, statuses, strict=True)):
        input = {"projectId": project["id"], "title": f"T{index}", "labels": task_labels, "status": status, "priority": "HIGH"}
        assert (await api("CreateTask", {"input": input}, token=admin.token)).ok()

    async def titles(**variables):
        result = (await api("ProjectTasks", {"projectId": project["id"], **variables}, token=admin.token)).ok()
        tasks = result["project"]["tasks"]
        return [e["node"]["title"] for e in tasks["edges"]], tasks["totalCount"], tasks["pageInfo"]

    assert (await titles())[0] == ["T0", "T1", "T2", "T3", "T4"]
    assert (await titles(labels=["Important"]))[0] == ["T0", "T1"]
    assert (await titles(labels=["Important", "In progress"]))[0] == ["T1"]
    assert (await titles(status="IN_PROGRESS"))[0] == ["T1", "T4"]
    first_page, total, info = await titles(first=2)
    assert first_page == ["T0", "T1"] and total == 5 and info["hasNextPage"] is True
    second_page, _, info = await titles(first=2, after=info["endCursor"])
    assert second_page == ["T2", "T3"]
    last_page, _, info = await titles(first=2, after=info["endCursor"])
    assert last_page == ["T4"] and info["hasNextPage"] is False
    assert (await api("ProjectTasks", {"projectId": project["id"], "first": 101}, token=admin.token)).code == "BAD_USER_INPUT"
    assert (await api("ProjectTasks", {"projectId": project["id"], "first": 0}, token=admin.token)).code == "BAD_USER_INPUT"


async def test_update_task_and_its_bad_input(api, factory):
    admin = await factory.workspace()
    project = await create_project(api, admin.token)
    task = (await api("CreateTask", {"input": {"projectId": project["id"], "title": "Draft"}}, token=admin.token)).ok()["createTask"]
    assert task["status"] == "OPEN"
    updated = (
        await api("UpdateTask", {"id": task["id"], "input": {"status": "DONE", "labels": ["Important"], "priority": "URGENT"}}, token=admin.token)
    ).ok()["updateTask"]
    assert updated == {"id": task["id"], "title": "Draft", "status": "DONE", "priority": "URGENT", "labels": ["Important"]}
    for input, code in [
        ({"title": ""}, "BAD_USER_INPUT"),
        ({"estimatedMinutes": -5}, "BAD_USER_INPUT"),
        ({"status": "LATE"}, "BAD_USER_INPUT"),
        ({"status": None}, "BAD_USER_INPUT"),
        ({"assigneeId": "00000000-0000-7000-8000-000000000000"}, "NOT_FOUND"),
    ]:
        result = await api("UpdateTask", {"id": task["id"], "input": input}, token=admin.token)
        assert result.code == code, (input, result.errors)
    stored = await Task.get(id=task["id"])
    assert (stored.title, stored.status, stored.estimated_minutes) == ("Draft", "DONE", None)


async def test_time_and_cost_use_billable_minutes_and_the_projects_rate(api, factory):
    admin = await factory.workspace()
    project = await create_project(api, admin.token, hourlyRate="100.00")
    task = (await api("CreateTask", {"input": {"projectId": project["id"], "title": "Work"}}, token=admin.token)).ok()["createTask"]
    for minutes, billable in [(50, True), (20, False), (1, True)]:
        entry = (await api("LogTime", {"input": {"taskId": task["id"], "minutes": minutes, "billable": billable, "note": "n"}}, token=admin.token)).ok()
        assert entry["logTime"]["minutes"] == minutes
    page = (await api("TaskPage", {"id": task["id"]}, token=admin.token)).ok()["task"]
    assert page["timeSpentMinutes"] == 71
    # 51 billable minutes at 100.00 an hour = 85.0 exactly; 85.00.
    assert page["cost"] == {"amount": "85.00", "currency": "USD"}
    for minutes in (0, -10):
        assert (await api("LogTime", {"input": {"taskId": task["id"], "minutes": minutes}}, token=admin.token)).code == "BAD_USER_INPUT"


async def test_billed_rounds_half_up_to_the_cent(api, factory):
    from clientela.core.money import billed_amount

    # 1 minute at 0.30 an hour is 0.005: half-up makes it 0.01 (banker's rounding would give 0.00).
    assert billed_amount(1, Decimal("0.30")) == Decimal("0.01")
    assert billed_amount(7, Decimal("95.00")) == Decimal("11.08")  # 11.0833…


async def test_members_and_staff_visibility(api, factory):
    from clientela.organizations.models import Organization

    admin = await factory.workspace()
    team = await Organization.get(id=admin.user.organization_id)
    staff = await factory.person(admin, team, "Sam")
    project = await create_project(api, admin.token)
    assert (await api("ProjectPage", {"id": project["id"]}, token=staff.token)).code == "NOT_FOUND"
    added = (await api("AddProjectMembers", {"projectId": project["id"], "userIds": [staff.id]}, token=admin.token)).ok()
    assert {m["id"] for m in added["addProjectMembers"]["members"]} == {admin.id, staff.id}
    page = (await api("ProjectPage", {"id": project["id"]}, token=staff.token)).ok()["project"]
    assert page["name"] == "Website"
    # A client cannot be made a member: clients follow projects.
    acme = await factory.organization(admin, "Acme")
    client = await factory.person(admin, acme)
    assert (await api("AddProjectMembers", {"projectId": project["id"], "userIds": [client.id]}, token=admin.token)).code == "BAD_USER_INPUT"


async def test_project_page_members_and_followers_in_the_order_they_were_added(api, world):
    from clientela.projects.models import ProjectFollower, ProjectMember
    from support import QueryCounter

    project = world.acme_project
    await ProjectMember.create(project=project, user=world.admin.user)
    await ProjectFollower.create(project=project, user=world.client.user)
    await ProjectFollower.create(project=project, organization=world.globex)
    for viewer in (world.admin, world.staff):
        with QueryCounter() as counter:
            page = (await api("ProjectPage", {"id": str(project.id)}, token=viewer.token)).ok()["project"]
        assert [m["id"] for m in page["members"]] == [str(world.staff.user.id), str(world.admin.user.id)]
        assert [u["id"] for u in page["followers"]["users"]] == [str(world.client.user.id)]
        assert [o["id"] for o in page["followers"]["organizations"]] == [str(world.acme.id), str(world.globex.id)]
        assert page["client"]["id"] == str(world.acme.id)
        assert page["tasks"]["totalCount"] == 1
        # session, sign-in access, project, tasks, client, time, members and followers (one
        # statement), task count, people, the follower organization that is not the client
        assert counter.count <= 10, counter.count
