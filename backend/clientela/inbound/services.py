"""Replies by email. Each email that carries a public message gets a reply address of its own
recipient and conversation, `reply+<token>@<inbound domain>`; a reply to it becomes a public
message of that person there, through the same path (and the same rules and emails) as a reply
posted through the API.

A token is a random key (stored in `reply_token`) and an HMAC of it under the secret key, in
lower-case base32 (mail servers may change the case of an address): it names nobody and nothing,
is checked before any query, and the table alone makes no valid one."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum

from clientela import policy
from clientela.accounts.viewer import viewer_for
from clientela.conversations import services as conversations
from clientela.conversations.audience import message_audience
from clientela.conversations.models import Message, MessageVisibility
from clientela.core.errors import BadUserInput, ClientelaError
from clientela.files.storage import Storage
from clientela.inbound import attachments, repository
from clientela.inbound.models import ReplyToken
from clientela.inbound.parsing import ParsedEmail, parse
from clientela.mail.outbox import is_our_message_id
from clientela.settings import Settings, get_settings

MAC_BYTES = 10
LOCAL_PREFIX = "reply+"

# SMTP replies. Every refusal about the address or the sender's right to use it reads the same.
REFUSED = f"550 5.7.1 {policy.EMAIL_REPLY_REFUSED}"
TOO_LARGE = "552 5.3.4 Message too big"


class Refused(Exception):
    """An email refused at SMTP time: nothing was written. `reply` is the SMTP reply to send."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class Outcome(StrEnum):
    POSTED = "POSTED"
    # Accepted and dropped: a machine's email (an auto-reply, bulk mail, our own email come back).
    IGNORED = "IGNORED"
    # Accepted again: this reply was posted when it first arrived.
    DUPLICATE = "DUPLICATE"


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    message: Message | None = None
    # The email as read: its sender, text and attachments.
    email: ParsedEmail | None = None


def now() -> datetime:
    return datetime.now(UTC)


def _mac(key: bytes) -> bytes:
    secret = get_settings().resolved_secret_key().encode()
    return hmac.new(secret, b"clientela reply address\0" + key, hashlib.sha256).digest()[:MAC_BYTES]


def token_of(key: str) -> str:
    raw = bytes.fromhex(key)
    return base64.b32encode(raw + _mac(raw)).decode().rstrip("=").lower()


def key_of(token: str) -> str | None:
    """The key a token carries, if its HMAC is right; None for anything else."""
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    key, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    # Only the one spelling token_of makes: base32 leaves the last character's low bits unused.
    canonical = base64.b32encode(raw).decode().rstrip("=").lower() == token.lower()
    if not canonical or len(key) != repository.KEY_BYTES or not hmac.compare_digest(mac, _mac(key)):
        return None
    return key.hex()


def token_in(address: str, settings: Settings) -> str | None:
    """The token of a reply address at our inbound domain, or None for any other address."""
    local, _, domain = parseaddr(address)[1].rpartition("@")
    if not settings.inbound_domain or domain.lower() != settings.inbound_domain.lower():
        return None
    if not local.lower().startswith(LOCAL_PREFIX):
        return None
    return local[len(LOCAL_PREFIX) :]


async def reply_addresses(
    settings: Settings, wanted: list[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
    """For each (recipient, message) of `wanted`, the address at which the recipient answers the
    conversation of the message, valid for `inbound_token_days` from now; none without an
    inbound domain."""
    if not settings.inbound_domain or not wanted:
        return {}
    moment = now()
    expires_at = moment + timedelta(days=settings.inbound_token_days)
    keys = await repository.issue_keys(wanted, now=moment, expires_at=expires_at)
    return {pair: f"{LOCAL_PREFIX}{token_of(key)}@{settings.inbound_domain}" for pair, key in keys.items()}


# Precedence values that mark bulk and automatic mail (RFC 3834 and common practice).
MACHINE_PRECEDENCE = frozenset({"bulk", "auto_reply", "junk", "list"})


def sent_by_a_machine(email: ParsedEmail, settings: Settings) -> bool:
    """Auto-replies, bulk mail and our own emails come back: accepted and dropped, since a bounce
    would only feed a loop."""
    headers = email.headers
    auto_submitted = headers.get("auto-submitted", "no").split(";")[0].strip().lower()
    if auto_submitted != "no" or headers.get("precedence", "").strip().lower() in MACHINE_PRECEDENCE:
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    ours = parseaddr(settings.mail_from)[1].lower()
    return email.from_address == ours and any(is_our_message_id(value, settings.mail_from) for value in email.answers)


async def _token(recipient: str, settings: Settings, moment: datetime) -> ReplyToken:
    token = token_in(recipient, settings)
    key = key_of(token) if token else None
    found = await repository.usable_token(key, moment) if key else None
    if found is None:
        raise Refused(REFUSED)
    return found


def accepts_recipient(recipient: str, settings: Settings) -> bool:
    """Whether an address is one of ours to receive at (its token is checked with the email)."""
    return token_in(recipient, settings) is not None


async def receive(raw: bytes, recipient: str, settings: Settings, storage: Storage) -> Received:
    """Post the reply in `raw`, sent to `recipient`, once, with its attachments kept in
    `storage` as its files (inbound/attachments.py); raises Refused (nothing written, nothing
    stored) when it may not be posted."""
    if len(raw) > settings.inbound_max_message_bytes:
        raise Refused(TOO_LARGE)
    email = parse(raw)
    if sent_by_a_machine(email, settings):
        return Received(Outcome.IGNORED, email=email)
    moment = now()
    token = await _token(recipient, settings, moment)
    viewer = await viewer_for(token.user)
    identity = hashlib.sha256(email.identity.encode()).hexdigest()
    try:
        audience = await message_audience(token.project, token.task, muted_too=True)
        policy.require_reply_by_email(viewer, email.from_address, in_audience=token.user_id in audience)
        if await repository.was_received(token, identity):
            return Received(Outcome.DUPLICATE, email=email)
        kept = await attachments.keep(viewer, email.attachments, storage, settings)
        try:
            message = await repository.post_once(
                token,
                identity,
                lambda: conversations.post_message(
                    viewer,
                    task_id=token.task_id,
                    project_id=None if token.task_id else token.project_id,
                    body=kept.body(email.body),
                    visibility=MessageVisibility.PUBLIC,
                    include_history=True,
                    file_ids=[file.id for file in kept.files],
                ),
            )
        except Exception:
            await attachments.discard(kept, storage)
            raise
    except BadUserInput as error:  # the person's own words: safe to say what is wrong with them
        raise Refused(f"550 5.6.0 {error.message}") from None
    except ClientelaError:
        raise Refused(REFUSED) from None
    if message is None:  # posted by a delivery of the same email at the same moment
        await attachments.discard(kept, storage)
        return Received(Outcome.DUPLICATE, email=email)
    return Received(Outcome.POSTED, message=message, email=email)


async def revoke_reply_addresses(email_address: str) -> int:
    """Ends every reply address of the people with this email address (a leaked email, say);
    their next emails carry new ones. The number ended."""
    return await repository.revoke_all_of(email_address.strip().lower(), now())
