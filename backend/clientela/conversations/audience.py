"""Who a public message is emailed to: the facts about each person the item or project reaches,
read here; whether they read it, decided by policy.reads_public_messages, and whether they are
emailed, by policy.emailed_public_messages (a person may mute an item). `messageRecipients`
previews this set, and delivery (mail/grants.py) checks it again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from clientela.conversations.models import ItemNotifications, ItemSubscription
from clientela.core.ids import as_uuid
from clientela.core.sql import union_rows
from clientela.people.models import User
from clientela.policy import (
    RecipientReason,
    ViewerKind,
    client_holdings,
    emailed_public_messages,
    kind_of,
    portal_shows_item,
    reads_public_messages,
)
from clientela.portal.settings import PortalSettings, settings_of
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.tasks.models import Task, TaskFollower, TaskRequester
from clientela.workspaces.models import Workspace


@dataclass
class Following:
    """Who follows a project: people themselves, and organizations (all their members)."""

    people: set[uuid.UUID] = field(default_factory=set)
    organizations: set[uuid.UUID] = field(default_factory=set)

    def includes(self, person: User) -> bool:
        return person.id in self.people or person.organization_id in self.organizations


async def _following(project: Project) -> Following:
    rows = await ProjectFollower.filter(project_id=project.id).values_list("user_id", "organization_id")
    return Following({as_uuid(u) for u, _ in rows if u}, {as_uuid(o) for _, o in rows if o})


async def _requesting_organizations(task: Task) -> set[uuid.UUID]:
    rows = await TaskRequester.filter(task_id=task.id).values_list("organization_id", flat=True)
    return {as_uuid(o) for o in rows if o}


async def message_audience(project: Project, task: Task | None, *, muted_too: bool = False) -> dict[uuid.UUID, RecipientReason]:
    """The people a public message on `task` (or on the project itself) is emailed to, with the
    first reason each has: the item's requesters and followers, the project's followers
    (people, and the members of following organizations), then the people who follow the item
    by choice; each only while they read it, and none who muted the item (with `muted_too`,
    them too: whether one may reply by email does not depend on one's emails)."""
    reasons: dict[uuid.UUID, RecipientReason] = {}
    notifications: dict[uuid.UUID, ItemNotifications] = {}
    if task is not None:
        rows = await union_rows(
            TaskRequester.filter(task_id=task.id).values_list("user_id"),
            TaskFollower.filter(task_id=task.id).values_list("user_id"),
            ItemSubscription.filter(task_id=task.id).values_list("user_id", "notifications"),
        )
        for branch, user_id, chosen in sorted(rows, key=lambda row: row[0]):
            if branch == 2:
                notifications[as_uuid(user_id)] = ItemNotifications(chosen)
            else:
                reasons.setdefault(as_uuid(user_id), (RecipientReason.REQUESTER, RecipientReason.TASK_FOLLOWER)[branch])
    attached = set(reasons)
    following = await _following(project)
    people = set(following.people)
    if following.organizations:
        people |= set(await User.filter(organization_id__in=following.organizations).values_list("id", flat=True))
    for user_id in sorted(people - attached):
        reasons[user_id] = RecipientReason.PROJECT_FOLLOWER
    for user_id in sorted(u for u, chosen in notifications.items() if chosen is ItemNotifications.FOLLOWING):
        reasons.setdefault(user_id, RecipientReason.SUBSCRIBED)
    readers = await _readers(project, task, attached, set(reasons) - attached, following)
    return {
        user_id: reason
        for user_id, reason in reasons.items()
        if emailed_public_messages(
            user_id in readers, muted=not muted_too and notifications.get(user_id) is ItemNotifications.MUTED
        )
    }


async def _portal(project: Project) -> PortalSettings:
    return settings_of((await Workspace.get(id=project.workspace_id)).portal_settings)


async def _readers(
    project: Project, task: Task | None, attached: set[uuid.UUID], others: set[uuid.UUID], following: Following
) -> set[uuid.UUID]:
    people = await User.filter(id__in=attached | others, workspace_id=project.workspace_id).select_related("organization")
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
    unattached_clients = task is not None and any(kinds[p.id] is ViewerKind.CLIENT and p.id not in attached for p in people)
    requesting: set[uuid.UUID] = set()
    portal = None
    if unattached_clients:
        requesting = await _requesting_organizations(task)
        portal = await _portal(project)
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
            follows_project=following.includes(person),
        )
    }


async def shown_item(project: Project, task: Task, people: list[User], portal: PortalSettings) -> set[uuid.UUID]:
    """Those of `people` (clients of one organization) whom the portal shows the item."""
    rows = await union_rows(
        TaskRequester.filter(task_id=task.id).values_list("user_id", "organization_id"),
        TaskFollower.filter(task_id=task.id).values_list("user_id"),
    )
    attached = {as_uuid(user_id) for _, user_id, _ in rows}
    requesting = {as_uuid(organization_id) for branch, _, organization_id in rows if branch == 0 and organization_id}
    following = await _following(project)
    return {
        person.id
        for person in people
        if portal_shows_item(
            portal,
            attached=person.id in attached,
            organization_requested=person.organization_id in requesting,
            follows_project=following.includes(person),
        )
    }
