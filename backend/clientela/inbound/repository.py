"""Reply addresses and received replies, as Tortoise reads and writes them."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from clientela.conversations.models import Message
from clientela.inbound.models import ReceivedEmail, ReplyToken
from clientela.people.models import User

KEY_BYTES = 16


async def issue_key(recipient_id: uuid.UUID, message_id: uuid.UUID, *, now: datetime, expires_at: datetime) -> str | None:
    """The key of `recipient_id`'s reply address for the conversation of message `message_id`,
    valid until `expires_at`; None when the message is gone. A revoked or expired key is never
    valid again: the conversation gets a new one."""
    message = await Message.get_or_none(id=message_id).select_related("task")
    if message is None:
        return None
    task = message.task
    project_id = task.project_id if task else message.project_id
    conversation_id = task.id if task else project_id
    for _ in range(2):  # a second try finds the row another worker made meanwhile
        row = await ReplyToken.get_or_none(user_id=recipient_id, conversation_id=conversation_id)
        if row is None:
            try:
                row = await ReplyToken.create(
                    user_id=recipient_id,
                    project_id=project_id,
                    task_id=task.id if task else None,
                    conversation_id=conversation_id,
                    key=secrets.token_hex(KEY_BYTES),
                    expires_at=expires_at,
                )
            except IntegrityError:
                continue
            return row.key
        if row.revoked_at is not None or row.expires_at <= now:
            # On its old key: of two workers renewing it at once, one makes the new key.
            renew = {"key": secrets.token_hex(KEY_BYTES), "revoked_at": None, "expires_at": expires_at}
            await ReplyToken.filter(id=row.id, key=row.key).update(**renew)
        else:
            await ReplyToken.filter(id=row.id).update(expires_at=expires_at)
        return await ReplyToken.get(id=row.id).values_list("key", flat=True)
    return None


async def usable_token(key: str, now: datetime) -> ReplyToken | None:
    """The token of `key`, with its person (their workspace and organization), project and task,
    if it is neither revoked nor expired."""
    return (
        await ReplyToken.filter(key=key, revoked_at__isnull=True, expires_at__gt=now)
        .select_related("user__workspace", "user__organization", "project", "task")
        .first()
    )


async def revoke_all_of(email: str, now: datetime) -> int:
    """Revokes the live reply tokens of every person with this address; how many."""
    people = Subquery(User.filter(email=email).values("id"))
    return await ReplyToken.filter(user_id__in=people, revoked_at__isnull=True).update(revoked_at=now)


async def was_received(token: ReplyToken, message_id_hash: str) -> bool:
    return await ReceivedEmail.exists(token_id=token.id, message_id_hash=message_id_hash)


async def post_once(token: ReplyToken, message_id_hash: str, post: Callable[[], Awaitable[Message]]) -> Message | None:
    """`post()` in one transaction with the row that records the email it comes from; None (and
    nothing written) when that email was posted already, by a concurrent delivery too."""
    try:
        async with in_transaction():
            message = await post()
            await ReceivedEmail.create(token_id=token.id, message_id_hash=message_id_hash, message_id=message.id)
    except IntegrityError:
        if await was_received(token, message_id_hash):
            return None
        raise
    return message
