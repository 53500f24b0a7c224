"""Conversations on tasks and projects: INTERNAL notes stay with the firm; PUBLIC replies are
emailed to the client recipients, with the earlier public messages each has not been sent."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.conversations.models import Message, MessageRecipient, MessageVisibility
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.mail.outbox import EmailKind, queue_email
from clientela.people.models import User
from clientela.policy import RecipientReason, Viewer
from clientela.projects import services as projects
from clientela.projects.models import Project
from clientela.settings import get_settings
from clientela.tasks import services as tasks
from clientela.tasks.models import Task


@dataclass
class Recipient:
    user: User
    reason: RecipientReason
    unseen_public_messages: int


def _conversation(task: Task | None, project: Project | None) -> Q:
    return Q(task_id=task.id) if task else Q(project_id=project.id, task_id__isnull=True)


async def _recipients(task: Task | None, project: Project, exclude: uuid.UUID | None) -> list[Recipient]:
    """The recipients of a public message (the policy's audience), with how many earlier public
    messages each has not been sent."""
    reasons = await policy.message_audience(project, task)
    reasons.pop(exclude, None)
    people = {u.id: u for u in await User.filter(id__in=list(reasons), email__isnull=False)}
    public = await Message.filter(
        _conversation(task, project), visibility=MessageVisibility.PUBLIC
    ).values_list("id", flat=True)
    seen: dict[uuid.UUID, int] = defaultdict(int)
    for (user_id,) in await MessageRecipient.filter(message_id__in=public, user_id__in=list(people)).values_list("user_id"):
        seen[user_id] += 1
    return [
        Recipient(
            user=people[user_id],
            reason=reason,
            unseen_public_messages=min(len(public) - seen[user_id], HISTORY_MESSAGES),
        )
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
        raise BadUserInput("Give exactly one of taskId and projectId.", field="task_id")
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


# An email carries at most this much of the conversation a recipient has not been sent (the
# newest first), then a link to the whole; and one message writes at most OUTBOX_BUDGET of
# text to the outbox, whatever the number of recipients, so a large fan-out shares it.
HISTORY_MESSAGES = 10
HISTORY_BYTES = 64 * 1024
OUTBOX_BUDGET = 16 * 1024 * 1024
EMAIL_OVERHEAD = 4 * 1024  # greeting, links and layout around the text


def _history(unsent: list[Message], budget: int) -> list[Message]:
    """The newest unsent messages that fit the budget, oldest first."""
    kept: list[Message] = []
    for earlier in reversed(unsent[-HISTORY_MESSAGES:]):
        budget -= len(earlier.body.encode())
        if budget < 0:
            break
        kept.append(earlier)
    return kept[::-1]


async def _email_recipients(
    viewer: Viewer, message: Message, task: Task | None, project: Project, include_history: bool
) -> None:
    settings = get_settings()
    recipients = await _recipients(task, project, exclude=viewer.user_id)
    if not recipients:
        return
    own_size = len(message.body.encode()) + EMAIL_OVERHEAD
    if own_size * len(recipients) > OUTBOX_BUDGET:
        longest = OUTBOX_BUDGET // len(recipients) - EMAIL_OVERHEAD
        raise BadUserInput(
            f"A public message to {len(recipients)} recipients may be at most {max(longest, 0)} bytes long.", field="body"
        )
    history_budget = min(HISTORY_BYTES, (OUTBOX_BUDGET - own_size * len(recipients)) // len(recipients))
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
        unsent = [m for m in earlier if m.id not in sent_before[recipient.user.id]]
        history = _history(unsent, history_budget)
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
                "history_left_out": len(unsent) - len(history),
            },
            about=message.id,
        )
        rows += [MessageRecipient(message_id=m.id, user_id=recipient.user.id) for m in [message, *history]]
    await MessageRecipient.bulk_create(rows)
