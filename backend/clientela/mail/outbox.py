"""Queueing emails: render them in the recipient's language and write them to the outbox, in
whatever transaction the caller has open, so an email exists exactly when its change does."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

from clientela.accounts import throttle
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.rendering import environment, in_language, supported_language
from clientela.people.language import effective_language
from clientela.people.models import User
from clientela.settings import get_settings

SUBJECT_MAX_LENGTH = 200
# Names and titles are cut in subjects, so that the subject still says what the email is about.
SUBJECT_VALUE_MAX_LENGTH = 80


class EmailKind(StrEnum):
    SHARED_ORGANIZATION = "SHARED_ORGANIZATION"
    PROJECT_INVITATION = "PROJECT_INVITATION"
    PASSWORD = "PASSWORD"
    CLIENT_REPLY = "CLIENT_REPLY"
    SHARE_EXPIRY_REMINDER = "SHARE_EXPIRY_REMINDER"
    PARTNER_MEMBERSHIP = "PARTNER_MEMBERSHIP"
    AUTOMATION_NOTICE = "AUTOMATION_NOTICE"

    @property
    def template(self) -> str:
        return self.value.lower()


# Emails to addresses a workspace typed in itself: capped, so that a fresh sign-up is no spam relay.
INVITATIONS = frozenset({EmailKind.SHARED_ORGANIZATION, EmailKind.PROJECT_INVITATION, EmailKind.PARTNER_MEMBERSHIP})


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def render_email(kind: EmailKind, language: str, recipient_name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one email."""
    language = supported_language(language)
    env = environment(language)
    name = EmailKind(kind).template
    # Every link of an email (its context's `*_url`) opens the portal in the email's language;
    # a password link is made only on delivery (SET_PASSWORD_LINK), with the language then.
    links = {k: in_language(v, language) for k, v in context.items() if k.endswith("_url") and v.startswith("http")}
    values = {**context, **links, "recipient_name": recipient_name, "language": language}
    short = {k: _cut(" ".join(v.split()), SUBJECT_VALUE_MAX_LENGTH) if isinstance(v, str) else v for k, v in values.items()}
    # One line whatever the names contain: a newline in a header would be a header injection.
    subject = _cut(" ".join(env.get_template(f"{name}.subject.txt").render(short).split()), SUBJECT_MAX_LENGTH)
    values["subject"] = subject
    text = env.get_template(f"{name}.txt").render(values).strip() + "\n"
    html = env.get_template(f"{name}.html").render(values)
    return subject, text, html


def message_id(email_id: uuid.UUID, mail_from: str) -> str:
    """An email's Message-ID: its outbox row's id at the sender's domain, so that a copy sent
    again is recognisably the same message, and a reply to it recognisably a reply to us."""
    return f"<{email_id}@{_sender_domain(mail_from)}>"


def is_our_message_id(value: str, mail_from: str) -> bool:
    """Whether `value` (without its angle brackets) is a Message-ID that `message_id` made."""
    local, _, domain = value.rpartition("@")
    return domain.lower() == _sender_domain(mail_from).lower() and bool(_UUID.fullmatch(local.lower()))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _sender_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


# Stands where a password email's link goes: the link's token is made only when the email is
# delivered, so that no usable token is ever stored in the outbox.
SET_PASSWORD_LINK = "[set-password-link]"


async def queue_email(
    kind: EmailKind, recipient: User, context: dict[str, Any], *, about: uuid.UUID | None = None
) -> OutboxEmail | None:
    """Write one email to the outbox, or nothing when the recipient has no address. `about` is
    what it is about (a share, a project, a message): delivery checks that the recipient may
    still receive it."""
    if not recipient.email:
        return None
    if kind in INVITATIONS:
        # Counted in the caller's transaction, which a refusal rolls back whole.
        limit = get_settings().invitations_per_workspace_per_hour
        await throttle.require(f"invitations:workspace:{recipient.workspace_id}", limit=limit, window=timedelta(hours=1))
    language = supported_language(await effective_language(recipient))
    subject, text, html = render_email(kind, language, recipient.name, context)
    return await OutboxEmail.create(
        workspace_id=recipient.workspace_id,
        kind=EmailKind(kind).value,
        to_address=recipient.email,
        to_name=recipient.name,
        recipient_id=recipient.id,
        about_id=about,
        subject=subject,
        text_body=text,
        html_body=html,
        language=language,
        status=OutboxStatus.PENDING,
        next_attempt_at=datetime.now(UTC),
    )


async def backlog() -> tuple[int, datetime | None]:
    """How many emails wait to be sent, and when the oldest of them was written."""
    pending = OutboxEmail.filter(status=OutboxStatus.PENDING)
    oldest = await pending.order_by("created_at").limit(1).values_list("created_at", flat=True)
    return await pending.count(), oldest[0] if oldest else None
