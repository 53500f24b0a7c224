"""No N+1: a page costs the same number of SQL statements for 5 items as for 50."""

from clientela.conversations.models import Message, MessageVisibility
from clientela.core.ids import uuid7
from clientela.files.models import StoredFile
from clientela.tasks.models import Task, TaskFollower, TaskRequester, TimeEntry
from clientela.tasks.repository import next_ref
from clientela.workspaces.repository import visibility_changed
from support import QueryCounter

# Each list field of a task, on a 50-task page; one query each keeps within the node budget.
TASK_LISTS = [
    "requesters { id name email organization { id kind } } assignee { id name email } project { id name }",
    "followers { id name } labels timeSpentMinutes cost { amount }",
    "timeEntries { id minutes user { id name } }",
    "messages { id body author { id name } }",
    "files { id name size contentType url uploadedBy { id name } }",
]
PAGE = """
query Page($id: ID!) {
  project(id: $id) {
    id name budget { amount } billed { amount } timeSpentMinutes
    client { id name } members { id name } followers { users { id } organizations { id } }
    tasks(first: 50) { totalCount edges { node { id title %s } } }
  }
}
"""


async def _project_with_tasks(world, count):
    for index in range(count):
        task = await Task.create(
            workspace_id=world.admin.user.workspace_id,
            project=world.acme_project,
            title=f"T{index}",
            # Not one of the people the links read along (members, followers): whether a person
            # read along comes before a load of them by id is timing, which would make the count
            # differ by one from run to run.
            assignee=world.outsider_staff.user,
            ref=await next_ref(world.acme_project),
        )
        await TaskRequester.of(task.id, world.client.user).save()
        await TaskFollower.create(task=task, user=world.staff.user)
        await TimeEntry.create(task=task, user=world.staff.user, minutes=10, date="2026-11-03")
        message = await Message.create(
            workspace_id=world.admin.user.workspace_id,
            task=task,
            author=world.staff.user,
            body="hi",
            visibility=MessageVisibility.PUBLIC,
        )
        for where in ({"task": task}, {"message": message}):
            await StoredFile.create(
                workspace_id=task.workspace_id,
                uploaded_by=world.client.user,
                storage_key=uuid7().hex,
                name="a.png",
                content_type="image/png",
                size=1,
                **where,
            )
    await visibility_changed(world.admin.user.workspace_id)  # rows written behind the services' back


async def _statements(api, token, query, variables):
    with QueryCounter() as counter:
        result = await api(query, variables, token=token)
    result.ok()
    return counter.count, result


async def test_project_page_costs_the_same_for_5_and_50_tasks(api, world):
    variables = {"id": str(world.acme_project.id)}
    queries = ["ProjectPage"] + [PAGE % fields for fields in TASK_LISTS]
    await _project_with_tasks(world, 4)  # with the world's own task: 5
    small = [await _statements(api, world.admin.token, query, variables) for query in queries]
    assert all(len(result.data["project"]["tasks"]["edges"]) == 5 for _, result in small)
    await _project_with_tasks(world, 45)
    large = [await _statements(api, world.admin.token, query, variables) for query in queries]
    assert all(len(result.data["project"]["tasks"]["edges"]) == 50 for _, result in large)
    assert [count for count, _ in small] == [count for count, _ in large]
    assert all(5 <= count <= 25 for count, _ in large), [count for count, _ in large]


async def test_the_benchmarks_project_and_task_pages_take_six_statements(api, world):
    """Sign-in, the project or task (with its project and assignee), and one wave for what it
    shows: its page of tasks with their count, its time totals, its links with their people (and
    a project's client; a task's time entries and messages, with their people)."""
    await _project_with_tasks(world, 4)
    task = world.acme_task
    await TimeEntry.create(task=task, user=world.staff.user, minutes=30, date=task.created_at.date(), note="n")
    await Message.create(
        workspace_id=task.workspace_id, task=task, author=world.client.user, body="hi", visibility=MessageVisibility.PUBLIC
    )
    project, _ = await _statements(api, world.staff.token, "ProjectPage", {"id": str(world.acme_project.id)})
    task_page, result = await _statements(api, world.staff.token, "TaskPage", {"id": str(task.id)})
    assert result.data["task"]["requesters"] and result.data["task"]["timeEntries"] and result.data["task"]["messages"]
    assert (project, task_page) == (6, 6)


TASK_PAGE_FILES = "query($id: ID!) { task(id: $id) { files { id name uploadedBy { name } } messages { id files { id name } } } }"


async def test_the_files_of_a_task_and_of_its_messages_cost_the_same_for_5_and_50_messages(api, world):
    variables = {"id": str(world.acme_task.id)}

    async def messages_with_files(count):
        for _ in range(count):
            message = await Message.create(
                workspace_id=world.acme_task.workspace_id,
                task=world.acme_task,
                author=world.client.user,
                body="hi",
                visibility=MessageVisibility.PUBLIC,
            )
            await StoredFile.create(
                workspace_id=message.workspace_id,
                uploaded_by=world.client.user,
                storage_key=uuid7().hex,
                name="a.png",
                content_type="image/png",
                size=1,
                message=message,
            )

    await messages_with_files(4)
    few, result = await _statements(api, world.client.token, TASK_PAGE_FILES, variables)
    assert sum(len(m["files"]) for m in result.data["task"]["messages"]) == 4
    await messages_with_files(46)
    many, result = await _statements(api, world.client.token, TASK_PAGE_FILES, variables)
    assert sum(len(m["files"]) for m in result.data["task"]["messages"]) == 50
    assert few == many, (few, many)


async def test_client_portal_home_costs_the_same_for_5_and_50_items(api, world):
    await _project_with_tasks(world, 4)
    small, result = await _statements(api, world.client.token, "PortalHome", {"first": 50})
    assert result.data["portalItems"]["totalCount"] == 5
    await _project_with_tasks(world, 45)
    large, result = await _statements(api, world.client.token, "PortalHome", {"first": 50})
    assert len(result.data["portalItems"]["edges"]) == 50
    assert small == large, (small, large)
    assert small >= 3


async def test_financial_figures_of_many_clients_cost_the_same_as_of_one(api, world, factory):
    query = "query { organizations(kind: CLIENT) { id financialSummary { projectCount budget { amount } billed { amount } } } }"
    few, result = await _statements(api, world.admin.token, query, {})
    assert len(result.data["organizations"]) == 2
    for index in range(10):
        await factory.organization(world.admin, f"Client {index}")
    many, result = await _statements(api, world.admin.token, query, {})
    assert len(result.data["organizations"]) == 12
    assert few == many


# --- connections under a list of parents load per page of parents (issue 12, item 7) ---

NESTED_TASKS = "query { projects { id tasks(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id } } } } }"
CONNECTION = "{ totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title } } }"


async def test_tasks_of_a_list_of_projects_cost_the_same_for_2_and_12_projects(api, factory):
    from clientela.projects.models import Project

    admin = await factory.workspace()

    async def add_projects(count):
        for index in range(count):
            project = await Project.create(workspace_id=admin.user.workspace_id, name=f"P{index}")
            for number in range(3):
                await Task.create(workspace_id=admin.user.workspace_id, project=project, title=f"T{number}")

    await add_projects(2)
    few, result = await _statements(api, admin.token, NESTED_TASKS, {})
    assert [p["tasks"]["totalCount"] for p in result.data["projects"]] == [3, 3]
    assert all(len(p["tasks"]["edges"]) == 2 and p["tasks"]["pageInfo"]["hasNextPage"] for p in result.data["projects"])
    await add_projects(10)
    many, result = await _statements(api, admin.token, NESTED_TASKS, {})
    assert [p["tasks"]["totalCount"] for p in result.data["projects"]] == [3] * 12
    assert few == many, (few, many)


async def test_tasks_of_a_list_of_projects_are_each_projects_own_in_one_page_and_one_count(api, world):
    """Loaded together, each project's page, cursor and total are those it has alone, for every
    kind of viewer and filter; and a list of projects takes at most two statements for them."""
    from clientela.projects.models import Project
    from clientela.tasks.models import TaskLabel, TaskStatus

    workspace_id = world.admin.user.workspace_id
    app = await Project.create(workspace_id=workspace_id, name="Acme app", client=world.acme)
    plans = [
        (world.acme_project, ["x"], True),
        (world.acme_project, ["x", "y"], False),
        (world.acme_project, [], True),
        (world.acme_project, ["y", "x"], True),
        (app, ["x"], True),
        (app, ["x"], False),
        (app, [], False),
    ]
    for index, (project, labels, requested) in enumerate(plans):
        status = TaskStatus.OPEN if index % 2 else TaskStatus.DONE
        task = await Task.create(workspace_id=workspace_id, project=project, title=f"N{index}", labels=labels, status=status)
        await TaskLabel.bulk_create([TaskLabel(task_id=task.id, label=label) for label in labels])
        if requested:
            await TaskRequester.of(task.id, world.client.user).save()
    # Clients see only what they requested, so that a client's page differs from the project's.
    assert (await api("UpdatePortalSettings", {"input": {"scopes": ["OWN_REQUESTS"]}}, token=world.admin.token)).ok()
    await visibility_changed(workspace_id)
    listed = "query($id: ID!) { organization(id: $id) { projects { id tasks(%s) %s } } }"
    alone = "query($id: ID!) { project(id: $id) { id tasks(%s) %s } }"
    parents = "query($id: ID!) { organization(id: $id) { projects { id } } }"
    for viewer in (world.admin, world.staff, world.csr, world.consultant, world.client):
        base, _ = await _statements(api, viewer.token, parents, {"id": str(world.acme.id)})
        for arguments in (
            "first: 1",
            "first: 10",
            'first: 2, labels: ["x"]',
            'first: 10, labels: ["x", "y"]',
            "first: 10, status: OPEN",
        ):
            statements, result = await _statements(
                api, viewer.token, listed % (arguments, CONNECTION), {"id": str(world.acme.id)}
            )
            projects = (result.data["organization"] or {"projects": []})["projects"]
            # Their pages in one statement and their counts in another; one project's page counts itself.
            assert statements == base + min(len(projects), 2), (viewer.user.name, arguments, statements, base)
            for project in projects:
                single = (await api(alone % (arguments, CONNECTION), {"id": project["id"]}, token=viewer.token)).ok()
                assert single["project"] == project, (viewer.user.name, arguments)
            if viewer in (world.admin, world.client) and arguments == "first: 10":
                assert len(projects) == 2 and all(p["tasks"]["edges"] for p in projects)
        # The next page of each: the cursor of a listed page goes on where it ended.
        for filters in ("", ', labels: ["x"]'):
            page = await api(listed % (f"first: 1{filters}", CONNECTION), {"id": str(world.acme.id)}, token=viewer.token)
            for project in (page.data["organization"] or {"projects": []})["projects"]:
                after = project["tasks"]["pageInfo"]["endCursor"]
                arguments = f'first: 2{filters}, after: "{after}"' if after else f"first: 2{filters}"
                rest = (await api(alone % (arguments, CONNECTION), {"id": project["id"]}, token=viewer.token)).ok()["project"]
                together = await api(listed % (arguments, CONNECTION), {"id": str(world.acme.id)}, token=viewer.token)
                assert rest in together.ok()["organization"]["projects"]


async def test_tasks_of_a_list_of_projects_sorted_by_the_next_due_time_cost_the_same_for_2_and_12_projects(api, factory):
    """Each project's page of NEXT_DUE, and the next one after its cursor, is the one it has
    alone, in one statement for the pages and one for the counts however many projects."""
    import datetime as dt

    from clientela.projects.models import Project

    admin = await factory.workspace()
    soon = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)

    async def add_projects(count):
        for index in range(count):
            project = await Project.create(workspace_id=admin.user.workspace_id, name=f"P{index}")
            # Due in the reverse order of creation, and one task with no running target.
            for number, hours in enumerate([3, 2, 1, None]):
                due = soon + dt.timedelta(hours=hours) if hours is not None else None
                await Task.create(workspace_id=admin.user.workspace_id, project=project, title=f"T{number}", target_due_at=due)

    listed = "query { projects { id tasks(first: 2%s, orderBy: NEXT_DUE) %s } }"
    alone = "query($id: ID!) { project(id: $id) { id tasks(first: 2%s, orderBy: NEXT_DUE) %s } }"
    await add_projects(2)
    few, result = await _statements(api, admin.token, listed % ("", CONNECTION), {})
    await add_projects(10)
    many, result = await _statements(api, admin.token, listed % ("", CONNECTION), {})
    assert few == many, (few, many)
    projects = result.data["projects"]
    assert len(projects) == 12
    for project in projects:
        assert [e["node"]["title"] for e in project["tasks"]["edges"]] == ["T2", "T1"] and project["tasks"]["totalCount"] == 3
        assert (await api(alone % ("", CONNECTION), {"id": project["id"]}, token=admin.token)).ok()["project"] == project
    after = f', after: "{projects[0]["tasks"]["pageInfo"]["endCursor"]}"'
    rest = (await api(listed % (after, CONNECTION), {}, token=admin.token)).ok()["projects"][0]["tasks"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["T0"] and not rest["pageInfo"]["hasNextPage"]


async def test_a_labels_filter_is_one_subquery_however_many_labels(api, world):
    variables = {"projectId": str(world.acme_project.id)}
    sql = {}
    for count in (1, 5):
        with QueryCounter() as counter:
            result = await api("ProjectTasks", {**variables, "labels": [f"l{i}" for i in range(count)]}, token=world.admin.token)
        assert result.ok()["project"]["tasks"]["totalCount"] == 0
        sql[count] = [s.count("task_label") for s in counter.statements]
    assert sql[1] == sql[5] and max(sql[5]) <= 3, sql  # the page may also select it, and its count filter by it


SHARES_WITH_FIRMS = """query($id: ID!) { organization(id: $id) { shares { id status user { name }
  partner { id name members { id name } } } } }"""
HELD_THROUGH = "{ myClients { id access heldThrough { id role partner { id name } } } }"


async def test_who_holds_a_client_costs_the_same_for_1_and_6_firms(api, world, factory):
    from clientela.organizations.models import Organization, OrganizationKind
    from clientela.partners.models import PartnerMember
    from clientela.sharing.models import Share, ShareRole, ShareStatus

    consultant = world.consultant.user

    async def firms(count):
        for index in range(count):
            firm = await Organization.create(
                workspace_id=world.admin.user.workspace_id, name=f"Firm {index}", kind=OrganizationKind.PARTNER
            )
            await PartnerMember.create(partner=firm, user=consultant)
            for name in ("A", "B", "C"):
                person = await factory.person(world.admin, None, f"{name} of firm {index}")
                await PartnerMember.create(partner=firm, user=person.user)
            await Share.create(organization=world.acme, partner=firm, role=ShareRole.CSR, status=ShareStatus.ACCEPTED)

    await firms(1)
    small = [
        await _statements(api, world.owner.token, SHARES_WITH_FIRMS, {"id": str(world.acme.id)}),
        await _statements(api, world.consultant.token, HELD_THROUGH, {}),
    ]
    await firms(5)
    large = [
        await _statements(api, world.owner.token, SHARES_WITH_FIRMS, {"id": str(world.acme.id)}),
        await _statements(api, world.consultant.token, HELD_THROUGH, {}),
    ]
    assert len(large[0][1].data["organization"]["shares"]) == 2 + 6
    assert len(large[1][1].data["myClients"][0]["heldThrough"]) == 1 + 6
    assert [count for count, _ in small] == [count for count, _ in large]


# --- the portal's finding and following up (issue 18) ---

FOUND = """
query Found($first: Int, $orderBy: TaskOrder!) {
  portalUnreadCount
  portalItems(first: $first, search: "t", resolved: false, whose: MY_ORGANIZATION, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id ref title createdAt updatedAt unread notifications myRating { score } status project { id name } } }
  }
}
"""
RATED = "query($first: Int) { portalItems(first: $first) { edges { node { id ratings { score user { name } } } } } }"


async def test_finding_and_following_up_costs_the_same_for_5_and_50_items(api, world):
    from clientela.conversations.models import ItemNotifications, ItemSubscription, ReadMarker
    from clientela.core import clock
    from clientela.ratings.models import ItemRating

    async def more(count):
        await _project_with_tasks(world, count)
        for task in await Task.filter(project_id=world.acme_project.id):
            await ItemSubscription.get_or_create(
                task=task, user=world.client.user, defaults={"notifications": ItemNotifications.FOLLOWING}
            )
            await ReadMarker.get_or_create(task=task, user=world.client.user, defaults={"read_at": clock.now()})
            await ItemRating.get_or_create(task=task, user=world.client.user, defaults={"score": 4, "organization": world.acme})

    await more(4)
    small = {}
    for order in ("OLDEST_FIRST", "NEWEST_FIRST", "RECENTLY_UPDATED", "DUE_DATE"):
        small[order], result = await _statements(api, world.client.token, FOUND, {"first": 50, "orderBy": order})
        assert result.data["portalItems"]["totalCount"] == 5
    small["ratings"], _ = await _statements(api, world.admin.token, RATED, {"first": 50})
    await more(45)
    for order in ("OLDEST_FIRST", "NEWEST_FIRST", "RECENTLY_UPDATED", "DUE_DATE"):
        large, result = await _statements(api, world.client.token, FOUND, {"first": 50, "orderBy": order})
        assert len(result.data["portalItems"]["edges"]) == 50
        assert large == small[order], (order, small[order], large)
    large, result = await _statements(api, world.admin.token, RATED, {"first": 50})
    rated = [
        e for e in result.data["portalItems"]["edges"] if e["node"]["ratings"] == [{"score": 4, "user": {"name": "Clara Client"}}]
    ]
    assert len(rated) >= 45
    assert large == small["ratings"]
