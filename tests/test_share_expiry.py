"""Shares that expire: who may set, extend or clear the date, EXPIRED on the next request with no
job, the audit log, and the reminder three days before (once per share and date, however many
workers run the pass, checked again at delivery). Time moves by dating shares in the past or by
moving the policy's clock, never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from clientela import policy
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.worker import deliver_due, run_worker
from clientela.sharing import repository as sharing_repository
from clientela.sharing.models import Share, ShareExpiryReminder, ShareRole, ShareStatus
from clientela.sharing.services import remind_expiring_shares

SHARES = "query($id: ID!) { organization(id: $id) { shares { id status expiresAt user { name } } } }"
REMINDER = "SHARE_EXPIRY_REMINDER"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def later(**delta) -> datetime:
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0)


async def share_of(person) -> Share:
    return await Share.get(user_id=person.user.id, status__in=policy.SHARE_STATES_HELD)


async def expiry(api, share_id, when, token):
    return await api("SetShareExpiry", {"shareId": str(share_id), "expiresAt": iso(when) if when else None}, token=token)


async def test_who_may_set_extend_or_clear_a_share_expiry(api, world):
    csr_share, consultant_share = await share_of(world.csr), await share_of(world.consultant)
    month = later(days=30)

    # Holding a share is not owning the client: nobody extends their own share.
    assert (await expiry(api, csr_share.id, month, world.csr.token)).code == "FORBIDDEN"
    assert (await expiry(api, consultant_share.id, month, world.consultant.token)).code == "FORBIDDEN"
    assert (await expiry(api, consultant_share.id, None, world.consultant.token)).code == "FORBIDDEN"
    # A share the viewer cannot see is not found.
    for viewer in (world.consultant, world.staff, world.client, world.foreign_admin):
        assert (await expiry(api, csr_share.id, month, viewer.token)).code == "NOT_FOUND"
    assert (await expiry(api, csr_share.id, month, None)).code == "UNAUTHENTICATED"
    assert (await Share.get(id=csr_share.id)).expires_at is None

    # The owner sets and extends it, an admin clears it.
    result = (await expiry(api, csr_share.id, month, world.owner.token)).ok()["setShareExpiry"]
    assert result == {"id": str(csr_share.id), "status": "ACCEPTED", "expiresAt": iso(month)}
    two_months = later(days=60)
    extended = (await expiry(api, csr_share.id, two_months, world.owner.token)).ok()["setShareExpiry"]
    assert extended["expiresAt"] == iso(two_months) and (await Share.get(id=csr_share.id)).expires_at == two_months
    cleared = (await expiry(api, csr_share.id, None, world.admin.token)).ok()["setShareExpiry"]
    assert cleared["expiresAt"] is None and (await Share.get(id=csr_share.id)).expires_at is None

    # Not in the past, and not on a revoked share.
    past = await expiry(api, csr_share.id, later(minutes=-1), world.owner.token)
    assert past.code == "BAD_USER_INPUT" and past.errors[0]["extensions"]["field"] == "expiresAt"
    assert (await Share.get(id=csr_share.id)).expires_at is None
    assert (await api("RevokeShare", {"shareId": str(csr_share.id)}, token=world.owner.token)).ok()
    assert (await expiry(api, csr_share.id, month, world.owner.token)).code == "BAD_USER_INPUT"
    assert (await Share.get(id=csr_share.id)).expires_at is None


async def test_expiry_changes_are_in_the_clients_audit_log(api, world):
    csr_share = await share_of(world.csr)
    await expiry(api, csr_share.id, datetime(2099, 5, 1, 12, 0, tzinfo=UTC), world.owner.token)
    await expiry(api, csr_share.id, datetime(2099, 6, 1, 9, 30, tzinfo=UTC), world.admin.token)
    await expiry(api, csr_share.id, None, world.owner.token)
    await expiry(api, csr_share.id, None, world.owner.token)  # no change, no entry

    log = (await api("AuditLog", {"organizationId": str(world.acme.id)}, token=world.owner.token)).ok()
    entries = [e["node"] for e in log["auditLog"]["edges"] if e["node"]["action"] == "share.expiry"]
    assert [(e["summary"], e["actor"]["name"]) for e in reversed(entries)] == [
        ("Cora CSR's share of Acme now expires on 2099-05-01 12:00 UTC", "Owen Owner"),
        ("Cora CSR's share of Acme now expires on 2099-06-01 09:30 UTC (was 2099-05-01 12:00 UTC)", "Ada Admin"),
        ("Cora CSR's share of Acme no longer expires (was 2099-06-01 09:30 UTC)", "Owen Owner"),
    ]
    assert all(e["at"] for e in entries)


async def test_share_organization_takes_an_expiry(api, world, factory):
    partner = await factory.person(world.admin, None, "Pat Partner")
    week = later(days=7)
    shared = await api(
        "mutation($o: ID!, $u: ID!, $e: DateTime) { shareOrganization(organizationId: $o, invitees: [{userId: $u}], expiresAt: $e) { status expiresAt } }",
        {"o": str(world.acme.id), "u": partner.id, "e": iso(week)},
        token=world.owner.token,
    )
    assert shared.ok()["shareOrganization"] == [{"status": "PENDING", "expiresAt": iso(week)}]
    log = (await api("AuditLog", {"organizationId": str(world.acme.id)}, token=world.owner.token)).ok()
    assert f"Acme shared with Pat Partner as CONSULTANT until {week:%Y-%m-%d %H:%M} UTC" in [
        e["node"]["summary"] for e in log["auditLog"]["edges"]
    ]

    newcomer = {"o": str(world.globex.id), "e": iso(later(days=-1))}
    before = await Share.all().count(), await OutboxEmail.all().count()
    refused = await api(
        "mutation($o: ID!, $e: DateTime) { shareOrganization(organizationId: $o, invitees: [{email: \"new@partner.example\"}], expiresAt: $e) { id } }",
        newcomer,
        token=world.admin.token,
    )
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["field"] == "expiresAt"
    assert (await Share.all().count(), await OutboxEmail.all().count()) == before


async def test_a_share_past_its_expiry_grants_nothing_on_the_next_request_and_shows_expired(api, world):
    project = {"id": str(world.acme_project.id)}
    share = await share_of(world.consultant)
    assert (await api("ProjectPage", project, token=world.consultant.token)).ok()

    await Share.filter(id=share.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert (await api("ProjectPage", project, token=world.consultant.token)).code == "NOT_FOUND"
    assert (await api("TaskPage", {"id": str(world.acme_task.id)}, token=world.consultant.token)).code == "NOT_FOUND"
    assert (await api("MyClients", token=world.consultant.token)).ok()["myClients"] == []
    shares = (await api(SHARES, {"id": str(world.acme.id)}, token=world.owner.token)).ok()["organization"]["shares"]
    assert {s["user"]["name"]: s["status"] for s in shares} == {"Cora CSR": "ACCEPTED", "Carl Consultant": "EXPIRED"}
    # Nothing stored EXPIRED: it is what the share shows.
    assert (await Share.get(id=share.id)).status is ShareStatus.ACCEPTED

    # The owner extends it: access is back on the next request.
    extended = (await expiry(api, share.id, later(days=5), world.owner.token)).ok()["setShareExpiry"]
    assert extended["status"] == "ACCEPTED"
    assert (await api("ProjectPage", project, token=world.consultant.token)).ok()


async def test_access_ends_when_the_clock_passes_the_expiry_with_no_job(api, world, monkeypatch):
    share = await share_of(world.csr)
    await expiry(api, share.id, later(hours=1), world.owner.token)
    project = {"id": str(world.acme_project.id)}
    assert (await api("ProjectPage", project, token=world.csr.token)).ok()

    real = datetime

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + timedelta(hours=2)

    monkeypatch.setattr(policy, "datetime", Clock)

    assert (await api("ProjectPage", project, token=world.csr.token)).code == "NOT_FOUND"
    # The CSR still sees the share itself, EXPIRED, and still may not extend it.
    refused = await expiry(api, share.id, later(days=30), world.csr.token)
    assert refused.code == "FORBIDDEN"
    shares = (await api(SHARES, {"id": str(world.acme.id)}, token=world.admin.token)).ok()["organization"]["shares"]
    assert {s["user"]["name"]: s["status"] for s in shares}["Cora CSR"] == "EXPIRED"


# --- Reminders -----------------------------------------------------------------------------


async def reminders() -> list[tuple[str, str]]:
    rows = await OutboxEmail.filter(kind=REMINDER).order_by("id")
    return sorted((row.to_address, row.status.value) for row in rows)


async def deliver(smtp_server) -> list:
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    return list(smtp_server.messages)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def test_three_days_ahead_the_holder_and_the_owner_are_reminded_once_in_their_language(api, world, smtp_server):
    csr_share = await share_of(world.csr)
    await type(world.csr.user).filter(id=world.csr.user.id).update(language="es")
    await expiry(api, csr_share.id, later(days=2, hours=12), world.owner.token)
    consultant_share = await share_of(world.consultant)
    await expiry(api, consultant_share.id, later(days=3, hours=1), world.owner.token)  # not yet

    assert await remind_expiring_shares() == 1
    assert await remind_expiring_shares() == 0
    assert await reminders() == sorted([(world.csr.user.email, "PENDING"), (world.owner.user.email, "PENDING")])

    sent = {m["To"].addresses[0].addr_spec: m for m in await deliver(smtp_server)}
    assert set(sent) == {world.csr.user.email, world.owner.user.email}
    holder, owner = sent[world.csr.user.email], sent[world.owner.user.email]
    assert "vence pronto" in holder["Subject"] and "Tu acceso a la organización Acme" in text_of(holder)
    assert "Cora CSR" in owner["Subject"] and "The access of Cora CSR to the organization Acme" in text_of(owner)
    assert f"http://clientela.test/organizations/{world.acme.id}" in text_of(owner)

    # Later passes, and a day later, remind nobody again of the same date.
    assert await remind_expiring_shares(datetime.now(UTC) + timedelta(days=1)) == 1  # the consultant's, now due
    assert await remind_expiring_shares(datetime.now(UTC) + timedelta(days=1)) == 0
    assert [r for r in await reminders() if r[0] == world.csr.user.email] == [(world.csr.user.email, "SENT")]


async def test_two_workers_racing_write_each_reminder_once(api, world, monkeypatch):
    share = await share_of(world.csr)
    await expiry(api, share.id, later(days=1), world.owner.token)
    found = sharing_repository.shares_to_remind
    both_read = asyncio.Event()
    reading = []

    async def read_then_wait(*args, **kwargs):
        due = await found(*args, **kwargs)
        reading.append(due)
        if len(reading) == 2:
            both_read.set()
        await asyncio.wait_for(both_read.wait(), 10)  # each pass found the share unreminded
        return due

    monkeypatch.setattr(sharing_repository, "shares_to_remind", read_then_wait)
    reminded = await asyncio.gather(remind_expiring_shares(), remind_expiring_shares())

    assert [len(due) for due in reading] == [1, 1]
    assert sorted(reminded) == [0, 1]
    assert await ShareExpiryReminder.filter(share_id=share.id).count() == 1
    assert await reminders() == sorted([(world.csr.user.email, "PENDING"), (world.owner.user.email, "PENDING")])


async def test_a_new_date_gets_its_own_reminder_and_a_stale_one_is_cancelled_at_delivery(api, world, smtp_server):
    share = await share_of(world.csr)
    await expiry(api, share.id, later(days=2), world.owner.token)
    assert await remind_expiring_shares() == 1
    # Re-dated before the reminder left: it is cancelled, and the new date is reminded of.
    await expiry(api, share.id, later(days=2, hours=6), world.owner.token)
    assert await remind_expiring_shares() == 1
    delivered = await deliver(smtp_server)
    assert sorted(m["To"].addresses[0].addr_spec for m in delivered) == sorted([world.csr.user.email, world.owner.user.email])
    assert await reminders() == sorted(
        [(world.csr.user.email, "CANCELLED"), (world.owner.user.email, "CANCELLED"),
         (world.csr.user.email, "SENT"), (world.owner.user.email, "SENT")]
    )
    cancelled = await OutboxEmail.filter(kind=REMINDER, status=OutboxStatus.CANCELLED).values_list("cancel_reason", flat=True)
    assert set(cancelled) == {"The share was revoked, has expired or ends at another time now."}

    # Moved again after the reminder was sent: the new date is reminded of too.
    await expiry(api, share.id, later(days=1), world.owner.token)
    assert await remind_expiring_shares() == 1
    assert len(await deliver(smtp_server)) == 2


async def test_a_reminder_of_a_share_revoked_or_cleared_before_delivery_is_cancelled(api, world, smtp_server):
    csr_share, consultant_share = await share_of(world.csr), await share_of(world.consultant)
    await expiry(api, csr_share.id, later(days=1), world.owner.token)
    await expiry(api, consultant_share.id, later(days=1), world.owner.token)
    assert await remind_expiring_shares() == 2
    await api("RevokeShare", {"shareId": str(csr_share.id)}, token=world.owner.token)
    await expiry(api, consultant_share.id, None, world.owner.token)

    assert await deliver(smtp_server) == []
    assert {status for _, status in await reminders()} == {"CANCELLED"}
    # A revoked, cleared or already expired share is not reminded of.
    await Share.create(organization=world.globex, user=world.csr.user, role=ShareRole.CSR,
                       status=ShareStatus.ACCEPTED, expires_at=datetime.now(UTC) - timedelta(hours=1))
    assert await remind_expiring_shares() == 0


async def test_the_worker_runs_the_reminder_pass_on_its_schedule(api, world, smtp_server):
    share = await share_of(world.csr)
    await expiry(api, share.id, later(days=1), world.owner.token)
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_worker(smtp_server.settings(share_reminder_every_seconds=3600), stop, poll_seconds=0.01)
    )
    try:
        for _ in range(500):  # waiting for the worker, not moving time
            if len(smtp_server.messages) == 2:
                break
            await asyncio.sleep(0.01)
        assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == sorted(
            [world.csr.user.email, world.owner.user.email]
        )
        # Re-dated: the next pass is an hour away, so nothing is written yet.
        await expiry(api, share.id, later(days=2), world.owner.token)
        await asyncio.sleep(0.05)
        assert await ShareExpiryReminder.all().count() == 1
    finally:
        stop.set()
        await worker
