"""Conversations on tasks and projects: INTERNAL notes stay with the firm; PUBLIC replies are
emailed to the client recipients, with the earlier public messages each has not been sent."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from clientela import policy
from clientela.automations import services as automations
from clientela.automations.models import TriggerKind
from clientela.conversations import repository
from clientela.conversations.audience import message_audience, shown_item
from clientela.conversations.models import ItemNotifications, Message, MessageVisibility
from clientela.core import clock, validation
from clientela.core.errors import BadUserInput
from clientela.files import services as files
from clientela.mail.outbox import EmailKind, queue_email
from clientela.mail.rendering import supported_language
from clientela.people import repository as people_repository
from clientela.people.language import effective_language
from clientela.people.models import User
from clientela.policy import Action, RecipientReason, Viewer
from clientela.projects import services as projects
from clientela.projects.models import Project
from clientela.settings import Settings, get_settings
from clientela.tasks import repository as task_rows
from clientela.tasks import services as tasks
from clientela.tasks.models import Task


def conversation_url(settings: Settings, project_id: uuid.UUID, task_id: uuid.UUID | None) -> str:
    """Where the portal shows a conversation: the item's, or the project's own."""
    return f"{settings.link_base}/projects/{project_id}" + (f"?task={task_id}" if task_id else "")


@dataclass
class Recipient:
    user: User
    reason: RecipientReason
    unseen_public_messages: int


async def _recipients(task: Task | None, project: Project, exclude: uuid.UUID | None) -> list[Recipient]:
    """The recipients of a public message (the policy's audience), with how many earlier public
    messages each has not been sent."""
    reasons = await message_audience(project, task)
    reasons.pop(exclude, None)
    people = {u.id: u for u in await repository.people_with_email(list(reasons))}
    public = await repository.public_message_ids(task, project)
    seen: dict[uuid.UUID, int] = defaultdict(int)
    for _, user_id in await repository.sent(public, list(people)):
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
    file_ids: list | None = None,
) -> Message:
    """The viewer's message, with their pending uploads of `file_ids` attached."""
    if (task_id is None) == (project_id is None):
        raise BadUserInput("Give exactly one of taskId and projectId.", field="task_id")
    body = validation.body(body)
    task: Task | None = None
    if task_id is not None:
        task = await tasks.get_task(viewer, task_id)
        project = await task_rows.project_of(task)
    else:
        project = await projects.get_project(viewer, project_id)
    public = visibility is MessageVisibility.PUBLIC
    member = await projects.membership(viewer, Action.MANAGE_PROJECT, project)
    policy.require_post_message(viewer, project, public=public, project_member=member)
    attached = await files.attachable(viewer, file_ids)

    async def deliver(message: Message) -> None:
        await files.attach(attached, message=message)
        if public:
            await _email_recipients(viewer, message, task, project, include_history)
            if task is not None and viewer.is_client:
                await automations.record(viewer, TriggerKind.CLIENT_REPLIED, task, message=message.id)

    return await repository.create_message(viewer, task=task, project=project, body=body, visibility=visibility, deliver=deliver)


async def post_automatic_message(
    viewer: Viewer, task: Task, *, public: bool, body_in: Callable[[str], str], language: str
) -> Message:
    """A message of an automation rule on `task`, by the automation identity (`viewer`): stored
    in `language` (the requester's); a PUBLIC one goes to the same recipients, with the same
    history, as a person's reply, each email in its recipient's language (`body_in(language)`)."""
    project = await task_rows.project_of(task)
    visibility = MessageVisibility.PUBLIC if public else MessageVisibility.INTERNAL

    async def deliver(message: Message) -> None:
        if public:
            await _email_recipients(viewer, message, task, project, include_history=True, body_in=body_in)

    return await repository.create_message(
        viewer, task=task, project=project, body=validation.body(body_in(language)), visibility=visibility, deliver=deliver
    )


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
    viewer: Viewer,
    message: Message,
    task: Task | None,
    project: Project,
    include_history: bool,
    body_in: Callable[[str], str] | None = None,
) -> None:
    """`body_in(language)`: the message's text in a recipient's language (an automatic reply's
    template), else the message's body for everyone."""
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
    earlier = await repository.public_messages_before(task, project, message) if include_history else []
    sent_before: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for message_id, user_id in await repository.sent([m.id for m in earlier], [r.user.id for r in recipients]):
        sent_before[user_id].add(message_id)
    item_url = conversation_url(settings, project.id, task.id if task else None)
    sent_to: list[tuple[uuid.UUID, uuid.UUID]] = []
    for recipient in recipients:
        unsent = [m for m in earlier if m.id not in sent_before[recipient.user.id]]
        history = _history(unsent, history_budget)
        body = message.body
        if body_in is not None:
            body = body_in(supported_language(await effective_language(recipient.user)))
        await queue_email(
            EmailKind.CLIENT_REPLY,
            recipient.user,
            {
                "item_title": task.title if task else project.name,
                "item_ref": task.ref if task else None,
                "item_url": item_url,
                "author_name": viewer.user.name,
                "body": body,
                "history": [{"author_name": m.author.name, "body": m.body, "created_at": m.created_at} for m in history],
                "history_left_out": len(unsent) - len(history),
            },
            about=message.id,
        )
        sent_to += [(m.id, recipient.user.id) for m in [message, *history]]
    await repository.add_recipients(sent_to)


# --- Following up: what one has read, and which items' emails one gets ---------------------


async def mark_read(viewer: Viewer, task_id: object) -> Task:
    """The viewer opened the item: its messages so far are read."""
    task = await tasks.get_task(viewer, task_id)
    await repository.mark_read(task, viewer.user_id, clock.now())
    return task


async def unread_count(viewer: Viewer) -> int:
    """How many of the items the viewer sees have public messages of others they have not read."""
    policy.require_signed_in(viewer)
    return await repository.count_unread_tasks(viewer) if policy.counts_unread(viewer) else 0


async def set_notifications(viewer: Viewer, task_id: object, notifications: ItemNotifications) -> Task:
    """The viewer follows the item (emailed its public messages while they read it), mutes it
    (emailed none) or leaves it to their attachment (DEFAULT)."""
    policy.require(viewer, Action.CHOOSE_ITEM_NOTIFICATIONS)
    task = await tasks.get_task(viewer, task_id)
    await repository.set_notifications(task, viewer.user_id, notifications)
    return task


async def copy_colleagues(viewer: Viewer, task_id: object, user_ids: list) -> Task:
    """A client copies colleagues who see the item on it: they follow it, unless they chose
    already (a colleague who muted it stays muted)."""
    policy.require(viewer, Action.COPY_COLLEAGUES)
    task = await tasks.get_task(viewer, task_id)
    colleagues = await people_repository.visible_people(viewer, user_ids)
    shown = await shown_item(await task_rows.project_of(task), task, colleagues, viewer.portal)
    policy.require_copy(viewer, colleagues, shown=shown)
    await repository.follow_unless_chosen(task, [c.id for c in colleagues])
    return task
