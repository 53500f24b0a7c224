"""Finding items in the portal (issue 18, item 1): search, status and ownership filters, the
orders and their keyset pagination, each refused where the portal settings hide the field it
reads; and the items' references (item 2)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from clientela.tasks.models import Task

FIND = """
query Find($first: Int, $after: String, $search: String, $status: TaskStatus, $resolved: Boolean,
           $whose: ItemOwnership, $orderBy: TaskOrder! = OLDEST_FIRST) {
  portalItems(first: $first, after: $after, search: $search, status: $status, resolved: $resolved, whose: $whose,
              orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title ref createdAt updatedAt dueDate } }
  }
}
"""
CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id ref } }"
BY_REF = "query($ref: String, $id: ID) { task(ref: $ref, id: $id) { id ref title } }"


async def set_portal(api, world, **input):
    return (await api("UpdatePortalSettings", {"input": input}, token=world.admin.token)).ok()


async def create(api, world, title, project=None, **input):
    project = project or world.acme_project
    variables = {"input": {"projectId": str(project.id), "title": title, **input}}
    return (await api(CREATE, variables, token=world.admin.token)).ok()["createTask"]


async def find(api, person, **variables):
    return (await api(FIND, {"first": 100, **variables}, token=person.token)).ok()["portalItems"]


async def titles(api, person, **variables):
    found = await find(api, person, **variables)
    names = [e["node"]["title"] for e in found["edges"]]
    assert found["totalCount"] == len(names)
    return names


async def walk(api, person, size, **variables):
    """Every page of `size`, following the cursors: the titles in order (each page counts them all)."""
    seen, totals, after = [], set(), None
    while True:
        page = await find(api, person, first=size, after=after, **variables)
        seen += [e["node"]["title"] for e in page["edges"]]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            assert totals == {len(seen)}, (totals, seen)
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_search_reads_the_title_and_the_description_where_it_is_visible(api, world):
    await create(api, world, "Café menu")
    await create(api, world, "Brand refresh", description="New logo colours")
    await create(api, world, "100% uptime")
    await create(api, world, "under_score")
    await create(api, world, "Понедельник: Отчёт")
    assert await titles(api, world.client, search="cafe") == ["Café menu"]
    assert await titles(api, world.client, search="  CAFÉ ") == ["Café menu"]
    assert await titles(api, world.client, search="отчет") == ["Понедельник: Отчёт"]
    assert await titles(api, world.client, search="LOGO") == ["Brand refresh"]
    # Wildcards are text: % and _ find only themselves.
    assert await titles(api, world.client, search="%") == ["100% uptime"]
    assert await titles(api, world.client, search="_") == ["under_score"]
    assert len(await titles(api, world.client, search=" ")) == 6  # no search: every item
    await set_portal(api, world, visibleTaskFields=["STATUS"])
    assert await titles(api, world.client, search="logo") == []
    assert await titles(api, world.client, search="brand") == ["Brand refresh"]
    # The firm's side reads every description.
    assert await titles(api, world.staff, search="logo") == ["Brand refresh"]
    too_long = await api(FIND, {"search": "x" * 101}, token=world.client.token)
    assert too_long.code == "BAD_USER_INPUT" and too_long.data is None


async def test_search_finds_only_what_the_client_sees(api, world):
    await create(api, world, "Globex logo", project=world.globex_project)
    assert await titles(api, world.client, search="logo") == []
    assert await titles(api, world.other_client, search="logo") == ["Globex logo"]


async def test_status_and_resolved_filters_only_where_the_status_is_visible(api, world):
    await create(api, world, "Done one", status="DONE")
    await create(api, world, "Doing one", status="IN_PROGRESS")
    await create(api, world, "Paused one", status="ON_HOLD")
    assert await titles(api, world.client, resolved=True) == ["Done one"]
    assert await titles(api, world.client, resolved=False) == ["Acme home page", "Doing one", "Paused one"]
    assert await titles(api, world.client, status="IN_PROGRESS") == ["Doing one"]
    assert await titles(api, world.client, status="DONE", resolved=False) == []
    await set_portal(api, world, visibleTaskFields=["DESCRIPTION"])
    for variables, argument in (({"resolved": True}, "resolved"), ({"status": "DONE"}, "status")):
        refused = await api(FIND, variables, token=world.client.token)
        assert refused.code == "BAD_USER_INPUT" and refused.data is None
        assert refused.errors[0]["extensions"]["field"] == argument
    assert await titles(api, world.staff, resolved=True) == ["Done one"]


async def test_whose_tells_the_viewers_own_items_from_their_organizations(api, world, factory):
    colleague = await factory.person(world.admin, world.acme, "Colin Colleague")
    await create(api, world, "Colin's request", project=world.internal_project, requesterIds=[colleague.id])
    await create(api, world, "Nobody's", project=world.acme_project)
    followed = await create(api, world, "Followed by Clara", project=world.internal_project)
    follow = {"taskId": followed["id"], "userIds": [world.client.id]}
    (await api("AddTaskFollowers", follow, token=world.admin.token)).ok()
    assert await titles(api, world.client) == ["Acme home page", "Colin's request", "Nobody's", "Followed by Clara"]
    assert await titles(api, world.client, whose="MINE") == ["Acme home page", "Followed by Clara"]
    assert await titles(api, world.client, whose="MY_ORGANIZATION") == ["Acme home page", "Colin's request"]
    assert await titles(api, colleague, whose="MINE") == ["Colin's request"]
    # Which items the organization requested is its requesters: not where they are hidden.
    await set_portal(api, world, visibleTaskFields=["STATUS"])
    assert (await api(FIND, {"whose": "MY_ORGANIZATION"}, token=world.client.token)).code == "BAD_USER_INPUT"
    assert await titles(api, world.client, whose="MINE") == ["Acme home page", "Followed by Clara"]
    # Staff have no organization's requests among a client's, and none of their own here.
    assert await titles(api, world.staff, whose="MINE") == []


async def _orders_world(api, world):
    """Items due in an order of their own, two of them undated, and changed in another order."""
    today = dt.date(2026, 12, 1)
    plans = [("A", 3), ("B", None), ("C", 1), ("D", 3), ("E", None), ("F", 2)]
    ids = {}
    for title, days in plans:
        due = (today + dt.timedelta(days=days)).isoformat() if days is not None else None
        ids[title] = (await create(api, world, title, dueDate=due))["id"]
    for title in ("C", "A", "E"):
        (await api("UpdateTask", {"id": ids[title], "input": {"priority": "HIGH"}}, token=world.admin.token)).ok()
    return ids


ORDERS = {
    "OLDEST_FIRST": ["Acme home page", "A", "B", "C", "D", "E", "F"],
    "NEWEST_FIRST": ["F", "E", "D", "C", "B", "A", "Acme home page"],
    "RECENTLY_UPDATED": ["E", "A", "C", "F", "D", "B", "Acme home page"],
    "DUE_DATE": ["C", "F", "A", "D", "Acme home page", "B", "E"],
}


@pytest.mark.parametrize("viewer", ["client", "admin"])
async def test_every_order_pages_the_same_items_in_the_same_order_whatever_the_page_size(api, world, viewer):
    await _orders_world(api, world)
    person = getattr(world, viewer)
    for order, expected in ORDERS.items():
        everything = await titles(api, person, orderBy=order)
        # The admin sees the other items of the world too, among these.
        assert [t for t in everything if t not in ("Globex findings", "Internal wiki")] == expected, order
        expected = everything
        for size in (1, 2, 3):
            assert await walk(api, person, size, orderBy=order) == expected, (order, size)
        # With a filter too (the other path for a client's list): the world's items say "Details".
        searched = [t for t in expected if "a" in t.lower() or t in ("Acme home page", "Globex findings", "Internal wiki")]
        assert await walk(api, person, 2, orderBy=order, search="a") == searched, order


async def test_a_cursor_belongs_to_its_order(api, world):
    await _orders_world(api, world)
    cursors = {}
    for order in ORDERS:
        page = await find(api, world.client, first=2, orderBy=order)
        cursors[order] = page["pageInfo"]["endCursor"]
    for order, cursor in cursors.items():
        for other in ORDERS:
            same_kind = {order, other} <= {"OLDEST_FIRST", "NEWEST_FIRST"}  # both an id
            result = await api(FIND, {"first": 2, "after": cursor, "orderBy": other}, token=world.client.token)
            if order == other or same_kind:
                result.ok()
            else:
                assert result.code == "BAD_USER_INPUT", (order, other)


async def test_sorting_by_a_hidden_field_is_refused(api, world):
    await _orders_world(api, world)
    await set_portal(api, world, visibleTaskFields=["STATUS"])
    refused = await api(FIND, {"orderBy": "DUE_DATE"}, token=world.client.token)
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["field"] == "orderBy"
    assert refused.data is None
    assert await titles(api, world.client, orderBy="RECENTLY_UPDATED") == ORDERS["RECENTLY_UPDATED"]


async def test_project_tasks_in_every_order_are_each_projects_own_when_listed_together(api, world):
    from clientela.projects.models import Project

    other = await Project.create(workspace_id=world.admin.user.workspace_id, name="Acme app", client=world.acme)
    await _orders_world(api, world)
    for title in ("G", "H", "I"):
        await create(api, world, title, project=other, dueDate="2026-12-05" if title != "H" else None)
    listed = "query($id: ID!) { organization(id: $id) { projects { id tasks(first: 2, orderBy: %s%s) %s } } }"
    alone = "query($id: ID!) { project(id: $id) { id tasks(first: 2, orderBy: %s%s) %s } }"
    connection = "{ totalCount pageInfo { hasNextPage endCursor } edges { cursor node { title } } }"
    for order in ORDERS:
        for person in (world.admin, world.client):
            projects = (await api(listed % (order, "", connection), {"id": str(world.acme.id)}, token=person.token)).ok()
            projects = projects["organization"]["projects"]
            # The client sees Acme app through no scope: no item of it is theirs.
            assert len(projects) == (2 if person is world.admin else 1)
            for project in projects:
                single = (await api(alone % (order, "", connection), {"id": project["id"]}, token=person.token)).ok()
                assert single["project"] == project, order
                after = f', after: "{project["tasks"]["pageInfo"]["endCursor"]}"'
                rest = (await api(alone % (order, after, connection), {"id": project["id"]}, token=person.token)).ok()
                together = await api(listed % (order, after, connection), {"id": str(world.acme.id)}, token=person.token)
                assert rest["project"] in together.ok()["organization"]["projects"], order


async def test_an_item_is_updated_by_changes_clients_may_see_only(api, world):
    older = await create(api, world, "Older")
    newer = await create(api, world, "Newer")
    recent = ["Newer", "Older", "Acme home page"]
    found = await find(api, world.client, orderBy="RECENTLY_UPDATED")
    assert [e["node"]["title"] for e in found["edges"]] == recent
    made = found["edges"][0]["node"]  # a new item was last changed when it was made
    moments = [dt.datetime.fromisoformat(made[key]) for key in ("createdAt", "updatedAt")]
    assert abs(moments[1] - moments[0]) < dt.timedelta(seconds=5)
    public = {"input": {"taskId": older["id"], "body": "On it", "visibility": "PUBLIC"}}
    (await api("PostMessage", public, token=world.staff.token)).ok()
    assert await titles(api, world.client, orderBy="RECENTLY_UPDATED") == ["Older", "Newer", "Acme home page"]
    unseen = [
        ("PostMessage", {"input": {"taskId": newer["id"], "body": "psst", "visibility": "INTERNAL"}}),
        ("LogTime", {"input": {"taskId": newer["id"], "minutes": 5}}),
        ("UpdateTask", {"id": newer["id"], "input": {"estimatedMinutes": 60}}),
        ("UpdateTask", {"id": newer["id"], "input": {"title": "Newer"}}),  # the same title: no change
    ]
    for operation, variables in unseen:
        (await api(operation, variables, token=world.admin.token)).ok()
    assert await titles(api, world.client, orderBy="RECENTLY_UPDATED") == ["Older", "Newer", "Acme home page"]
    (await api("UpdateTask", {"id": newer["id"], "input": {"title": "Newest"}}, token=world.admin.token)).ok()
    found = await find(api, world.client, orderBy="RECENTLY_UPDATED")
    assert [e["node"]["title"] for e in found["edges"]] == ["Newest", "Older", "Acme home page"]
    node = found["edges"][0]["node"]
    assert node["updatedAt"] > node["createdAt"]


async def test_every_item_has_a_reference_unique_in_the_workspace(api, world):
    # The world's items took ACME-1, GLOBEX-1, INTERN-1 (and FOREIG-1 in the other workspace).
    assert (await create(api, world, "First"))["ref"] == "ACME-2"
    assert (await create(api, world, "Elsewhere", project=world.internal_project))["ref"] == "INTERN-2"
    submitted = {"input": {"projectId": str(world.acme_project.id), "title": "Submitted"}}
    item = (await api("SubmitItem", submitted, token=world.client.token)).ok()["submitItem"]
    assert (await Task.get(id=item["id"])).ref == "ACME-3"
    # The firm names a project's prefix; items made before keep theirs.
    renamed = {"id": str(world.acme_project.id), "input": {"key": "web"}}
    (
        await api(
            "mutation($id: ID!, $input: UpdateProjectInput!) { updateProject(id: $id, input: $input) { id } }",
            renamed,
            token=world.admin.token,
        )
    ).ok()
    assert (await create(api, world, "Renamed"))["ref"] == "WEB-1"
    assert (await api(BY_REF, {"ref": "ACME-3"}, token=world.admin.token)).ok()["task"]["title"] == "Submitted"
    for bad in ("", "1ACME", "ÄCME", "TOOLONGKEY1", "AC-ME"):
        result = await api(
            "mutation($id: ID!, $input: UpdateProjectInput!) { updateProject(id: $id, input: $input) { id } }",
            {"id": str(world.acme_project.id), "input": {"key": bad}},
            token=world.admin.token,
        )
        assert result.code == "BAD_USER_INPUT", bad


async def test_task_by_reference_is_seen_exactly_as_by_id(api, world):
    item = await create(api, world, "Findable")
    found = (await api(BY_REF, {"ref": item["ref"].lower()}, token=world.client.token)).ok()["task"]
    assert found == {"id": item["id"], "ref": item["ref"], "title": "Findable"}
    assert (await api(BY_REF, {"ref": "GLOBEX-1"}, token=world.client.token)).code == "NOT_FOUND"
    assert (await api(BY_REF, {"ref": "GLOBEX-1"}, token=world.other_client.token)).ok()["task"]["title"] == "Globex findings"
    assert (await api(BY_REF, {"ref": item["ref"]}, token=world.foreign_admin.token)).code == "NOT_FOUND"
    assert (await api(BY_REF, {"ref": "NOPE-1"}, token=world.admin.token)).code == "NOT_FOUND"
    assert (await api(BY_REF, {"ref": item["ref"], "id": item["id"]}, token=world.admin.token)).code == "BAD_USER_INPUT"
    assert (await api(BY_REF, {}, token=world.admin.token)).code == "BAD_USER_INPUT"


async def test_items_made_at_once_get_references_of_their_own(world):
    from clientela.accounts.viewer import viewer_for
    from clientela.people.models import User
    from clientela.tasks import services

    admin = await viewer_for(await User.get(id=world.admin.user.id).select_related("workspace", "organization"))

    async def make(number):
        return await services.create_task(admin, world.acme_project.id, services.TaskValues(title=f"At once {number}"), [])

    made = await asyncio.gather(*(make(n) for n in range(8)))
    refs = sorted(task.ref for task in made)
    assert len(set(refs)) == 8 and all(ref.startswith("ACME-") for ref in refs)
    assert sorted(int(ref.split("-")[1]) for ref in refs) == list(range(2, 10))
