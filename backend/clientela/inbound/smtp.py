"""Receiving replies: an SMTP server (aiosmtpd) in the running event loop, and one email read
from standard input for a mail server's pipe. Each answers with what `services.receive` decided."""

from __future__ import annotations

import asyncio
import logging
from email import message_from_bytes, policy
from email.utils import getaddresses

from aiosmtpd.smtp import SMTP, Envelope, Session

from clientela.files.storage import Storage
from clientela.inbound import services
from clientela.inbound.services import Outcome, Refused
from clientela.settings import Settings

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Reply received"
UNKNOWN_ADDRESS = "550 5.1.1 No such address here"
ONE_ADDRESS = "452 4.5.3 One reply address per message, send the rest again"
TRY_LATER = "451 4.3.0 Temporary failure, try again later"


class InboundHandler:
    """aiosmtpd's handler: one reply address per email (RFC 5321 lets the client send to the
    others in another transaction), received when the data is in."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        if envelope.rcpt_tos:
            return ONE_ADDRESS
        if not services.accepts_recipient(address, self.settings):
            return UNKNOWN_ADDRESS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return await answer(envelope.original_content, envelope.rcpt_tos[0], self.settings, self.storage)


async def answer(raw: bytes, recipient: str, settings: Settings, storage: Storage) -> str:
    """The SMTP reply to an email for `recipient`; its attachments go to `storage`."""
    try:
        received = await services.receive(raw, recipient, settings, storage)
    except Refused as refusal:
        return refusal.reply
    except Exception:
        # A database outage, say: the sender's server keeps the email and tries again.
        log.exception("Receiving a reply failed")
        return TRY_LATER
    if received.outcome is not Outcome.POSTED:
        log.info("Reply accepted and not posted: %s", received.outcome.value)
    return ACCEPTED


async def start_server(settings: Settings, host: str, port: int, storage: Storage) -> asyncio.Server:
    """The SMTP server on host:port, serving in the running loop (and so its database), keeping
    attachments in `storage`."""
    handler = InboundHandler(settings, storage)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=settings.inbound_max_message_bytes,
            enable_SMTPUTF8=True,
            hostname=settings.inbound_domain or None,
            ident="Clientela inbound",
        ),
        host=host,
        port=port,
    )


# Where a mail server's pipe names the address it delivers to, most specific first.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")

# sysexits.h, as mail servers read a pipe's exit status: refused for good, or try again.
EX_OK = 0
EX_NOUSER = 67
EX_NOPERM = 77
EX_TEMPFAIL = 75


def recipient_in(raw: bytes, settings: Settings) -> str | None:
    email = message_from_bytes(raw, policy=policy.default)
    for header in RECIPIENT_HEADERS:
        for _, address in getaddresses([str(value) for value in email.get_all(header, [])]):
            if services.accepts_recipient(address, settings):
                return address
    return None


async def receive_piped(raw: bytes, recipient: str | None, settings: Settings, storage: Storage) -> tuple[int, str]:
    """(exit status, SMTP reply) for one email from a pipe, to `recipient` or else to the reply
    address its headers name."""
    recipient = recipient or recipient_in(raw, settings)
    if recipient is None or not services.accepts_recipient(recipient, settings):
        return EX_NOUSER, UNKNOWN_ADDRESS
    reply = await answer(raw, recipient, settings, storage)
    status = EX_OK if reply.startswith("2") else EX_TEMPFAIL if reply.startswith("4") else EX_NOPERM
    return status, reply
