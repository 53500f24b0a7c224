"""Conversations on tasks and projects: INTERNAL notes stay with the firm; PUBLIC replies are
emailed to the client recipients, with the earlier public messages each has not been sent."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.conversations.models import Message, MessageRecipient, MessageVisibility
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.mail.outbox import EmailKind, queue_email
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects import services as projects
from clientela.projects.models import Project, ProjectFollower
from clientela.settings import get_settings
from clientela.tasks import services as tasks
from clientela.tasks.models import Task, TaskFollower, TaskRequester


class RecipientReason(StrEnum):
    REQUESTER = "REQUESTER"
    TASK_FOLLOWER = "TASK_FOLLOWER"
    PROJECT_FOLLOWER = "PROJECT_FOLLOWER"


@dataclass
class Recipient:
    user: User
    reason: RecipientReason
    unseen_public_messages: int


def _conversation(task: Task | None, project: Project | None) -> Q:
    return Q(task_id=task.id) if task else Q(project_id=project.id, task_id__isnull=True)


async def _recipients(task: Task | None, project: Project, exclude: uuid.UUID | None) -> list[Recipient]:
    """The client recipients of a public message and the first reason each receives it:
    a task's requesters and followers, then the project's followers (people, and the members
    of following organizations)."""
    reasons: dict[uuid.UUID, RecipientReason] = {}
    if task is not None:
        for user_id in await TaskRequester.filter(task_id=task.id).values_list("user_id", flat=True):
            reasons.setdefault(user_id, RecipientReason.REQUESTER)
        for user_id in await TaskFollower.filter(task_id=task.id).values_list("user_id", flat=True):
            reasons.setdefault(user_id, RecipientReason.TASK_FOLLOWER)
    followers = await ProjectFollower.filter(project_id=project.id).values_list("user_id", "organization_id")
    follower_ids = {u for u, _ in followers if u}
    org_ids = [o for _, o in followers if o]
    if org_ids:
        follower_ids |= set(await User.filter(organization_id__in=org_ids).values_list("id", flat=True))
    for user_id in sorted(follower_ids):
        reasons.setdefault(user_id, RecipientReason.PROJECT_FOLLOWER)
    reasons.pop(exclude, None)
    people = {u.id: u for u in await User.filter(id__in=list(reasons), email__isnull=False)}
    public = await Message.filter(
        _conversation(task, project), visibility=MessageVisibility.PUBLIC
    ).values_list("id", flat=True)
    seen: dict[uuid.UUID, int] = defaultdict(int)
    for (user_id,) in await MessageRecipient.filter(message_id__in=public, user_id__in=list(people)).values_list("user_id"):
        seen[user_id] += 1
    return [
        Recipient(user=people[user_id], reason=reason, unseen_public_messages=len(public) - seen[user_id])
        for user_id, reason in reasons.items()
        if user_id in people
    ]


async def preview_recipients(viewer: Viewer, task_id: object) -> list[Recipient]:
    task, project = await tasks.get_managed_task(viewer, task_id)
    return await _recipients(task, project, exclude=viewer.user_id)


async def post_message(
    viewer: Viewer,
    *,
    task_id: object | None,
    project_id: object | None,
    body: str,
    visibility: MessageVisibility,
    include_history: bool,
) -> Message:
    if (task_id is None) == (project_id is None):
        raise BadUserInput("Give exactly one of taskId and projectId.", field="taskId")
    body = validation.body(body)
    task: Task | None = None
    if task_id is not None:
        task = await tasks.get_task(viewer, task_id)
        project = await Project.get(id=task.project_id)
    else:
        project = await projects.get_project(viewer, project_id)
    await policy.require_post_message(viewer, project, public=visibility is MessageVisibility.PUBLIC)
    async with in_transaction():
        message = await Message.create(
            workspace_id=viewer.workspace_id,
            task=task,
            project=project if task is None else None,
            author_id=viewer.user_id,
            body=body,
            visibility=visibility,
        )
        if visibility is MessageVisibility.PUBLIC:
            await _email_recipients(viewer, message, task, project, include_history)
    return message


async def _email_recipients(
    viewer: Viewer, message: Message, task: Task | None, project: Project, include_history: bool
) -> None:
    settings = get_settings()
    recipients = await _recipients(task, project, exclude=viewer.user_id)
    earlier = (
        await Message.filter(_conversation(task, project), visibility=MessageVisibility.PUBLIC, id__lt=message.id)
        .order_by("id")
        .select_related("author")
        if include_history
        else []
    )
    sent_before: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for user_id, message_id in await MessageRecipient.filter(
        message_id__in=[m.id for m in earlier], user_id__in=[r.user.id for r in recipients]
    ).values_list("user_id", "message_id"):
        sent_before[user_id].add(message_id)
    item_url = f"{settings.link_base}/projects/{project.id}" + (f"?task={task.id}" if task else "")
    rows: list[MessageRecipient] = []
    for recipient in recipients:
        history = [m for m in earlier if m.id not in sent_before[recipient.user.id]]
        await queue_email(
            EmailKind.CLIENT_REPLY,
            recipient.user,
            {
                "item_title": task.title if task else project.name,
                "item_url": item_url,
                "author_name": viewer.user.name,
                "body": message.body,
                "history": [
                    {"author_name": m.author.name, "body": m.body, "created_at": m.created_at} for m in history
                ],
            },
        )
        rows += [MessageRecipient(message_id=m.id, user_id=recipient.user.id) for m in [message, *history]]
    await MessageRecipient.bulk_create(rows)
