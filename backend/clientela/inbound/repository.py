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


async def issue_keys(
    wanted: list[tuple[uuid.UUID, uuid.UUID]], *, now: datetime, expires_at: datetime
) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
    """For each (recipient, message) of `wanted`, the key of the recipient's reply address for
    the conversation of the message, valid until `expires_at` (none for a message that is gone),
    in five statements for them all. A revoked or expired key is never valid again: the
    conversation gets a new one."""
    messages = await Message.filter(id__in={message_id for _, message_id in wanted}).select_related("task")
    conversation_of = {
        m.id: (m.task_id or m.project_id, m.task.project_id if m.task else m.project_id, m.task_id) for m in messages
    }
    pairs = {(user_id, conversation_of[message_id]) for user_id, message_id in wanted if message_id in conversation_of}
    users, conversations = {user_id for user_id, _ in pairs}, {c[0] for _, c in pairs}

    def tokens():
        return ReplyToken.filter(user_id__in=users, conversation_id__in=conversations)

    held = {(row.user_id, row.conversation_id): row for row in await tokens()}
    # Another worker may make the same row meanwhile: the unique (user, conversation) keeps one.
    new = [
        ReplyToken(
            user_id=user_id, project_id=project_id, task_id=task_id, conversation_id=conversation_id,
            key=secrets.token_hex(KEY_BYTES), expires_at=expires_at,
        )
        for user_id, (conversation_id, project_id, task_id) in pairs
        if (user_id, conversation_id) not in held
    ]  # fmt: skip
    if new:
        await ReplyToken.bulk_create(new, ignore_conflicts=True)
    live = []
    for row in held.values():
        if row.revoked_at is not None or row.expires_at <= now:
            # On its old key: of two workers renewing it at once, one makes the new key.
            renew = {"key": secrets.token_hex(KEY_BYTES), "revoked_at": None, "expires_at": expires_at}
            await ReplyToken.filter(id=row.id, key=row.key).update(**renew)
        else:
            live.append(row.id)
    if live:
        await ReplyToken.filter(id__in=live).update(expires_at=expires_at)
    keys = {
        (user_id, conversation_id): key
        for user_id, conversation_id, key in await tokens().values_list("user_id", "conversation_id", "key")
    }
    return {
        (user_id, message_id): keys[user_id, conversation_of[message_id][0]]
        for user_id, message_id in wanted
        if message_id in conversation_of and (user_id, conversation_of[message_id][0]) in keys
    }


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
