"""Who may find, follow up, resolve and rate items, and read ratings: the operations of
tests/operations/portal.graphql run as every kind of viewer, the way the contract matrix runs
the contract's; a refusal changes nothing, and no client reads another's rating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from clientela.conversations.models import Message, MessageVisibility
from clientela.ratings.models import ItemRating
from clientela.tasks.models import Task, TaskRequester, TaskStatus
from clientela.tasks.repository import next_ref
from support import add_partner_firms
from test_contract_matrix import VIEWERS, fingerprint, table

OPERATIONS = {
    d.name.value: print_ast(d)
    for d in parse((Path(__file__).parent / "operations" / "portal.graphql").read_text()).definitions
    if isinstance(d, OperationDefinitionNode)
}
UNAUTH = {"anonymous": "UNAUTHENTICATED"}
EVERYONE = table("ok", **UNAUTH)
UNSEEN = {"outsider_staff": "NOT_FOUND", "other_client": "NOT_FOUND", "foreign_admin": "NOT_FOUND"}
# Everyone who sees Acme's project and its items.
READ_ACME_ITEM = table("ok", **UNSEEN, **UNAUTH)
READ_ACME = table("ok", other_client="NOT_FOUND", foreign_admin="NOT_FOUND", **UNAUTH)
# The portal's own actions on an item the client requested: theirs alone.
CLIENT_ACTION = table("FORBIDDEN", client="ok", **UNSEEN, **UNAUTH)

MATRIX = {
    "PortalFind": (lambda w: {"first": 10, "search": "acme", "resolved": False}, EVERYONE),
    "PortalUnreadCount": (lambda w: {}, EVERYONE),
    "PortalItemByRef": (lambda w: {"ref": w.acme_task.ref}, READ_ACME_ITEM),
    "MarkItemRead": (lambda w: {"taskId": str(w.acme_task.id)}, READ_ACME_ITEM),
    "SetItemNotifications": (lambda w: {"taskId": str(w.acme_task.id), "notifications": "MUTED"}, READ_ACME_ITEM),
    # Copying is a client's: the firm's side is refused whatever the item.
    "CcColleagues": (
        lambda w: {"taskId": str(w.acme_task.id), "userIds": [w.colleague.id]},
        table("FORBIDDEN", client="ok", other_client="NOT_FOUND", **UNAUTH),
    ),
    "ResolveItem": (lambda w: {"taskId": str(w.acme_task.id)}, CLIENT_ACTION),
    "ReopenItem": (lambda w: {"taskId": str(w.done_task.id)}, CLIENT_ACTION),
    "RateItem": (lambda w: {"input": {"taskId": str(w.done_task.id), "score": 3, "comment": "Slow"}}, CLIENT_ACTION),
    "PortalItemFollowUp": (lambda w: {"id": str(w.acme_task.id)}, READ_ACME_ITEM),
    "ProjectTasksPage": (lambda w: {"id": str(w.acme_project.id)}, READ_ACME_ITEM),
    "ProjectRatings": (lambda w: {"id": str(w.acme_project.id)}, READ_ACME_ITEM),
    "OrganizationRating": (lambda w: {"id": str(w.acme.id)}, READ_ACME),
}


def test_the_matrix_covers_every_portal_operation():
    assert sorted(MATRIX) == sorted(OPERATIONS)


async def follow_up_world(api, world, factory):
    """The world, its partner firms, resolving on, a resolved item Clara requested and rated,
    and a colleague of hers."""
    await add_partner_firms(world, factory)
    (await api("UpdatePortalSettings", {"input": {"canResolveItems": True}}, token=world.admin.token)).ok()
    world.done_task = await Task.create(
        workspace_id=world.admin.user.workspace_id,
        project=world.acme_project,
        title="Acme logo",
        status=TaskStatus.DONE,
        ref=await next_ref(world.acme_project),
    )
    await TaskRequester.of(world.done_task.id, world.client.user).save()
    await ItemRating.create(task=world.done_task, user=world.client.user, organization=world.acme, score=5, comment="Lovely")
    world.colleague = await factory.person(world.admin, world.acme, "Colin Colleague")
    await Message.create(
        workspace_id=world.acme.workspace_id,
        task=world.acme_task,
        author=world.client.user,
        body="Thanks, looks good",
        visibility=MessageVisibility.PUBLIC,
    )


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("operation", sorted(MATRIX))
async def test_portal_operation_as_viewer(api, factory, world, operation, viewer):
    await follow_up_world(api, world, factory)
    variables_for, expected = MATRIX[operation]
    me = None if viewer == "anonymous" else getattr(world, viewer)
    before = await fingerprint()
    result = await api(OPERATIONS[operation], variables_for(world), token=me.token if me else None)
    outcome = result.code or "ok"
    assert outcome == expected[viewer], result.errors
    if outcome != "ok":
        assert await fingerprint() == before
    if viewer in ("client", "other_client"):  # a rating is the firm's to read
        assert "Lovely" not in json.dumps(result.data)
    if operation == "ProjectRatings" and outcome == "ok":
        project = result.data["project"]
        rated = [e["node"]["ratings"] for e in project["tasks"]["edges"] if e["node"]["id"] == str(world.done_task.id)]
        if viewer == "client":
            assert project["rating"] is None and rated == [None]
        else:
            assert project["rating"] == {"average": 5.0, "count": 1}
            assert rated == [[{"score": 5, "comment": "Lovely", "user": {"id": world.client.id, "name": "Clara Client"}}]]
    if operation == "PortalItemFollowUp" and outcome == "ok":
        task = result.data["task"]
        # Only the client who requested it may resolve and rate it (resolving is on in this world).
        assert (task["canResolve"], task["canRate"]) == ((True, True) if viewer == "client" else (False, False))
        # Which side wrote each message, for every reader; the firm's organization stays hidden from clients.
        sides = {(m["author"]["id"], m["fromFirm"]) for m in task["messages"]}
        assert sides == {(world.staff.id, True), (world.client.id, False)}
        organizations = {m["author"]["id"]: m["author"]["organization"] for m in task["messages"]}
        assert organizations[world.client.id]["name"] == "Acme"
        if viewer == "client":
            assert organizations[world.staff.id] is None
