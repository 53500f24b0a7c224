"""Who a public message is emailed to: the facts about each person the item or project reaches,
read here; whether they read it, decided by policy.reads_public_messages. `messageRecipients`
previews this set, and delivery (mail/grants.py) checks it again."""

from __future__ import annotations

import uuid

from clientela.core.ids import as_uuid
from clientela.core.sql import union_rows
from clientela.people.models import User
from clientela.policy import RecipientReason, ViewerKind, client_holdings, kind_of, reads_public_messages
from clientela.portal.settings import settings_of
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.tasks.models import Task, TaskFollower, TaskRequester
from clientela.workspaces.models import Workspace


async def message_audience(project: Project, task: Task | None) -> dict[uuid.UUID, RecipientReason]:
    """The people a public message on `task` (or on the project itself) goes to, with the first
    reason each has: the item's requesters and followers, then the project's followers (people,
    and the members of following organizations), each only while they read it."""
    reasons: dict[uuid.UUID, RecipientReason] = {}
    if task is not None:
        rows = await union_rows(
            TaskRequester.filter(task_id=task.id).values_list("user_id"),
            TaskFollower.filter(task_id=task.id).values_list("user_id"),
        )
        for branch, user_id in sorted(rows, key=lambda row: row[0]):
            reasons.setdefault(as_uuid(user_id), (RecipientReason.REQUESTER, RecipientReason.TASK_FOLLOWER)[branch])
    attached = set(reasons)
    followers = await ProjectFollower.filter(project_id=project.id).values_list("user_id", "organization_id")
    following = {as_uuid(u) for u, _ in followers if u}
    if organizations := [o for _, o in followers if o]:
        following |= set(await User.filter(organization_id__in=organizations).values_list("id", flat=True))
    for user_id in sorted(following - attached):
        reasons[user_id] = RecipientReason.PROJECT_FOLLOWER
    readers = await _readers(project, task, attached, set(reasons) - attached)
    return {user_id: reason for user_id, reason in reasons.items() if user_id in readers}


async def _readers(project: Project, task: Task | None, attached: set[uuid.UUID], following: set[uuid.UUID]) -> set[uuid.UUID]:
    people = await User.filter(id__in=attached | following, workspace_id=project.workspace_id).select_related("organization")
    kinds = {person.id: kind_of(person, person.organization) for person in people}
    # Each fact is read only when someone's answer depends on it.
    outside = [person_id for person_id, kind in kinds.items() if kind in (ViewerKind.GUEST, ViewerKind.STAFF)]
    staff = [person_id for person_id, kind in kinds.items() if kind is ViewerKind.STAFF]
    holding: set[uuid.UUID] = set()
    if outside and project.client_id:
        held = client_holdings(outside, project.client_id)
        rows = await union_rows(
            held.shares.values_list("user_id"), held.firm_holders.values_list("user_id"), held.owned.values_list("owner_id")
        )
        holding = {as_uuid(user_id) for _, user_id in rows}
    on_project: set[uuid.UUID] = set()
    if staff:
        rows = await union_rows(
            ProjectMember.filter(project_id=project.id, user_id__in=staff).values_list("user_id"),
            ProjectFollower.filter(project_id=project.id, user_id__in=staff).values_list("user_id"),
        )
        on_project = {as_uuid(user_id) for _, user_id in rows}
    following_clients = task is not None and any(kinds[p.id] is ViewerKind.CLIENT and p.id not in attached for p in people)
    requesting: set[uuid.UUID] = set()
    portal = None
    if following_clients:
        rows = await TaskRequester.filter(task_id=task.id).values_list("organization_id", flat=True)
        requesting = {as_uuid(o) for o in rows if o}
        portal = settings_of((await Workspace.get(id=project.workspace_id)).portal_settings)
    return {
        person.id
        for person in people
        if reads_public_messages(
            kinds[person.id],
            portal,
            on_item=task is not None,
            attached=person.id in attached,
            holds_client=person.id in holding,
            on_project=person.id in on_project,
            organization_requested=person.organization_id in requesting,
        )
    }
