"""Delivering the outbox: claim due emails, send them over one SMTP connection per batch, retry
failures with exponential back-off. Several workers may run at once: a claim is a lease on the
row, so each email is in the hands of one worker at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from uuid import UUID

import aiosmtplib
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from clientela.accounts import services as accounts
from clientela.automations import engine as automations
from clientela.db import is_postgres
from clientela.files import services as files
from clientela.files.storage import Storage, storage_from_settings
from clientela.inbound.services import reply_addresses
from clientela.mail import attachments
from clientela.mail.grants import delivery_refusals
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.outbox import SET_PASSWORD_LINK, EmailKind, message_id
from clientela.mail.rendering import MESSAGE_FILES
from clientela.settings import Settings
from clientela.sharing import services as sharing
from clientela.targets import services as targets

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 20.0
# A row is sent only while this much of its lease is left: more than the slowest send (a few
# SMTP commands of SMTP_TIMEOUT each), so no lease runs out, and no other worker claims the
# row, while it is being sent.
SEND_MARGIN = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=15)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 15

# Pending emails already logged while no SMTP server is configured, so each is logged once.
_logged_ids: set[UUID] = set()


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


async def deliver_due(settings: Settings, *, now: datetime | None = None, batch: int = 20, storage: Storage | None = None) -> int:
    """Send one batch of due emails, with the files they carry read from `storage` (else the
    settings' own store); the number delivered."""
    now = now or datetime.now(UTC)
    if not settings.smtp_host:
        await _log_undeliverable()
        return 0
    rows = await _claim(now, batch)
    if not rows:
        return 0
    return await _send(settings, rows, now, storage or storage_from_settings(settings))


async def purge(settings: Settings, *, now: datetime | None = None) -> int:
    """Delete the rows that are done with (sent, cancelled, given up) and older than the
    retention period: the outbox is not an archive of what people were told."""
    before = (now or datetime.now(UTC)) - timedelta(days=settings.outbox_retention_days)
    done = [OutboxStatus.SENT, OutboxStatus.CANCELLED, OutboxStatus.FAILED]
    await automations.purge_events(before)
    return await OutboxEmail.filter(status__in=done, created_at__lt=before).delete()


PURGE_EVERY = timedelta(hours=1)


class Every:
    """A pass the worker runs on its schedule: at the first poll, then once `seconds` have
    passed since it last began. Calling it runs the pass if it is due; what the pass returns, or
    0 when it is not due."""

    def __init__(self, seconds: float, job: Callable[[], Awaitable[int]]) -> None:
        self.interval = timedelta(seconds=seconds)
        self.job = job
        self.began = datetime.min.replace(tzinfo=UTC)

    async def __call__(self) -> int:
        if datetime.now(UTC) - self.began < self.interval:
            return 0
        self.began = datetime.now(UTC)
        return await self.job()


# How often the worker deletes abandoned uploads and retries bytes the store failed to delete.
FILE_SWEEP_EVERY_SECONDS = 3600.0


async def run_worker(settings: Settings, stop: asyncio.Event, poll_seconds: float = 1.0, storage: Storage | None = None) -> None:
    """Deliver the outbox until `stop` is set, purge it now and then, every
    `share_reminder_every_seconds` write the reminders of shares that expire soon, every
    `target_check_every_seconds` announce the response-time targets at risk or breached, run the
    automation rules that the changes' events fire at every poll, and the time-based ones every
    `automation_scan_every_seconds`; every hour, sweep the files' store (`storage`, else the
    settings' own)."""
    if not settings.smtp_host:
        log.warning("CLIENTELA_SMTP_HOST is not set: emails stay in the outbox and are only logged")
    purged_at = datetime.min.replace(tzinfo=UTC)
    store = storage or storage_from_settings(settings)
    sweep = Every(FILE_SWEEP_EVERY_SECONDS, lambda: files.sweep(store))
    remind = Every(settings.share_reminder_every_seconds, sharing.remind_expiring_shares)
    check = Every(settings.target_check_every_seconds, targets.announce_target_states)
    scan = Every(settings.automation_scan_every_seconds, automations.scan_time_triggers)
    while not stop.is_set():
        try:
            if datetime.now(UTC) - purged_at > PURGE_EVERY:
                await purge(settings)
                purged_at = datetime.now(UTC)
            # Before delivering, so that a reminder or an automatic reply written now leaves in
            # this round.
            await remind()
            await check()
            busy = await automations.process_events()
            busy += await scan()
            await sweep()
            delivered = await deliver_due(settings, storage=store) + busy
        except Exception:
            log.exception("Delivering the outbox failed; trying again shortly")
            delivered = 0
        if delivered:
            continue  # more may be due already
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_seconds)


def _due(now: datetime):
    return OutboxEmail.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


async def _claim(now: datetime, batch: int) -> list[OutboxEmail]:
    until = now + LEASE
    if is_postgres():
        async with in_transaction():
            rows = await _due(now).order_by("next_attempt_at", "id").limit(batch).select_for_update(skip_locked=True)
            if rows:
                await OutboxEmail.filter(id__in=[row.id for row in rows]).update(claimed_until=until)
    else:
        # SQLite has no SKIP LOCKED: a conditional UPDATE takes each row, and only one worker
        # can see it change.
        rows = []
        for row in await _due(now).order_by("next_attempt_at", "id").limit(batch):
            if await _due(now).filter(id=row.id).update(claimed_until=until):
                rows.append(row)
    for row in rows:
        row.claimed_until = until
    return rows


async def _send(settings: Settings, rows: list[OutboxEmail], now: datetime, storage: Storage) -> int:
    started = time.monotonic()
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        start_tls=settings.smtp_starttls,
        timeout=SMTP_TIMEOUT,
    )
    try:
        await smtp.connect()
    except Exception as error:
        log.warning("SMTP server %s:%s unavailable: %s", settings.smtp_host, settings.smtp_port, error)
        for row in rows:
            await _failed(row, error, now)
        return 0
    delivered = 0
    try:
        # Asked for the whole batch as it starts: a grant that ends while the batch is sent (a few
        # seconds, at most the lease) ends for the next batch.
        refusals = await delivery_refusals([(row.kind, row.recipient_id, row.about_id) for row in rows])
        # Made at delivery, like a password link: the outbox holds no reply address.
        replies = [
            (row.recipient_id, row.about_id)
            for row, refusal in zip(rows, refusals, strict=True)
            if refusal is None and row.kind == EmailKind.CLIENT_REPLY and row.recipient_id and row.about_id
        ]
        reply_to = await reply_addresses(settings, replies)
        files = await attachments.files_of_batch(rows, settings)
        for index, (row, refusal) in enumerate(zip(rows, refusals, strict=True)):
            if time.monotonic() - started > (LEASE - SEND_MARGIN).total_seconds() or not smtp.is_connected:
                # Out of lease time, or the server hung up: the rest go back to the queue without
                # using an attempt, for the next poll to send over a fresh connection.
                await OutboxEmail.filter(id__in=[r.id for r in rows[index:]]).update(claimed_until=None)
                break
            if refusal is not None:
                await OutboxEmail.filter(id=row.id).update(
                    status=OutboxStatus.CANCELLED, cancel_reason=refusal, claimed_until=None
                )
                continue
            try:
                email = await _message(row, settings, reply_to.get((row.recipient_id, row.about_id)), files.get(row.id), storage)
                await smtp.send_message(email)
            except Exception as error:
                await _failed(row, error, now)
            else:
                await OutboxEmail.filter(id=row.id).update(status=OutboxStatus.SENT, sent_at=now, claimed_until=None)
                delivered += 1
    finally:
        try:
            await smtp.quit()
        except aiosmtplib.SMTPException:
            smtp.close()
    return delivered


async def _message(
    row: OutboxEmail,
    settings: Settings,
    reply_to: str | None,
    files: attachments.MessageFiles | None,
    storage: Storage,
) -> EmailMessage:
    text, html = row.text_body, row.html_body
    if SET_PASSWORD_LINK in text and row.recipient_id is not None:
        link = await accounts.password_link(row.recipient_id, row.language)
        text, html = text.replace(SET_PASSWORD_LINK, link), html.replace(SET_PASSWORD_LINK, link)
    # Read as it leaves: a store that fails now fails this attempt, which is tried again later.
    carried = await attachments.carried(files, row.language, storage, settings.email_attachments_max_bytes)
    text, html = text.replace(MESSAGE_FILES, carried.text), html.replace(MESSAGE_FILES, carried.html)
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = settings.mail_from
    message["To"] = Address(display_name=row.to_name, addr_spec=row.to_address)
    message["Date"] = format_datetime(row.created_at)
    # Should a crash between sending and marking it sent make us send it again, the copy is
    # recognisably the same message.
    message["Message-ID"] = message_id(row.id, settings.mail_from)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for file, data in carried.attached:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=file.name)
    return message


async def _failed(row: OutboxEmail, error: Exception, now: datetime) -> None:
    attempts = row.attempts + 1
    given_up = attempts >= MAX_ATTEMPTS
    await OutboxEmail.filter(id=row.id).update(
        status=OutboxStatus.FAILED if given_up else OutboxStatus.PENDING,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}",
        next_attempt_at=now + retry_delay(attempts),
        claimed_until=None,
    )
    if given_up:
        log.error("Gave up on email %s to %s after %d attempts: %s", row.id, row.to_address, attempts, error)


async def _log_undeliverable() -> None:
    pending = set(await OutboxEmail.filter(status=OutboxStatus.PENDING).values_list("id", flat=True))
    _logged_ids.intersection_update(pending)
    new = pending - _logged_ids
    if not new:
        return
    for email in await OutboxEmail.filter(id__in=list(new)).order_by("id"):
        log.info("Email not sent (no SMTP server): %r to %s <%s>", email.subject, email.to_name, email.to_address)
        # The body holds the links (a password link among them) a developer needs without SMTP.
        log.debug("Text of email %s:\n%s", email.id, email.text_body)
    _logged_ids.update(new)
