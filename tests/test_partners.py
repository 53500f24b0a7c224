"""Partner firms: outside consultant firms that hold client shares as a whole. Who may make a
firm and change its members, what a member reaches (the highest of their own and their firms'
shares, ended on the next request by leaving), what the owner sees of who holds a client, the
emails and audit entries, and the writes that would move a firm's people elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clientela import policy
from clientela.audit.models import AuditEntry
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.worker import deliver_due
from clientela.organizations.models import Organization, OrganizationKind
from clientela.partners.models import PartnerMember
from clientela.people.models import User
from clientela.sharing.models import Share, ShareRole
from clientela.sharing.services import remind_expiring_shares

CREATE = "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id kind } }"
ADD = """mutation($partnerId: ID!, $invitees: [ShareInviteeInput!]!) {
  addPartnerMembers(partnerId: $partnerId, invitees: $invitees) { id members { id name email } } }"""
REMOVE = """mutation($partnerId: ID!, $userIds: [ID!]!) {
  removePartnerMembers(partnerId: $partnerId, userIds: $userIds) { id members { id } } }"""
SHARE = """mutation($organizationId: ID!, $invitees: [ShareInviteeInput!]!, $role: ShareRole, $expiresAt: DateTime) {
  shareOrganization(organizationId: $organizationId, invitees: $invitees, role: $role, expiresAt: $expiresAt) {
    id role status user { id } partner { id name } } }"""
MY_CLIENTS = "{ myClients { id name access heldThrough { id role partner { id name } } } }"
SHARES = """query($id: ID!) { organization(id: $id) { shares { id role user { name }
  partner { name members { name } } } } }"""
PROJECT = "query($id: ID!) { project(id: $id) { id name } }"
RENAME = "mutation($id: ID!, $name: String!) { updateProject(id: $id, input: {name: $name}) { name } }"
UPDATE_KIND = "mutation($id: ID!, $kind: OrganizationKind!) { updateOrganization(id: $id, input: {kind: $kind}) { kind } }"


async def make_firm(api, world, name="Baker & Partners") -> Organization:
    created = (await api(CREATE, {"input": {"name": name, "kind": "PARTNER"}}, token=world.admin.token)).ok()
    return await Organization.get(id=created["createOrganization"]["id"])


async def firm_with(api, factory, world, *names):
    """A firm and its members (guests, signed in), added by an admin."""
    firm = await make_firm(api, world)
    people = [await factory.person(world.admin, None, name) for name in names]
    invitees = [{"userId": p.id} for p in people]
    (await api(ADD, {"partnerId": str(firm.id), "invitees": invitees}, token=world.admin.token)).ok()
    return firm, people


async def share_with_firm(api, world, firm, role="CSR", token=None, **extra):
    variables = {"organizationId": str(world.acme.id), "invitees": [{"partnerId": str(firm.id)}], "role": role, **extra}
    return await api(SHARE, variables, token=token or world.owner.token)


async def sees_acme_project(api, world, person) -> bool:
    result = await api(PROJECT, {"id": str(world.acme_project.id)}, token=person.token)
    assert result.code in (None, "NOT_FOUND"), result.errors
    return result.code is None


async def test_only_admins_make_partner_firms_and_no_kind_turns_into_or_out_of_one(api, world):
    for viewer in (world.staff, world.owner, world.csr, world.client):
        refused = await api(CREATE, {"input": {"name": "Rogue firm", "kind": "PARTNER"}}, token=viewer.token)
        assert refused.code == "FORBIDDEN"
    firm = await make_firm(api, world)
    assert firm.kind is OrganizationKind.PARTNER and firm.owner_id is None
    assert await Organization.filter(kind=OrganizationKind.PARTNER).count() == 1

    # A client made a firm would take its people along as guests, a firm made a client or staff
    # would turn its shares into nothing or its people into staff: refused, even for admins.
    for organization, kind in ((firm, "CLIENT"), (firm, "INTERNAL"), (world.acme, "PARTNER"), (world.team, "PARTNER")):
        refused = await api(UPDATE_KIND, {"id": str(organization.id), "kind": kind}, token=world.admin.token)
        assert refused.code == "BAD_USER_INPUT"
        assert (await Organization.get(id=organization.id)).kind is organization.kind


async def test_admins_add_known_people_and_new_addresses_who_are_emailed_in_their_language(api, world, factory):
    firm = await make_firm(api, world)
    known = await factory.person(world.admin, None, "Kim Known", password_hash="set", language="es")
    invitees = [{"userId": known.id}, {"email": "New.Person@Baker.example", "name": "Nia New"}]
    members = (await api(ADD, {"partnerId": str(firm.id), "invitees": invitees}, token=world.admin.token)).ok()
    assert sorted(m["name"] for m in members["addPartnerMembers"]["members"]) == ["Kim Known", "Nia New"]
    new = await User.get(email="new.person@baker.example")
    assert new.organization_id is None and new.invited and not new.is_admin

    emails = {e.to_address: e for e in await OutboxEmail.filter(kind="PARTNER_MEMBERSHIP")}
    assert set(emails) == {known.user.email, "new.person@baker.example"}
    assert "Baker & Partners" in emails[known.user.email].subject and emails[known.user.email].language == "es"
    assert "set-password" not in emails[known.user.email].text_body  # has a password: a notice
    assert "set-password" in emails["new.person@baker.example"].text_body  # creates one from the link

    # Adding someone again changes nothing and emails nobody.
    again = await api(ADD, {"partnerId": str(firm.id), "invitees": [{"userId": known.id}]}, token=world.admin.token)
    assert again.ok() and await OutboxEmail.filter(kind="PARTNER_MEMBERSHIP").count() == 2
    assert await PartnerMember.filter(partner_id=firm.id).count() == 2


async def test_only_outside_people_join_a_firm_all_or_none_and_only_by_admins(api, world, factory):
    firm = await make_firm(api, world)
    newcomer = {"email": "fresh@baker.example", "name": "Fresh"}
    for insider in (world.staff, world.client, world.admin):
        refused = await api(ADD, {"partnerId": str(firm.id), "invitees": [newcomer, {"userId": insider.id}]}, token=world.admin.token)
        assert refused.code == "BAD_USER_INPUT", insider.user.name
    # Firms are not members of firms, and a client is not a firm.
    nested = await api(ADD, {"partnerId": str(firm.id), "invitees": [{"partnerId": str(firm.id)}]}, token=world.admin.token)
    assert nested.code == "BAD_USER_INPUT"
    into_client = await api(ADD, {"partnerId": str(world.acme.id), "invitees": [newcomer]}, token=world.admin.token)
    assert into_client.code == "BAD_USER_INPUT"
    # Who is in a firm decides who reaches every client it holds: admins only.
    for viewer, code in ((world.owner, "FORBIDDEN"), (world.staff, "FORBIDDEN"), (world.csr, "NOT_FOUND"), (world.client, "NOT_FOUND")):
        assert (await api(ADD, {"partnerId": str(firm.id), "invitees": [{"userId": viewer.id}]}, token=viewer.token)).code == code
    assert (await api(ADD, {"partnerId": str(firm.id), "invitees": [newcomer]}, token=world.foreign_admin.token)).code == "NOT_FOUND"

    assert await PartnerMember.all().count() == 0
    assert not await User.exists(email="fresh@baker.example")
    assert await OutboxEmail.filter(kind="PARTNER_MEMBERSHIP").count() == 0


async def test_a_firm_share_gives_each_member_its_role_and_emails_each_of_them(api, world, factory):
    firm, (ann, ben) = await firm_with(api, factory, world, "Ann Baker", "Ben Baker")
    assert not await sees_acme_project(api, world, ann)

    share = (await share_with_firm(api, world, firm)).ok()["shareOrganization"][0]
    assert share["user"] is None and share["partner"] == {"id": str(firm.id), "name": "Baker & Partners"}

    for member in (ann, ben):
        assert await sees_acme_project(api, world, member)
        renamed = await api(RENAME, {"id": str(world.acme_project.id), "name": f"Renamed by {member.user.name}"}, token=member.token)
        assert renamed.ok()["updateProject"]["name"] == f"Renamed by {member.user.name}"
        clients = (await api(MY_CLIENTS, token=member.token)).ok()["myClients"]
        assert clients == [
            {
                "id": str(world.acme.id),
                "name": "Acme",
                "access": "CSR",
                "heldThrough": [{"id": share["id"], "role": "CSR", "partner": {"id": str(firm.id), "name": "Baker & Partners"}}],
            }
        ]
    emails = await OutboxEmail.filter(kind="SHARED_ORGANIZATION", about_id=share["id"])
    assert sorted(e.to_address for e in emails) == sorted([ann.user.email, ben.user.email])
    assert all("your firm Baker & Partners" in e.text_body for e in emails)
    # Sharing again with the firm keeps its share, and emails nobody again.
    again = (await share_with_firm(api, world, firm, role="CONSULTANT")).ok()["shareOrganization"][0]
    assert again["id"] == share["id"] and again["role"] == "CSR"
    assert await OutboxEmail.filter(kind="SHARED_ORGANIZATION").count() == 2


async def test_a_consultant_firm_share_lets_members_read_but_not_manage(api, world, factory):
    firm, (ann,) = await firm_with(api, factory, world, "Ann Baker")
    (await share_with_firm(api, world, firm, role="CONSULTANT")).ok()
    assert await sees_acme_project(api, world, ann)
    refused = await api(RENAME, {"id": str(world.acme_project.id), "name": "Nope"}, token=ann.token)
    assert refused.code == "FORBIDDEN"
    # Other clients stay out of reach.
    assert (await api(PROJECT, {"id": str(world.globex_project.id)}, token=ann.token)).code == "NOT_FOUND"


async def test_access_is_the_highest_of_own_and_firm_shares(api, world, factory):
    """The consultant holds their own CONSULTANT share of Acme; their firm gets a CSR share."""
    firm = await make_firm(api, world)
    carl = world.consultant
    (await api(ADD, {"partnerId": str(firm.id), "invitees": [{"userId": carl.id}]}, token=world.admin.token)).ok()
    firm_share = (await share_with_firm(api, world, firm, role="CSR")).ok()["shareOrganization"][0]

    clients = (await api(MY_CLIENTS, token=carl.token)).ok()["myClients"]
    assert [(c["name"], c["access"]) for c in clients] == [("Acme", "CSR")]
    through = {(s["role"], (s["partner"] or {}).get("name")) for s in clients[0]["heldThrough"]}
    assert through == {("CONSULTANT", None), ("CSR", "Baker & Partners")}
    assert (await api(RENAME, {"id": str(world.acme_project.id), "name": "By Carl"}, token=carl.token)).ok()

    # The firm's share ends: the own, weaker share remains.
    assert (await api("RevokeShare", {"shareId": firm_share["id"]}, token=world.owner.token)).ok()
    clients = (await api(MY_CLIENTS, token=carl.token)).ok()["myClients"]
    assert [(c["name"], c["access"]) for c in clients] == [("Acme", "CONSULTANT")]
    assert (await api(RENAME, {"id": str(world.acme_project.id), "name": "Again"}, token=carl.token)).code == "FORBIDDEN"


async def test_leaving_the_firm_ends_its_access_on_the_next_request(api, world, factory):
    firm, (ann, ben) = await firm_with(api, factory, world, "Ann Baker", "Ben Baker")
    (await share_with_firm(api, world, firm)).ok()

    # A member may leave, but not take others out; admins take anyone out.
    assert (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ben.id]}, token=ann.token)).code == "FORBIDDEN"
    assert (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ann.id, ben.id]}, token=ann.token)).code == "FORBIDDEN"
    assert (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ann.id]}, token=world.owner.token)).code == "FORBIDDEN"
    assert await sees_acme_project(api, world, ann) and await sees_acme_project(api, world, ben)

    (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ann.id]}, token=ann.token)).ok()
    assert not await sees_acme_project(api, world, ann)
    assert (await api(MY_CLIENTS, token=ann.token)).ok()["myClients"] == []
    assert (await api(RENAME, {"id": str(world.acme_project.id), "name": "Late"}, token=ann.token)).code == "NOT_FOUND"
    assert await sees_acme_project(api, world, ben)

    left = (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ben.id]}, token=world.admin.token)).ok()
    assert left["removePartnerMembers"]["members"] == []
    assert not await sees_acme_project(api, world, ben)


async def test_the_owner_sees_who_holds_a_client_and_a_member_sees_only_themselves(api, world, factory):
    firm, (ann, ben) = await firm_with(api, factory, world, "Ann Baker", "Ben Baker")
    (await share_with_firm(api, world, firm, role="CONSULTANT")).ok()

    shares = (await api(SHARES, {"id": str(world.acme.id)}, token=world.owner.token)).ok()["organization"]["shares"]
    by_holder = {(s["user"] or {}).get("name") or s["partner"]["name"]: s for s in shares}
    assert set(by_holder) == {"Cora CSR", "Carl Consultant", "Baker & Partners"}
    assert by_holder["Baker & Partners"]["partner"]["members"] == [{"name": "Ann Baker"}, {"name": "Ben Baker"}]

    # A member sees the firm's share of the client, and of the firm only themselves.
    shares = (await api(SHARES, {"id": str(world.acme.id)}, token=ann.token)).ok()["organization"]["shares"]
    assert [(s["partner"]["name"], s["partner"]["members"]) for s in shares] == [("Baker & Partners", [{"name": "Ann Baker"}])]
    # Clients and people outside see nothing of the firm.
    assert (await api(SHARES, {"id": str(world.acme.id)}, token=world.client.token)).ok()["organization"]["shares"] == []
    assert (await api("query($id: ID!) { organization(id: $id) { id } }", {"id": str(firm.id)}, token=world.csr.token)).code == "NOT_FOUND"


async def test_a_firms_people_are_never_moved_into_an_organization(api, world, factory):
    firm, (ann,) = await firm_with(api, factory, world, "Ann Baker")
    invite = {
        "input": {"projectId": str(world.acme_project.id), "organizationId": str(world.acme.id), "name": "Ann", "email": ann.user.email}
    }
    refused = await api("InviteToProject", invite, token=world.admin.token)
    assert refused.code == "BAD_USER_INPUT"
    assert (await User.get(id=ann.user.id)).organization_id is None

    # Nobody becomes a member of a firm as their organization.
    into_firm = {"input": {**invite["input"], "organizationId": str(firm.id), "email": "someone@else.example"}}
    assert (await api("InviteToProject", into_firm, token=world.admin.token)).code == "BAD_USER_INPUT"
    contact = """mutation($input: AddContactInput!) { addContact(input: $input) { id } }"""
    added = await api(contact, {"input": {"organizationId": str(firm.id), "name": "Side door"}}, token=world.admin.token)
    assert added.code == "BAD_USER_INPUT"
    assert not await User.exists(organization_id=firm.id)


async def test_firm_shares_and_membership_changes_are_in_the_audit_logs(api, world, factory):
    firm, (ann,) = await firm_with(api, factory, world, "Ann Baker")
    share = (await share_with_firm(api, world, firm, role="CONSULTANT")).ok()["shareOrganization"][0]
    (await api("SetShareRole", {"shareId": share["id"], "role": "CSR"}, token=world.owner.token)).ok()
    ben = await factory.person(world.admin, None, "Ben Baker")
    (await api(ADD, {"partnerId": str(firm.id), "invitees": [{"userId": ben.id}]}, token=world.admin.token)).ok()
    (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ann.id]}, token=world.admin.token)).ok()

    on_client = await AuditEntry.filter(organization_id=world.acme.id).order_by("id").values_list("action", "summary")
    assert on_client == [
        ("share.create", "Acme shared with the partner firm Baker & Partners as CONSULTANT"),
        ("share.role", "the partner firm Baker & Partners is now CSR on Acme"),
        ("partner.join", "Ben Baker joined Baker & Partners, which holds a CSR share of Acme"),
        ("partner.leave", "Ann Baker left Baker & Partners, which holds a CSR share of Acme"),
    ]
    on_firm = await AuditEntry.filter(organization_id=firm.id).order_by("id").values_list("action", "summary")
    assert on_firm == [
        ("partner.join", "Ann Baker joined Baker & Partners"),
        ("partner.join", "Ben Baker joined Baker & Partners"),
        ("partner.leave", "Ann Baker left Baker & Partners"),
    ]
    # The client's owner reads who came and went through the firm.
    log = (await api("AuditLog", {"organizationId": str(world.acme.id)}, token=world.owner.token)).ok()
    assert {e["node"]["action"] for e in log["auditLog"]["edges"]} >= {"partner.join", "partner.leave"}


async def test_an_email_to_a_member_who_left_before_delivery_is_cancelled(api, world, factory, smtp_server):
    firm, (ann, ben) = await firm_with(api, factory, world, "Ann Baker", "Ben Baker")
    (await share_with_firm(api, world, firm)).ok()
    (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ann.id]}, token=world.admin.token)).ok()

    await deliver_due(smtp_server.settings())
    delivered = {m["To"].addresses[0].addr_spec for m in smtp_server.messages}
    assert ben.user.email in delivered and ann.user.email not in delivered
    cancelled = await OutboxEmail.filter(to_address=ann.user.email, status=OutboxStatus.CANCELLED).values_list("kind", flat=True)
    assert sorted(cancelled) == ["PARTNER_MEMBERSHIP", "SHARED_ORGANIZATION"]


async def test_each_member_and_the_owner_are_reminded_once_before_a_firm_share_expires(api, world, factory):
    firm, (ann, ben) = await firm_with(api, factory, world, "Ann Baker", "Ben Baker")
    soon = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    (await share_with_firm(api, world, firm, expiresAt=soon.isoformat())).ok()

    assert await remind_expiring_shares() == 1
    assert await remind_expiring_shares() == 0
    reminders = await OutboxEmail.filter(kind="SHARE_EXPIRY_REMINDER").values_list("to_address", "text_body")
    assert sorted(to for to, _ in reminders) == sorted([ann.user.email, ben.user.email, world.owner.user.email])
    to_owner = next(body for to, body in reminders if to == world.owner.user.email)
    assert "The access of Baker & Partners to the organization Acme" in to_owner


async def test_a_firm_made_another_kind_behind_the_api_grants_nothing(api, world, factory):
    """Defence in depth: the API never changes a firm's kind, but should a row say otherwise,
    its shares reach no one."""
    firm, (ann,) = await firm_with(api, factory, world, "Ann Baker")
    (await share_with_firm(api, world, firm)).ok()
    await Organization.filter(id=firm.id).update(kind=OrganizationKind.CLIENT)
    assert not await sees_acme_project(api, world, ann)
    assert await Share.filter(policy.live_shares(), partner_id=firm.id, role=ShareRole.CSR).exists()


async def test_a_firm_csr_may_preview_the_clients_people_until_leaving(api, world, factory):
    firm, (ann,) = await firm_with(api, factory, world, "Ann Baker")
    (await share_with_firm(api, world, firm, role="CSR")).ok()
    viewer = (await api("{ viewer { name } }", token=ann.token, view_as=world.client.id)).ok()
    assert viewer["viewer"]["name"] == "Clara Client"

    (await api(REMOVE, {"partnerId": str(firm.id), "userIds": [ann.id]}, token=ann.token)).ok()
    assert (await api("{ viewer { name } }", token=ann.token, view_as=world.client.id)).code == "FORBIDDEN"
