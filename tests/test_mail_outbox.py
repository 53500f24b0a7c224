"""The outbox: queueing in the caller's transaction, and delivery through a real SMTP server
with retries, back-off and concurrent workers."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from clientela.mail import worker
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.outbox import EmailKind, queue_email
from clientela.mail.worker import (
    LEASE,
    MAX_ATTEMPTS,
    deliver_due,
    retry_delay,
    run_worker,
)
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import User
from clientela.settings import Settings
from clientela.workspaces.models import Workspace

PASSWORD_CONTEXT = {
    "set_password_url": "http://clientela.test/set-password?token=t0k3n",
    "creating": False,
    "valid_minutes": 60,
}
MAIL_FROM = "Clientela <notifications@clientela.test>"


async def person(
    name="Juan Pérez",
    email: str | None = "juan@example.com",
    *,
    language=None,
    organization_language=None,
    workspace_language="en",
) -> User:
    workspace = await Workspace.create(name="Acme Consulting", language=workspace_language)
    organization = await Organization.create(
        workspace=workspace, name="Client Co", kind=OrganizationKind.CLIENT, language=organization_language
    )
    return await User.create(workspace=workspace, name=name, email=email, organization=organization, language=language)


async def queue_many(count: int) -> list[OutboxEmail]:
    recipient = await person()
    return [await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT) for _ in range(count)]


async def test_queue_email_writes_a_pending_row_rendered_for_the_recipient():
    recipient = await person(language="es")
    before = datetime.now(UTC)

    email = await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT)

    row = await OutboxEmail.get(id=email.id)
    assert row.status == OutboxStatus.PENDING
    assert row.kind == "PASSWORD"
    assert row.workspace_id == recipient.workspace_id
    assert (row.to_address, row.to_name, row.language) == ("juan@example.com", "Juan Pérez", "es")
    assert row.subject == "Restablece tu contraseña de Clientela"
    assert "Hola, Juan Pérez:" in row.text_body
    assert "token=t0k3n" in row.html_body
    assert row.attempts == 0 and row.claimed_until is None and row.sent_at is None
    assert before <= row.next_attempt_at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("own", "organization", "workspace", "expected", "subject"),
    [
        ("ru", "es", "pt", "ru", "Сброс пароля в Clientela"),
        (None, "es", "pt", "es", "Restablece tu contraseña de Clientela"),
        (None, None, "pt", "pt", "Redefina sua senha do Clientela"),
        (None, None, "en", "en", "Reset your Clientela password"),
    ],
)
async def test_the_email_is_in_the_recipients_effective_language(own, organization, workspace, expected, subject):
    recipient = await person(language=own, organization_language=organization, workspace_language=workspace)
    email = await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT)
    assert (email.language, email.subject) == (expected, subject)


async def test_no_email_for_a_recipient_without_an_address():
    recipient = await person(email=None)
    assert await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT) is None
    assert await OutboxEmail.all().count() == 0


async def test_the_email_belongs_to_the_callers_transaction():
    recipient = await person()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT)
            raise RuntimeError("the change fails")
    assert await OutboxEmail.all().count() == 0

    async with in_transaction():
        await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT)
    assert await OutboxEmail.all().count() == 1


async def test_invitation_emails_are_capped_per_workspace_per_hour_and_a_refusal_writes_nothing(api, world, factory, monkeypatch):
    from clientela.settings import get_settings
    from clientela.sharing.models import Share

    monkeypatch.setattr(get_settings(), "invitations_per_workspace_per_hour", 2)
    shares_before = await Share.all().count()
    answers = []
    for n in range(3):
        variables = {"organizationId": str(world.acme.id), "invitees": [{"email": f"partner{n}@example.org"}]}
        answers.append(await api("ShareOrganization", variables, token=world.admin.token))
    assert [a.code for a in answers] == [None, None, "RATE_LIMITED"]
    assert answers[-1].errors[0]["extensions"]["retryAfterSeconds"] == 3600
    assert await Share.all().count() == shares_before + 2
    assert await OutboxEmail.filter(kind="SHARED_ORGANIZATION").count() == 2
    assert not await User.filter(email="partner2@example.org").exists()
    invitation = {
        "projectId": str(world.acme_project.id),
        "organizationId": str(world.acme.id),
        "name": "Ivy",
        "email": "ivy@acme.example",
    }
    assert (await api("InviteToProject", {"input": invitation}, token=world.admin.token)).code == "RATE_LIMITED"
    assert not await User.filter(email="ivy@acme.example").exists()
    # Another workspace has its own allowance; other emails are not capped.
    initech = await factory.organization(world.foreign_admin, "Initech")
    elsewhere = {"organizationId": str(initech.id), "invitees": [{"email": "partner2@example.org"}]}
    assert (await api("ShareOrganization", elsewhere, token=world.foreign_admin.token)).ok()
    assert await queue_email(EmailKind.PASSWORD, world.client.user, PASSWORD_CONTEXT) is not None


async def test_delivery_through_smtp_uses_the_row_id_as_message_id(smtp_server):
    recipient = await person(language="ru")
    email = await queue_email(EmailKind.PASSWORD, recipient, PASSWORD_CONTEXT)

    assert await deliver_due(smtp_server.settings(mail_from=MAIL_FROM)) == 1

    [message] = smtp_server.messages
    assert message["Message-ID"] == f"<{email.id}@clientela.test>"
    assert message["Subject"] == "Сброс пароля в Clientela"
    assert message["From"] == MAIL_FROM
    assert message["To"].addresses[0].display_name == "Juan Pérez"
    assert message["To"].addresses[0].addr_spec == "juan@example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert "token=t0k3n" in message.get_body(("plain",)).get_content()
    assert "token=t0k3n" in message.get_body(("html",)).get_content()
    row = await OutboxEmail.get(id=email.id)
    assert row.status == OutboxStatus.SENT
    assert row.sent_at is not None and row.claimed_until is None
    assert await deliver_due(smtp_server.settings()) == 0
    assert len(smtp_server.messages) == 1


async def test_smtp_outage_delays_mail_and_never_loses_or_repeats_it(smtp_server):
    emails = await queue_many(3)
    settings = smtp_server.settings()
    now = datetime.now(UTC)
    smtp_server.stop()

    assert await deliver_due(settings, now=now) == 0

    for row in await OutboxEmail.all():
        assert row.status == OutboxStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at == now + timedelta(seconds=15)
        assert row.claimed_until is None
        assert row.last_error
    # Not due again before the back-off has passed.
    assert await deliver_due(settings, now=now + timedelta(seconds=10)) == 0
    assert {row.attempts for row in await OutboxEmail.all()} == {1}

    smtp_server.start()
    later = now + timedelta(seconds=15)
    assert await deliver_due(settings, now=later) == 3
    assert await deliver_due(settings, now=later + timedelta(hours=2)) == 0

    assert sorted(message["Message-ID"] for message in smtp_server.messages) == sorted(
        f"<{email.id}@localhost>" for email in emails
    )
    assert {row.status for row in await OutboxEmail.all()} == {OutboxStatus.SENT}


async def test_a_refused_message_is_retried_later(smtp_server):
    [email] = await queue_many(1)
    smtp_server.reject = "451 4.3.0 Try again later"
    now = datetime.now(UTC)

    assert await deliver_due(smtp_server.settings(), now=now) == 0

    row = await OutboxEmail.get(id=email.id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "Try again later" in row.last_error
    smtp_server.reject = None
    assert await deliver_due(smtp_server.settings(), now=now + timedelta(minutes=1)) == 1
    assert len(smtp_server.messages) == 1


async def test_when_the_server_hangs_up_the_rest_of_the_batch_waits_without_losing_an_attempt(smtp_server):
    first, *others = await queue_many(3)
    smtp_server.reject = "421 4.3.2 Shutting down"
    now = datetime.now(UTC)

    assert await deliver_due(smtp_server.settings(), now=now) == 0

    assert (await OutboxEmail.get(id=first.id)).attempts == 1
    for email in others:
        row = await OutboxEmail.get(id=email.id)
        assert (row.status, row.attempts, row.claimed_until) == (OutboxStatus.PENDING, 0, None)
    smtp_server.reject = None
    assert await deliver_due(smtp_server.settings(), now=now) == 2
    assert await deliver_due(smtp_server.settings(), now=now + timedelta(minutes=1)) == 1


def test_back_off_doubles_up_to_an_hour():
    delays = [retry_delay(attempts) for attempts in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:4] == [timedelta(seconds=seconds) for seconds in (15, 30, 60, 120)]
    assert delays[-1] == timedelta(hours=1)
    assert delays == sorted(delays)


async def test_an_email_fails_for_good_after_the_last_attempt(smtp_server):
    [email] = await queue_many(1)
    settings = smtp_server.settings()
    smtp_server.stop()
    now = datetime.now(UTC)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await deliver_due(settings, now=now) == 0
        row = await OutboxEmail.get(id=email.id)
        assert row.attempts == attempt
        assert row.next_attempt_at == now + retry_delay(attempt)
        now = row.next_attempt_at

    assert row.status == OutboxStatus.FAILED
    smtp_server.start()
    assert await deliver_due(settings, now=now + timedelta(days=1)) == 0
    assert smtp_server.messages == []


async def test_a_claimed_email_waits_for_its_lease_to_end(smtp_server):
    [email] = await queue_many(1)
    now = datetime.now(UTC)
    await OutboxEmail.filter(id=email.id).update(claimed_until=now + timedelta(seconds=60))

    assert await deliver_due(smtp_server.settings(), now=now) == 0
    # The worker holding it died: once the lease is over another one sends it.
    assert await deliver_due(smtp_server.settings(), now=now + timedelta(seconds=61)) == 1
    assert len(smtp_server.messages) == 1


async def test_concurrent_workers_deliver_each_email_exactly_once(smtp_server):
    emails = await queue_many(30)
    settings = smtp_server.settings()

    async def work() -> int:
        total = 0
        while delivered := await deliver_due(settings, batch=4):
            total += delivered
        return total

    totals = await asyncio.gather(work(), work(), work())

    assert sum(totals) == 30
    message_ids = [message["Message-ID"] for message in smtp_server.messages]
    assert sorted(message_ids) == sorted(f"<{email.id}@localhost>" for email in emails)
    assert await OutboxEmail.filter(status=OutboxStatus.SENT).count() == 30


async def test_without_smtp_host_emails_stay_pending_and_are_logged_once(caplog):
    emails = await queue_many(2)
    settings = Settings(_env_file=None, smtp_host=None)

    with caplog.at_level(logging.INFO, logger="clientela.mail.worker"):
        assert await deliver_due(settings) == 0
        assert await deliver_due(settings) == 0

    logged = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert len(logged) == 2
    assert all("Reset your Clientela password" in line and "juan@example.com" in line for line in logged)
    for email in emails:
        row = await OutboxEmail.get(id=email.id)
        assert (row.status, row.attempts, row.claimed_until) == (OutboxStatus.PENDING, 0, None)


async def test_run_worker_delivers_until_stopped(smtp_server):
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(smtp_server.settings(), stop, poll_seconds=0.02))
    await queue_many(2)

    for _ in range(250):
        if len(smtp_server.messages) == 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)

    assert len(smtp_server.messages) == 2
    assert await OutboxEmail.filter(status=OutboxStatus.SENT).count() == 2


async def test_run_worker_survives_errors(monkeypatch, caplog):
    stop = asyncio.Event()
    calls = []

    async def flaky(settings, storage):
        calls.append(settings)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        stop.set()
        return 0

    monkeypatch.setattr(worker, "deliver_due", flaky)
    await asyncio.wait_for(run_worker(Settings(_env_file=None), stop, poll_seconds=0.01), 5)

    assert len(calls) == 2
    assert "database went away" in caplog.text


def test_the_lease_outlasts_a_batch():
    assert LEASE > worker.SEND_MARGIN > timedelta(seconds=4 * worker.SMTP_TIMEOUT)
