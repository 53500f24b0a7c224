"""Asked again when an email is delivered, since grants may end while it waits in the outbox."""

from __future__ import annotations

import uuid

from tortoise.expressions import Q, Subquery

from clientela.conversations.audience import message_audience
from clientela.conversations.models import Message
from clientela.organizations.models import Organization
from clientela.people.models import User
from clientela.policy import firms_of, live_shares
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.sharing.models import Share, ShareExpiryReminder
from clientela.tasks.models import Task


async def delivery_refusal(kind: str, recipient_id: uuid.UUID | None, about_id: uuid.UUID | None) -> str | None:
    """Why the recipient may no longer receive this email, or None. A "shared organization"
    email needs its share still live and held by the recipient (or their firm), a partner
    firm's welcome its recipient still a member, a project invitation its recipient still on
    the project, a message email its recipient still in the message's audience."""
    if recipient_id is None or about_id is None:
        return None
    holds = Q(user_id=recipient_id) | Q(partner_id__in=Subquery(firms_of([recipient_id]).values("partner_id")))
    if kind == "SHARED_ORGANIZATION":
        if not await Share.filter(live_shares(), holds, id=about_id).exists():
            return "The share was revoked or has expired, or the recipient left the firm holding it."
    elif kind == "PARTNER_MEMBERSHIP":
        if not await firms_of([recipient_id]).filter(partner_id=about_id).exists():
            return "The recipient is no longer a member of the firm."
    elif kind == "SHARE_EXPIRY_REMINDER":
        reminder = await ShareExpiryReminder.get_or_none(id=about_id)
        share = reminder and await Share.filter(live_shares(), id=reminder.share_id, expires_at=reminder.expires_at).first()
        if share is None:
            return "The share was revoked, has expired or ends at another time now."
        owner_id = await Organization.filter(id=share.organization_id).values_list("owner_id", flat=True)
        holder = await Share.filter(holds, id=share.id).exists()
        if not holder and recipient_id not in owner_id:
            return "The recipient no longer holds or owns this client."
    elif kind == "PROJECT_INVITATION":
        recipient = await User.get_or_none(id=recipient_id)
        on_project = Q(user_id=recipient_id)
        if recipient is not None and recipient.organization_id:
            on_project |= Q(organization_id=recipient.organization_id)
        member = await ProjectMember.exists(project_id=about_id, user_id=recipient_id)
        if not member and not await ProjectFollower.filter(on_project, project_id=about_id).exists():
            return "The recipient is no longer on the project."
    elif kind == "CLIENT_REPLY":
        if recipient_id not in await _audience_of(about_id):
            return NOT_IN_THE_CONVERSATION
    return None


NOT_IN_THE_CONVERSATION = "The recipient no longer receives this conversation."


async def delivery_refusals(emails: list[tuple[str, uuid.UUID | None, uuid.UUID | None]]) -> list[str | None]:
    """`delivery_refusal` of each (kind, recipient, about) of a batch, with the audience of each
    message read once for all of its recipients in the batch (a reply to a conversation of a
    hundred people is a hundred emails about one message)."""
    audiences: dict[uuid.UUID, set[uuid.UUID]] = {}
    refusals: list[str | None] = []
    for kind, recipient_id, about_id in emails:
        if kind == "CLIENT_REPLY" and recipient_id is not None and about_id is not None:
            if about_id not in audiences:
                audiences[about_id] = await _audience_of(about_id)
            refusals.append(None if recipient_id in audiences[about_id] else NOT_IN_THE_CONVERSATION)
        else:
            refusals.append(await delivery_refusal(kind, recipient_id, about_id))
    return refusals


async def _audience_of(message_id: uuid.UUID) -> set[uuid.UUID]:
    """Who receives the conversation of a message today; nobody when it is gone."""
    message = await Message.get_or_none(id=message_id)
    task = await Task.get_or_none(id=message.task_id) if message and message.task_id else None
    project = await Project.get_or_none(id=task.project_id if task else message.project_id) if message else None
    return set(await message_audience(project, task)) if project else set()
