"""Messages and who they were emailed to, as Tortoise reads and writes them. A conversation is a
task's messages, or a project's own (those on none of its tasks)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from clientela.conversations.models import Message, MessageRecipient, MessageVisibility
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.targets import repository as target_clocks
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
        # An automatic reply is no response: the targets wait for a person of the firm.
        if task is not None and visibility is MessageVisibility.PUBLIC and not message.automated:
            await target_clocks.public_message_posted(task, by_client=viewer.is_client)
        await deliver(message)
    return message


async def add_recipients(sent_to: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Records that each (message, person) of `sent_to` was emailed. Two replies posted at once
    may both carry the same earlier message to someone: it was emailed, once recorded is enough."""
    rows = [MessageRecipient(message_id=m, user_id=u) for m, u in sent_to]
    await MessageRecipient.bulk_create(rows, ignore_conflicts=True)
