"""Messages and who they were emailed to, as Tortoise reads and writes them. A conversation is a
task's messages, or a project's own (those on none of its tasks)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.conversations.models import (
    ItemNotifications,
    ItemSubscription,
    Message,
    MessageRecipient,
    MessageVisibility,
    ReadMarker,
)
from clientela.core.ids import as_uuid
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.targets import repository as target_clocks
from clientela.tasks import repository as task_rows
from clientela.tasks.models import Task


def _conversation(task: Task | None, project: Project) -> Q:
    return Q(task_id=task.id) if task else Q(project_id=project.id, task_id__isnull=True)


async def conversations_of(message_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID | None]]:
    """The conversation of each of these messages: (project, task), the task None for a
    project's own conversation."""
    rows = await Message.filter(id__in=message_ids).values_list("id", "project_id", "task_id", "task__project_id")
    return {message_id: (task_project_id or project_id, task_id) for message_id, project_id, task_id, task_project_id in rows}


async def people_with_email(user_ids: list[uuid.UUID]) -> list[User]:
    """The people of `user_ids` who have an email address."""
    return await User.filter(id__in=user_ids, email__isnull=False)


async def public_message_ids(task: Task | None, project: Project) -> list[uuid.UUID]:
    return await Message.filter(_conversation(task, project), visibility=MessageVisibility.PUBLIC).values_list("id", flat=True)


async def public_messages_before(task: Task | None, project: Project, message: Message) -> list[Message]:
    """The conversation's public messages older than `message`, oldest first, with their authors."""
    return (
        await Message.filter(_conversation(task, project), visibility=MessageVisibility.PUBLIC, id__lt=message.id)
        .order_by("id")
        .select_related("author")
    )


async def sent(message_ids: list[uuid.UUID], user_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(message, person) for each of `message_ids` that was emailed to one of `user_ids`."""
    return await MessageRecipient.filter(message_id__in=message_ids, user_id__in=user_ids).values_list("message_id", "user_id")


async def create_message(
    viewer: Viewer,
    *,
    task: Task | None,
    project: Project,
    body: str,
    visibility: MessageVisibility,
    deliver: Callable[[Message], Awaitable[None]],
) -> Message:
    """The viewer's message on the task (or on the project itself), and `deliver(message)` run
    in the same transaction: the emails it queues exist exactly when the message does."""
    async with in_transaction():
        message = await Message.create(
            workspace_id=viewer.workspace_id,
            task=task,
            project=project if task is None else None,
            author_id=viewer.user_id,
            body=body,
            visibility=visibility,
            automated=viewer.user.is_automation,
        )
        if task is not None and visibility is MessageVisibility.PUBLIC:
            await task_rows.mark_updated(task, message.created_at)
            # An automatic reply is no response: the targets wait for a person of the firm.
            if not message.automated:
                await target_clocks.public_message_posted(task, by_client=viewer.is_client)
        await deliver(message)
    return message


async def add_recipients(sent_to: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Records that each (message, person) of `sent_to` was emailed. Two replies posted at once
    may both carry the same earlier message to someone: it was emailed, once recorded is enough."""
    rows = [MessageRecipient(message_id=m, user_id=u) for m, u in sent_to]
    await MessageRecipient.bulk_create(rows, ignore_conflicts=True)


async def mark_read(task: Task, user_id: uuid.UUID, moment: datetime) -> None:
    """The person has read the item's conversation up to `moment`."""
    if not await ReadMarker.filter(task_id=task.id, user_id=user_id).update(read_at=moment):
        # Two pages opened at once may both find no marker: one row is enough.
        await ReadMarker.bulk_create([ReadMarker(task_id=task.id, user_id=user_id, read_at=moment)], ignore_conflicts=True)


def unread_messages(viewer: Viewer) -> QuerySet:
    """The PUBLIC messages of other people that the viewer has not read: created after their
    read marker of the message's item, or on an item without one."""
    read = ReadMarker.filter(
        user_id=viewer.user_id,
        task_id=RawSQL(f'"{Message._meta.db_table}"."task_id"'),
        read_at__gte=RawSQL(f'"{Message._meta.db_table}"."created_at"'),
    )
    return (
        Message.filter(workspace_id=viewer.workspace_id, visibility=MessageVisibility.PUBLIC)
        .exclude(author_id=viewer.user_id)
        .annotate(marked_read=Subquery(read.annotate(n=Count("id")).values("n")))
        .filter(marked_read=0)
    )


async def unread_tasks(viewer: Viewer, task_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `task_ids` with public messages the viewer has not read."""
    rows = await unread_messages(viewer).filter(task_id__in=task_ids).values_list("task_id", flat=True)
    return {as_uuid(task_id) for task_id in rows}


async def count_unread_tasks(viewer: Viewer) -> int:
    """How many of the tasks the viewer sees have public messages they have not read."""
    visible = Subquery(Task.filter(policy.tasks_visible(viewer)).values("id"))
    unread = unread_messages(viewer).filter(task_id__in=visible)
    return await Task.filter(id__in=Subquery(unread.values("task_id"))).count()


async def notifications_of(user_id: uuid.UUID, task_ids: list[uuid.UUID]) -> dict[uuid.UUID, ItemNotifications]:
    rows = await ItemSubscription.filter(user_id=user_id, task_id__in=task_ids).values_list("task_id", "notifications")
    return {as_uuid(task_id): ItemNotifications(chosen) for task_id, chosen in rows}


async def set_notifications(task: Task, user_id: uuid.UUID, notifications: ItemNotifications) -> None:
    """The person's choice for the item's emails (DEFAULT: none of their own)."""
    rows = ItemSubscription.filter(task_id=task.id, user_id=user_id)
    if notifications is ItemNotifications.DEFAULT:
        await rows.delete()
    elif not await rows.update(notifications=notifications):
        row = ItemSubscription(task_id=task.id, user_id=user_id, notifications=notifications)
        await ItemSubscription.bulk_create([row], ignore_conflicts=True)


async def follow_unless_chosen(task: Task, user_ids: list[uuid.UUID]) -> None:
    """The people follow the item, those who chose already (following, or muted) as they chose."""
    rows = [ItemSubscription(task_id=task.id, user_id=u, notifications=ItemNotifications.FOLLOWING) for u in user_ids]
    await ItemSubscription.bulk_create(rows, ignore_conflicts=True)
