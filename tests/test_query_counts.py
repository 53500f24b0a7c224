"""No N+1: a page costs the same number of SQL statements for 5 items as for 50."""

from clientela.conversations.models import Message, MessageVisibility
from clientela.tasks.models import Task, TaskFollower, TaskRequester, TimeEntry
from clientela.workspaces.services import visibility_changed
from support import QueryCounter

# Each list field of a task, on a 50-task page; one query each keeps within the node budget.
TASK_LISTS = [
    "requesters { id name email organization { id kind } } assignee { id name email } project { id name }",
    "followers { id name } labels timeSpentMinutes cost { amount }",
    "timeEntries { id minutes user { id name } }",
    "messages { id body author { id name } }",
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
            workspace_id=world.admin.user.workspace_id, project=world.acme_project, title=f"T{index}", assignee=world.staff.user
        )
        await TaskRequester.of(task.id, world.client.user).save()
        await TaskFollower.create(task=task, user=world.staff.user)
        await TimeEntry.create(task=task, user=world.staff.user, minutes=10, date="2026-11-03")
        await Message.create(
            workspace_id=world.admin.user.workspace_id, task=task, author=world.staff.user, body="hi", visibility=MessageVisibility.PUBLIC
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
