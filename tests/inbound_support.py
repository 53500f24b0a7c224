"""Replies by email in tests: the inbound SMTP server in the tests' event loop (and so their
database) with a store of the test's own, a client to send to it, and the emails and messages of
a conversation."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import pytest

from clientela.conversations.models import Message, MessageVisibility
from clientela.files.storage import LocalStorage, Storage
from clientela.inbound.smtp import start_server
from clientela.mail.worker import deliver_due
from clientela.projects.models import ProjectFollower

DOMAIN = "reply.clientela.test"
MAIL_FROM = "notifications@clientela.test"
REFUSED = "This address accepts no message from you."


@dataclass
class Inbound:
    settings: object
    port: int
    outgoing: object  # the SMTP server our worker delivers to (tests/smtp_server.py)
    storage: Storage  # where the attachments of replies go, and those of emails come from

    async def deliver(self) -> dict[str, EmailMessage]:
        """Deliver the outbox; the emails sent, by recipient address."""
        self.outgoing.clear()
        await deliver_due(self.settings, storage=self.storage)
        return {m["To"].addresses[0].addr_spec: m for m in self.outgoing.messages}

    async def send(self, message: EmailMessage, recipients: list[str] | None = None) -> tuple[int, str]:
        """Send over SMTP; the server's (code, text) for the message."""
        try:
            _, reply = await aiosmtplib.send(message, hostname="127.0.0.1", port=self.port, recipients=recipients)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            return refused.recipients[0].code, refused.recipients[0].message
        except aiosmtplib.SMTPResponseException as error:
            return error.code, error.message
        return 250, reply


@pytest.fixture
async def serve_inbound(smtp_server, database, tmp_path):
    """`await serve_inbound(storage, **settings)`: the inbound server with those settings and
    that store (by default a directory of the test's own)."""
    servers = []

    async def serve(storage: Storage | None = None, **overrides) -> Inbound:
        values = {"inbound_domain": DOMAIN, "mail_from": MAIL_FROM, "inbound_max_message_bytes": 64 * 1024, **overrides}
        settings = smtp_server.settings(**values)
        storage = storage or LocalStorage(tmp_path / f"inbound-store{len(servers)}")
        server = await start_server(settings, "127.0.0.1", 0, storage)
        servers.append(server)
        return Inbound(settings, server.sockets[0].getsockname()[1], smtp_server, storage)

    yield serve
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def inbound(serve_inbound) -> Inbound:
    return await serve_inbound()


@pytest.fixture
async def staff_follows(world):
    """Sam (staff) follows Acme's project, so public messages and replies there are emailed to
    him too."""
    await ProjectFollower.create(project=world.acme_project, user=world.staff.user)


def reply(
    to: str, sender: str, text: str, *, answers: EmailMessage | None = None, html: str | None = None, **headers
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: " + (answers["Subject"] if answers else "our item")
    message["Message-ID"] = make_msgid(domain="mail.people.example")
    if answers is not None:
        message["In-Reply-To"] = answers["Message-ID"]
        message["References"] = answers["Message-ID"]
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if html is None:
        message.set_content(text)
    else:
        message.set_content(html, subtype="html")
    return message


async def public_message(api, author, body: str, *, task_id=None, project_id=None) -> None:
    target = {"taskId": str(task_id)} if task_id else {"projectId": str(project_id)}
    (await api("PostMessage", {"input": {**target, "body": body, "visibility": "PUBLIC"}}, token=author.token)).ok()


async def emailed_to(inbound, api, world, person, *, body="Your new home page is up for review.") -> EmailMessage:
    """Staff post a public message on Acme's item; the email it sends `person`."""
    await public_message(api, world.staff, body, task_id=world.acme_task.id)
    return (await inbound.deliver())[person.user.email]


async def posted(author) -> list[str]:
    rows = Message.filter(author_id=author.user.id, visibility=MessageVisibility.PUBLIC).order_by("id")
    return await rows.values_list("body", flat=True)


def other_token(address: str, position: int = -5) -> str:
    """The same address with the character at `position` of its token changed (by default one
    of the HMAC's)."""
    local, _, domain = address.partition("@")
    chars = list(local)
    chars[position] = "a" if chars[position] != "a" else "b"
    return f"{''.join(chars)}@{domain}"
