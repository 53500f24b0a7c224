"""Queueing emails: render them in the recipient's language and write them to the outbox, in
whatever transaction the caller has open, so an email exists exactly when its change does."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.rendering import environment, supported_language
from clientela.people.language import effective_language
from clientela.people.models import User

SUBJECT_MAX_LENGTH = OutboxEmail._meta.fields_map["subject"].max_length


class EmailKind(StrEnum):
    SHARED_ORGANIZATION = "SHARED_ORGANIZATION"
    PROJECT_INVITATION = "PROJECT_INVITATION"
    PASSWORD = "PASSWORD"
    CLIENT_REPLY = "CLIENT_REPLY"

    @property
    def template(self) -> str:
        return self.value.lower()


def render_email(
    kind: EmailKind, language: str, recipient_name: str, context: dict[str, Any]
) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one email."""
    language = supported_language(language)
    env = environment(language)
    name = EmailKind(kind).template
    values = {**context, "recipient_name": recipient_name, "language": language}
    # One line whatever the names contain: a newline in a header would be a header injection.
    subject = " ".join(env.get_template(f"{name}.subject.txt").render(values).split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1] + "…"
    values["subject"] = subject
    text = env.get_template(f"{name}.txt").render(values).strip() + "\n"
    html = env.get_template(f"{name}.html").render(values)
    return subject, text, html


async def queue_email(kind: EmailKind, recipient: User, context: dict[str, Any]) -> OutboxEmail | None:
    """Write one email to the outbox, or nothing when the recipient has no address."""
    if not recipient.email:
        return None
    language = supported_language(await effective_language(recipient))
    subject, text, html = render_email(kind, language, recipient.name, context)
    return await OutboxEmail.create(
        workspace_id=recipient.workspace_id,
        kind=EmailKind(kind).value,
        to_address=recipient.email,
        to_name=recipient.name,
        subject=subject,
        text_body=text,
        html_body=html,
        language=language,
        status=OutboxStatus.PENDING,
        next_attempt_at=datetime.now(UTC),
    )
