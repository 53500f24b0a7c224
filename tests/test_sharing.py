"""Sharing a client with another consultant, the emails, passwords and invitations."""

import re
from datetime import UTC, datetime, timedelta

from clientela.accounts.models import PasswordToken, Session
from clientela.audit.models import AuditEntry
from clientela.mail.models import OutboxEmail
from clientela.mail.worker import deliver_due
from clientela.organizations.models import OrganizationKind
from clientela.people.models import User
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.sharing.models import Share, ShareStatus
from clientela.tasks.models import Task

LINK = re.compile(r"http://clientela\.test/set-password\?token=([\w-]+)")


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def deliver(smtp_server) -> list:
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    return list(smtp_server.messages)


async def test_the_whole_sharing_story(api, factory, smtp_server):
    admin = await factory.workspace("Northwind", language="es")
    acme = await factory.organization(admin, "Acme")
    project = await Project.create(workspace_id=admin.user.workspace_id, name="Acme site", client=acme)
    task = await Task.create(workspace_id=admin.user.workspace_id, project=project, title="Home page")

    shared = await api(
        "ShareOrganization",
        {"organizationId": str(acme.id), "invitees": [{"email": "Nina@Partner.example", "name": "Nina Núñez"}]},
        token=admin.token,
    )
    share = shared.ok()["shareOrganization"][0]
    assert share["role"] == "CONSULTANT" and share["user"]["email"] == "nina@partner.example"

    # The invitation, in the workspace's language (Nina has none of her own, nor an organization).
    [invitation] = await deliver(smtp_server)
    assert invitation["To"].addresses[0].addr_spec == "nina@partner.example"
    body = text_of(invitation)
    assert "Nina Núñez" in body and "Acme" in body
    assert f"http://clientela.test/organizations/{acme.id}" in body
    assert "http://clientela.test/set-password" in body
    assert "contraseña" in body.lower()

    # First visit: ask for a "create password" email, and use its link once.
    assert (await api("RequestPasswordReset", {"email": "nina@partner.example"})).ok()["requestPasswordReset"] is True
    [password_mail] = await deliver(smtp_server)
    token = LINK.search(text_of(password_mail)).group(1)
    assert (await api("ResetPassword", {"token": token, "password": "nina's own secret"})).ok()["resetPassword"] is True
    assert (await api("ResetPassword", {"token": token, "password": "another secret!"})).code == "BAD_USER_INPUT"

    signed_in = (await api("LogIn", {"email": "nina@partner.example", "password": "nina's own secret"})).ok()["logIn"]
    nina = signed_in["token"]
    assert (await Share.get(id=share["id"])).status is ShareStatus.ACCEPTED

    clients = (await api("MyClients", token=nina)).ok()["myClients"]
    assert clients == [{"id": str(acme.id), "name": "Acme", "access": "CONSULTANT", "projects": [{"id": str(project.id), "name": "Acme site"}]}]
    assert (await api("TaskPage", {"id": str(task.id)}, token=nina)).ok()["task"]["title"] == "Home page"
    edit = {"id": str(task.id), "input": {"status": "DONE"}}
    assert (await api("UpdateTask", edit, token=nina)).code == "FORBIDDEN"

    assert (await api("SetShareRole", {"shareId": share["id"], "role": "CSR"}, token=admin.token)).ok()["setShareRole"]["role"] == "CSR"
    assert (await api("UpdateTask", edit, token=nina)).ok()["updateTask"]["status"] == "DONE"
    assert (await api("MyClients", token=nina)).ok()["myClients"][0]["access"] == "CSR"

    assert (await api("RevokeShare", {"shareId": share["id"]}, token=admin.token)).ok()["revokeShare"] is True
    assert (await api("TaskPage", {"id": str(task.id)}, token=nina)).code == "NOT_FOUND"
    assert (await api("MyClients", token=nina)).ok()["myClients"] == []

    actions = await AuditEntry.filter(organization_id=acme.id).order_by("id").values_list("action", flat=True)
    assert actions == ["share.create", "share.role", "share.revoke"]
    log = (await api("AuditLog", {"organizationId": str(acme.id)}, token=admin.token)).ok()["auditLog"]
    assert [e["node"]["action"] for e in log["edges"]] == ["share.revoke", "share.role", "share.create"]
    assert "Nina Núñez" in log["edges"][-1]["node"]["summary"]


async def test_sharing_twice_with_the_same_person_keeps_one_share_and_one_email(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    partner = await factory.person(admin, None, "Pat Partner")
    variables = {"organizationId": str(acme.id), "invitees": [{"userId": partner.id}, {"email": partner.user.email}]}
    shares = (await api("ShareOrganization", variables, token=admin.token)).ok()["shareOrganization"]
    assert len({s["id"] for s in shares}) == 1
    again = (await api("ShareOrganization", variables, token=admin.token)).ok()["shareOrganization"]
    assert {s["id"] for s in again} == {s["id"] for s in shares}
    assert await Share.all().count() == 1
    assert await OutboxEmail.filter(kind="SHARED_ORGANIZATION").count() == 1
    page = (await api("UserSharedOrganizations", {"userId": partner.id}, token=admin.token)).ok()["user"]
    assert [s["organization"]["name"] for s in page["sharedOrganizations"]] == ["Acme"]
    org = (await api("OrganizationPage", {"id": str(acme.id)}, token=admin.token)).ok()["organization"]
    assert [s["user"]["name"] for s in org["shares"]] == ["Pat Partner"]


async def test_share_bad_input_writes_nothing_and_queues_no_email(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    team_id = str(admin.user.organization_id)
    foreign = await factory.workspace("Elsewhere")
    foreign_client = await factory.organization(foreign, "Theirs")
    foreign_person = await factory.person(foreign, None)
    cases = [
        ({"organizationId": str(acme.id), "invitees": [{"email": "not an address"}]}, "BAD_USER_INPUT"),
        ({"organizationId": str(acme.id), "invitees": []}, "BAD_USER_INPUT"),
        ({"organizationId": str(acme.id), "invitees": [{"name": "No address"}]}, "BAD_USER_INPUT"),
        ({"organizationId": team_id, "invitees": [{"email": "x@example.org"}]}, "BAD_USER_INPUT"),
        ({"organizationId": str(acme.id), "invitees": [{"userId": admin.id}]}, "BAD_USER_INPUT"),
        ({"organizationId": str(foreign_client.id), "invitees": [{"email": "x@example.org"}]}, "NOT_FOUND"),
        ({"organizationId": str(acme.id), "invitees": [{"userId": foreign_person.id}]}, "NOT_FOUND"),
        # A good invitee first, then a bad one: nothing of the first stays either.
        ({"organizationId": str(acme.id), "invitees": [{"email": "good@example.org"}, {"email": "bad"}]}, "BAD_USER_INPUT"),
    ]
    for variables, code in cases:
        result = await api("ShareOrganization", variables, token=admin.token)
        assert result.code == code, (variables, result.errors)
    assert await Share.all().count() == 0
    assert await OutboxEmail.all().count() == 0
    assert not await User.exists(email="good@example.org")


async def test_roles_cannot_change_on_revoked_shares(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    partner = await factory.person(admin, None)
    share = (await api("ShareOrganization", {"organizationId": str(acme.id), "invitees": [{"userId": partner.id}]}, token=admin.token)).ok()
    share_id = share["shareOrganization"][0]["id"]
    await api("RevokeShare", {"shareId": share_id}, token=admin.token)
    assert (await api("SetShareRole", {"shareId": share_id, "role": "CSR"}, token=admin.token)).code == "BAD_USER_INPUT"
    assert (await Share.get(id=share_id)).role.value == "CONSULTANT"


async def test_expired_shares_grant_nothing(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    partner = await factory.person(admin, None)
    share = await Share.create(organization=acme, user=partner.user, expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert (await api("OrganizationPage", {"id": str(acme.id)}, token=partner.token)).ok()
    share.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await share.save()
    assert (await api("OrganizationPage", {"id": str(acme.id)}, token=partner.token)).code == "NOT_FOUND"


async def test_share_candidates_match_name_or_email_ignoring_case_and_accents(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    await factory.person(admin, None, "José Ñandú", email="jose@partner.example")
    await factory.person(admin, acme, "Jose Client")  # clients are no candidates
    names = lambda r: [u["name"] for u in r.ok()["shareCandidates"]]  # noqa: E731
    assert names(await api("ShareCandidates", {"search": "JOSE ñandu"}, token=admin.token)) == ["José Ñandú"]
    assert names(await api("ShareCandidates", {"search": "partner.EXAMPLE"}, token=admin.token)) == ["José Ñandú"]
    client = await factory.person(admin, acme)
    assert (await api("ShareCandidates", {"search": "jose"}, token=client.token)).code == "FORBIDDEN"


async def test_password_reset_answers_the_same_for_unknown_addresses_and_sends_nothing(api, factory, smtp_server):
    admin = await factory.workspace()
    known = await api("RequestPasswordReset", {"email": admin.user.email})
    unknown = await api("RequestPasswordReset", {"email": "nobody@nowhere.example"})
    assert known.ok() == unknown.ok() == {"requestPasswordReset": True}
    messages = await deliver(smtp_server)
    assert [m["To"].addresses[0].addr_spec for m in messages] == [admin.user.email]
    assert "reset" in text_of(messages[0]).lower()  # admin has a password: "reset" wording


async def test_reset_tokens_expire_older_ones_die_and_other_sessions_end(api, factory, smtp_server):
    admin = await factory.workspace()
    await api("RequestPasswordReset", {"email": admin.user.email})
    await api("RequestPasswordReset", {"email": admin.user.email})
    first, second = [LINK.search(text_of(m)).group(1) for m in await deliver(smtp_server)]
    stored = await PasswordToken.all().values_list("token_hash", flat=True)
    assert first not in stored and second not in stored  # only hashes are kept
    assert (await api("ResetPassword", {"token": second, "password": "a brand new secret"})).ok()
    assert await Session.filter(user_id=admin.user.id).count() == 0
    assert (await api("Viewer", token=admin.token)).ok()["viewer"] is None
    assert (await api("ResetPassword", {"token": first, "password": "yet another secret"})).code == "BAD_USER_INPUT"
    # A token past its 60 minutes is refused.
    await api("RequestPasswordReset", {"email": admin.user.email})
    [mail] = await deliver(smtp_server)
    late = LINK.search(text_of(mail)).group(1)
    await PasswordToken.filter(used_at__isnull=True).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert (await api("ResetPassword", {"token": late, "password": "too late secret"})).code == "BAD_USER_INPUT"
    assert (await api("LogIn", {"email": admin.user.email, "password": "a brand new secret"})).ok()


async def test_password_resets_are_rate_limited_per_address(api, factory):
    admin = await factory.workspace()
    answers = [await api("RequestPasswordReset", {"email": "someone@example.org"}) for _ in range(6)]
    assert [a.code for a in answers[:5]] == [None] * 5
    assert answers[5].code == "RATE_LIMITED"
    assert answers[5].errors[0]["extensions"]["retryAfterSeconds"] > 0
    assert (await api("RequestPasswordReset", {"email": admin.user.email})).ok()


async def test_invite_to_project_adds_members_and_followers_and_emails_them(api, factory, smtp_server):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme", language="pt")
    project = await Project.create(workspace_id=admin.user.workspace_id, name="Portal", client=acme)
    client = (
        await api(
            "InviteToProject",
            {"input": {"projectId": str(project.id), "organizationId": str(acme.id), "name": "Rita", "email": "rita@acme.example"}},
            token=admin.token,
        )
    ).ok()["inviteToProject"]
    assert client["invited"] is True and client["organization"] == {"id": str(acme.id), "kind": "CLIENT"}
    assert await ProjectFollower.exists(project_id=project.id, user_id=client["id"])
    colleague = (
        await api(
            "InviteToProject",
            {"input": {"projectId": str(project.id), "organizationId": str(admin.user.organization_id), "name": "Tom", "email": "tom@firm.example"}},
            token=admin.token,
        )
    ).ok()["inviteToProject"]
    assert colleague["organization"]["kind"] == OrganizationKind.INTERNAL.value
    assert await ProjectMember.exists(project_id=project.id, user_id=colleague["id"])
    messages = {m["To"].addresses[0].addr_spec: text_of(m) for m in await deliver(smtp_server)}
    assert f"http://clientela.test/projects/{project.id}" in messages["rita@acme.example"]
    assert "Portal" in messages["rita@acme.example"] and "Ada Admin" in messages["rita@acme.example"]
    assert messages["rita@acme.example"] != messages["tom@firm.example"].replace("tom", "rita")  # Portuguese vs English
    assert await AuditEntry.filter(action="project.invite").count() == 2



async def test_password_reset_takes_the_same_floor_of_time_for_known_and_unknown_addresses(api, factory):
    import time

    from clientela.accounts.services import RESET_ANSWER_FLOOR_SECONDS

    admin = await factory.workspace()
    durations = {}
    for label, email in (("known", admin.user.email), ("unknown", "ghost@nowhere.example")):
        started = time.monotonic()
        (await api("RequestPasswordReset", {"email": email})).ok()
        durations[label] = time.monotonic() - started
    assert all(d >= RESET_ANSWER_FLOOR_SECONDS for d in durations.values()), durations


async def test_a_person_holds_one_share_of_a_client_and_an_expired_one_grants_nothing(api, world):
    import pytest
    from tortoise.exceptions import IntegrityError

    from clientela.sharing.models import ShareRole

    held = await Share.get(user_id=world.csr.user.id)
    again = {"organizationId": str(world.acme.id), "invitees": [{"userId": world.csr.id}], "role": "CONSULTANT"}
    [kept] = (await api("ShareOrganization", again, token=world.owner.token)).ok()["shareOrganization"]
    assert (kept["id"], kept["role"]) == (str(held.id), "CSR")
    with pytest.raises(IntegrityError):  # not even two concurrent requests can leave a second grant
        await Share.create(organization=world.acme, user=world.csr.user, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED)

    await Share.filter(id=held.id).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert (await api("MyClients", token=world.csr.token)).ok()["myClients"] == []
    assert (await api("ProjectPage", {"id": str(world.acme_project.id)}, token=world.csr.token)).code == "NOT_FOUND"
    [renewed] = (await api("ShareOrganization", again, token=world.owner.token)).ok()["shareOrganization"]
    assert renewed["id"] != str(held.id) and renewed["role"] == "CONSULTANT"
    assert (await Share.get(id=held.id)).status is ShareStatus.REVOKED
    assert (await api("MyClients", token=world.csr.token)).ok()["myClients"][0]["access"] == "CONSULTANT"


def test_a_persons_access_to_a_client_is_the_highest_they_hold():
    from clientela.policy import ClientAccess, strongest_access

    assert strongest_access(ClientAccess.CONSULTANT, ClientAccess.CSR) is ClientAccess.CSR
    assert strongest_access(ClientAccess.CSR, ClientAccess.CONSULTANT) is ClientAccess.CSR
    assert strongest_access(ClientAccess.CSR, ClientAccess.OWNER, ClientAccess.CONSULTANT) is ClientAccess.OWNER
    assert strongest_access(None, ClientAccess.CONSULTANT) is ClientAccess.CONSULTANT
    assert strongest_access() is None


async def test_the_owner_of_a_client_who_also_holds_a_share_of_it_keeps_owning_it(api, world):
    from clientela.sharing.models import ShareRole

    await Share.create(organization=world.acme, user=world.owner.user, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED)
    clients = (await api("MyClients", token=world.owner.token)).ok()["myClients"]
    assert [(c["name"], c["access"]) for c in clients] == [("Acme", "OWNER")]
