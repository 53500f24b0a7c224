"""Every contract operation, run as every kind of viewer: allowed, FORBIDDEN, NOT_FOUND or
UNAUTHENTICATED exactly as the access policy says; a refusal changes nothing; no response to a
client carries internal notes or money."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise, connections

from clientela.people.models import User
from clientela.sharing.models import Share, ShareRole
from clientela.tasks.models import Task
from support import CONTRACT, add_partner_firms

# partner_member: an outside person who holds a CSR share of Acme only through their partner firm.
VIEWERS = [
    "admin",
    "staff",
    "outsider_staff",
    "owner",
    "csr",
    "consultant",
    "partner_member",
    "client",
    "other_client",
    "foreign_admin",
    "anonymous",
]
UNAUTH = {"anonymous": "UNAUTHENTICATED"}


def table(default: str, **outcomes: str) -> dict[str, str]:
    return {viewer: outcomes.get(viewer, default) for viewer in VIEWERS}


EVERYONE = table("ok", **UNAUTH)
ANYONE = table("ok")
READ_ACME = table("ok", other_client="NOT_FOUND", foreign_admin="NOT_FOUND", **UNAUTH)
READ_ACME_PROJECT = READ_ACME | {"outsider_staff": "NOT_FOUND"}
MANAGE_ACME = READ_ACME_PROJECT | {"consultant": "FORBIDDEN", "client": "FORBIDDEN"}
MANAGE_ORGANIZATION = table("FORBIDDEN", admin="ok", owner="ok", other_client="NOT_FOUND", foreign_admin="NOT_FOUND", **UNAUTH)
ADMIN_ONLY = table("FORBIDDEN", admin="ok", foreign_admin="ok", **UNAUTH)
MANAGE_SHARE = table("NOT_FOUND", admin="ok", owner="ok", csr="FORBIDDEN", **UNAUTH)
# Who is in a partner firm is admin business; staff and the firm's members see the firm, nobody else does.
MANAGE_PARTNER = table(
    "NOT_FOUND",
    admin="ok",
    staff="FORBIDDEN",
    outsider_staff="FORBIDDEN",
    owner="FORBIDDEN",
    partner_member="FORBIDDEN",
    **UNAUTH,
)


IN_A_MONTH = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def ids(*objects) -> list[str]:
    return [str(o.id) for o in objects]


async def csr_share(w):
    return str((await Share.get(user_id=w.csr.user.id, role=ShareRole.CSR)).id)


# name → (variables(world, viewer person or None), expected outcome per viewer)
MATRIX = {
    "SignUp": (lambda w, me: {"input": {"workspaceName": "New", "name": "New", "email": "new@example.org", "password": "long enough secret"}}, ANYONE),
    "LogIn": (lambda w, me: {"email": w.admin.user.email, "password": "wrong password"}, table("UNAUTHENTICATED")),
    "LogOut": (lambda w, me: {}, ANYONE),
    "RequestPasswordReset": (lambda w, me: {"email": w.client.user.email}, ANYONE),
    "ResetPassword": (lambda w, me: {"token": "not-a-token", "password": "long enough secret"}, table("BAD_USER_INPUT")),
    "Viewer": (lambda w, me: {}, ANYONE),
    "PortalHome": (lambda w, me: {"first": 10}, EVERYONE),
    "PortalProjects": (lambda w, me: {}, EVERYONE),
    "PortalItem": (lambda w, me: {"id": str(w.acme_task.id)}, READ_ACME_PROJECT),
    "SubmitItem": (
        lambda w, me: {"input": {"projectId": str(w.acme_project.id), "title": "From the portal"}},
        table("FORBIDDEN", client="ok", other_client="NOT_FOUND", **UNAUTH),
    ),
    "PortalReply": (lambda w, me: {"taskId": str(w.acme_task.id), "body": "Thanks"}, MANAGE_ACME | {"client": "ok"}),
    "CreateOrganization": (
        lambda w, me: {"input": {"name": "New client", "kind": "CLIENT"}},
        table(
            "ok",
            csr="FORBIDDEN",
            consultant="FORBIDDEN",
            partner_member="FORBIDDEN",
            client="FORBIDDEN",
            other_client="FORBIDDEN",
            **UNAUTH,
        ),
    ),
    "UpdateOrganization": (lambda w, me: {"id": str(w.acme.id), "input": {"name": "Acme Ltd"}}, MANAGE_ORGANIZATION),
    "CreateDepartment": (lambda w, me: {"organizationId": str(w.acme.id), "name": "Legal"}, MANAGE_ORGANIZATION),
    "Organizations": (lambda w, me: {}, EVERYONE),
    "OrganizationPage": (lambda w, me: {"id": str(w.acme.id)}, READ_ACME),
    "AddContact": (lambda w, me: {"input": {"name": "New contact", "organizationId": str(w.acme.id)}}, MANAGE_ORGANIZATION),
    "People": (lambda w, me: {}, EVERYONE),
    "SetContactPrivacy": (
        lambda w, me: {"userIds": ids(w.client.user), "privacy": "HIDDEN_FROM_ALL"},
        table("FORBIDDEN", admin="ok", other_client="NOT_FOUND", foreign_admin="NOT_FOUND", **UNAUTH),
    ),
    "MyClients": (lambda w, me: {}, EVERYONE),
    "ShareCandidates": (
        lambda w, me: {"search": "a"},
        table(
            "ok",
            csr="FORBIDDEN",
            consultant="FORBIDDEN",
            partner_member="FORBIDDEN",
            client="FORBIDDEN",
            other_client="FORBIDDEN",
            **UNAUTH,
        ),
    ),
    "ShareOrganization": (
        lambda w, me: {"organizationId": str(w.acme.id), "invitees": [{"email": "partner@example.org"}]},
        MANAGE_ORGANIZATION,
    ),
    "UserSharedOrganizations": (
        lambda w, me: {"userId": w.csr.id},
        table(
            "ok",
            consultant="NOT_FOUND",
            partner_member="NOT_FOUND",
            client="NOT_FOUND",
            other_client="NOT_FOUND",
            foreign_admin="NOT_FOUND",
            **UNAUTH,
        ),
    ),
    "SetShareRole": (lambda w, me: {"shareId": w.share_id, "role": "CONSULTANT"}, MANAGE_SHARE),
    "RevokeShare": (lambda w, me: {"shareId": w.share_id}, MANAGE_SHARE),
    # The CSR holding the share sees it and may not extend it (FORBIDDEN); the consultant does not see it.
    "SetShareExpiry": (lambda w, me: {"shareId": w.share_id, "expiresAt": IN_A_MONTH}, MANAGE_SHARE),
    "ShareOrganizationUntil": (
        lambda w, me: {
            "organizationId": str(w.acme.id),
            "invitees": [{"partnerId": str(w.other_partner.id)}],
            "role": "CONSULTANT",
            "expiresAt": IN_A_MONTH,
        },
        MANAGE_ORGANIZATION,
    ),
    "AddPartnerMembers": (
        lambda w, me: {"partnerId": str(w.partner.id), "invitees": [{"email": "nina@partners.example", "name": "Nina New"}]},
        MANAGE_PARTNER,
    ),
    # A member may leave the firm; nobody else but an admin takes them out.
    "RemovePartnerMembers": (
        lambda w, me: {"partnerId": str(w.partner.id), "userIds": ids(w.partner_member.user)},
        MANAGE_PARTNER | {"partner_member": "ok"},
    ),
    "OrganizationShares": (lambda w, me: {"id": str(w.acme.id)}, READ_ACME),
    "MyClientsWithSource": (lambda w, me: {}, EVERYONE),
    "CreateProject": (
        lambda w, me: {"input": {"name": "New project", "clientId": str(w.acme.id)}},
        READ_ACME | {"consultant": "FORBIDDEN", "client": "FORBIDDEN"},
    ),
    "UpdateProject": (lambda w, me: {"id": str(w.acme_project.id), "input": {"name": "Renamed"}}, MANAGE_ACME),
    "AssignClientToProjects": (lambda w, me: {"clientId": str(w.acme.id), "projectIds": ids(w.acme_project)}, MANAGE_ACME),
    "Projects": (lambda w, me: {"clientId": str(w.acme.id)}, READ_ACME),
    "ProjectPage": (lambda w, me: {"id": str(w.acme_project.id)}, READ_ACME_PROJECT),
    "AddProjectMembers": (lambda w, me: {"projectId": str(w.acme_project.id), "userIds": [me.id if me else w.admin.id]}, MANAGE_ACME),
    "RemoveProjectMembers": (lambda w, me: {"projectId": str(w.acme_project.id), "userIds": ids(w.staff.user)}, MANAGE_ACME),
    "FollowProject": (lambda w, me: {"projectId": str(w.acme_project.id), "organizationIds": ids(w.acme)}, MANAGE_ACME),
    "UnfollowProject": (lambda w, me: {"projectId": str(w.acme_project.id), "organizationIds": ids(w.acme)}, MANAGE_ACME),
    "InviteToProject": (
        lambda w, me: {"input": {"projectId": str(w.acme_project.id), "organizationId": str(w.acme.id), "name": "Ivy", "email": "ivy@acme.example"}},
        MANAGE_ACME,
    ),
    "CreateTask": (lambda w, me: {"input": {"projectId": str(w.acme_project.id), "title": "New task"}}, MANAGE_ACME),
    "UpdateTask": (lambda w, me: {"id": str(w.acme_task.id), "input": {"title": "Renamed"}}, MANAGE_ACME),
    "ProjectTasks": (lambda w, me: {"projectId": str(w.acme_project.id), "first": 10}, READ_ACME_PROJECT),
    "TaskPage": (lambda w, me: {"id": str(w.acme_task.id)}, READ_ACME_PROJECT),
    "AddTaskRequesters": (lambda w, me: {"taskId": str(w.acme_task.id), "userIds": ids(w.client.user)}, MANAGE_ACME),
    "AddTaskFollowers": (lambda w, me: {"taskId": str(w.acme_task.id), "userIds": ids(w.client.user)}, MANAGE_ACME),
    "LogTime": (lambda w, me: {"input": {"taskId": str(w.acme_task.id), "minutes": 30}}, MANAGE_ACME),
    "MessageRecipients": (lambda w, me: {"taskId": str(w.acme_task.id)}, MANAGE_ACME),
    "PostMessage": (
        lambda w, me: {"input": {"taskId": str(w.acme_task.id), "body": "Note", "visibility": "INTERNAL"}},
        MANAGE_ACME,
    ),
    "PortalSettings": (lambda w, me: {}, EVERYONE),
    "UpdatePortalSettings": (lambda w, me: {"input": {"canSubmitItems": False}}, ADMIN_ONLY),
    "TimeReport": (
        lambda w, me: {"from": "2026-11-01", "to": "2026-11-30"},
        table("ok", client="FORBIDDEN", other_client="FORBIDDEN", **UNAUTH),
    ),
    "AuditLog": (
        lambda w, me: {"organizationId": str(w.acme.id)},
        table("FORBIDDEN", admin="ok", owner="ok", other_client="NOT_FOUND", foreign_admin="NOT_FOUND", **UNAUTH),
    ),
}

# What a client must never read, whatever the operation: internal notes, money, and the
# contacts of people whose privacy hides them from clients (staff and the admin).
CLIENT_SECRETS = ["internal note", "1000.00", "60.00"]
HIDDEN_PHONE = "+1 555 0199"


async def client_secrets(w) -> list[str]:
    await User.filter(id__in=[w.staff.user.id, w.admin.user.id]).update(phone=HIDDEN_PHONE)
    await Task.filter(id=w.acme_task.id).update(assignee_id=w.staff.user.id)
    return [*CLIENT_SECRETS, w.staff.user.email, w.admin.user.email, HIDDEN_PHONE]


def test_the_matrix_covers_every_contract_operation():
    assert sorted(MATRIX) == sorted(CONTRACT)


async def fingerprint() -> str:
    """A digest of every row of every table, to show that a refusal changed nothing."""
    digest = hashlib.sha256()
    conn = connections.get("default")
    for model in sorted(Tortoise.apps["models"].values(), key=lambda m: m._meta.db_table):
        if model._meta.db_table in ("throttle_hit", "session"):
            continue  # counting attempts and signing in are not changes
        rows = await conn.execute_query_dict(f'SELECT * FROM "{model._meta.db_table}" ORDER BY id')
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


# Other variables for some operations, each checked the same way: name → (variables, outcomes).
VARIANTS = {
    "CreateOrganization as a partner firm": (
        "CreateOrganization",
        lambda w, me: {"input": {"name": "New firm", "kind": "PARTNER"}},
        ADMIN_ONLY,
    ),
    # Joining a partner firm is for outside people: staff would reach every client the firm holds.
    "AddPartnerMembers naming staff": (
        "AddPartnerMembers",
        lambda w, me: {"partnerId": str(w.partner.id), "invitees": [{"userId": w.staff.id}]},
        MANAGE_PARTNER | {"admin": "BAD_USER_INPUT"},
    ),
    "RemovePartnerMembers naming another member": (
        "RemovePartnerMembers",
        lambda w, me: {"partnerId": str(w.partner.id), "userIds": ids(w.csr.user)},
        MANAGE_PARTNER,
    ),
    # Those who may invite into Acme's project are refused the firm (a CSR does not see it).
    "InviteToProject into a partner firm": (
        "InviteToProject",
        lambda w, me: {
            "input": {
                "projectId": str(w.acme_project.id),
                "organizationId": str(w.partner.id),
                "name": "Ivy",
                "email": "ivy@partners.example",
            }
        },
        table(
            "NOT_FOUND",
            admin="BAD_USER_INPUT",
            staff="BAD_USER_INPUT",
            owner="BAD_USER_INPUT",
            partner_member="BAD_USER_INPUT",
            consultant="FORBIDDEN",
            client="FORBIDDEN",
            **UNAUTH,
        ),
    ),
}


async def check_operation(api, world, factory, operation, variables_for, expected, viewer):
    await add_partner_firms(world, factory)
    world.share_id = await csr_share(world)
    secrets = await client_secrets(world)
    me = None if viewer == "anonymous" else getattr(world, viewer)
    before = await fingerprint()
    result = await api(operation, variables_for(world, me), token=me.token if me else None)
    outcome = result.code or "ok"
    assert outcome == expected[viewer], result.errors
    if outcome != "ok":
        assert await fingerprint() == before
        assert all("Traceback" not in e["message"] for e in result.errors)
    if viewer in ("client", "other_client"):
        text = json.dumps(result.data)
        assert not [secret for secret in secrets if secret in text]
    return result


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("operation", sorted(MATRIX))
async def test_contract_operation_as_viewer(api, world, factory, operation, viewer):
    variables_for, expected = MATRIX[operation]
    await check_operation(api, world, factory, operation, variables_for, expected, viewer)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
async def test_contract_operation_variant_as_viewer(api, world, factory, variant, viewer):
    await check_operation(api, world, factory, *VARIANTS[variant], viewer)


# Who each viewer sees holding Acme (OrganizationShares): admins and the owner every holder, a
# holder their own share (a firm's member, the firm's), anyone else none.
ACME_HOLDERS = {
    "admin": {"csr", "consultant", "partner"},
    "owner": {"csr", "consultant", "partner"},
    "csr": {"csr"},
    "consultant": {"consultant"},
    "partner_member": {"partner"},
}


@pytest.mark.parametrize("viewer", [v for v in READ_ACME if READ_ACME[v] == "ok"])
async def test_organization_shares_show_each_viewer_the_holders_they_may_see(api, world, factory, viewer):
    await add_partner_firms(world, factory)
    me = getattr(world, viewer)
    data = (await api("OrganizationShares", {"id": str(world.acme.id)}, token=me.token)).ok()
    names = {
        str(getattr(world, n).id if n == "partner" else getattr(world, n).user.id): n for n in ("csr", "consultant", "partner")
    }
    holders = {names[(s["user"] or s["partner"])["id"]] for s in data["organization"]["shares"]}
    assert holders == ACME_HOLDERS.get(viewer, set())
    firm = [s["partner"] for s in data["organization"]["shares"] if s["partner"]]
    # The firm's members: all of them for the owner and admins, only oneself for a member.
    assert [m["id"] for f in firm for m in f["members"]] == ([world.partner_member.id] if firm else [])


async def test_a_firm_member_holds_acme_through_the_firm(api, world, factory):
    await add_partner_firms(world, factory)
    data = (await api("MyClientsWithSource", {}, token=world.partner_member.token)).ok()
    assert [(c["name"], c["access"], [(s["role"], s["partner"]["id"]) for s in c["heldThrough"]]) for c in data["myClients"]] == [
        ("Acme", "CSR", [("CSR", str(world.partner.id))])
    ]
