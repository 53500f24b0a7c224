"""Organizations, departments, contacts and contact privacy (staff.graphql)."""

from clientela.mail.models import OutboxEmail
from clientela.organizations.models import Organization
from clientela.people.models import ContactPrivacy, User


async def test_admin_builds_a_client_with_a_department_and_an_uninvited_contact(api, factory):
    admin = await factory.workspace()
    org = (await api("CreateOrganization", {"input": {"name": "Acme", "kind": "CLIENT", "language": "pt-BR"}}, token=admin.token)).ok()
    assert org["createOrganization"]["language"] == "pt"
    org_id = org["createOrganization"]["id"]
    dept = (await api("CreateDepartment", {"organizationId": org_id, "name": "Purchasing"}, token=admin.token)).ok()
    dept_id = dept["createDepartment"]["id"]
    contact = (
        await api(
            "AddContact",
            {"input": {"name": "Dora", "email": "Dora@Acme.example", "phone": "+1 555 0100", "organizationId": org_id, "departmentId": dept_id}},
            token=admin.token,
        )
    ).ok()["addContact"]
    assert contact["invited"] is False
    assert contact["email"] == "dora@acme.example"
    assert contact["department"]["id"] == dept_id
    assert await OutboxEmail.all().count() == 0  # a contact is not invited
    page = (await api("OrganizationPage", {"id": org_id}, token=admin.token)).ok()["organization"]
    assert page["departments"] == [{"id": dept_id, "name": "Purchasing"}]
    assert [m["name"] for m in page["members"]] == ["Dora"]
    assert page["financialSummary"]["projectCount"] == 0
    assert page["financialSummary"]["budget"] == {"amount": "0.00", "currency": "USD"}


async def test_contacts_bad_input_writes_nothing(api, factory):
    admin = await factory.workspace()
    org = await factory.organization(admin, "Acme")
    other_org = await factory.organization(admin, "Other")
    foreign = await factory.workspace("Elsewhere")
    foreign_org = await factory.organization(foreign, "Theirs")
    from clientela.organizations.models import Department

    other_dept = await Department.create(organization=other_org, name="Elsewhere")
    cases = [
        ({"name": "", "organizationId": str(org.id)}, "BAD_USER_INPUT"),
        ({"name": "x" * 201, "organizationId": str(org.id)}, "BAD_USER_INPUT"),
        ({"name": "Bad", "email": "nope", "organizationId": str(org.id)}, "BAD_USER_INPUT"),
        ({"name": "Bad", "organizationId": str(org.id), "departmentId": str(other_dept.id)}, "BAD_USER_INPUT"),
        ({"name": "Bad", "organizationId": str(foreign_org.id)}, "NOT_FOUND"),
        ({"name": "Bad", "organizationId": "not-an-id"}, "NOT_FOUND"),
    ]
    for variables, code in cases:
        result = await api("AddContact", {"input": variables}, token=admin.token)
        assert result.code == code, (variables, result.errors)
    assert await User.filter(organization_id__in=[org.id, other_org.id]).count() == 0


async def test_a_contact_email_is_unique_within_a_workspace_but_not_across(api, factory):
    admin = await factory.workspace()
    foreign = await factory.workspace("Elsewhere")
    org = await factory.organization(admin, "Acme")
    foreign_org = await factory.organization(foreign, "Acme too")
    variables = {"input": {"name": "Dora", "email": "dora@acme.example", "organizationId": str(org.id)}}
    assert (await api("AddContact", variables, token=admin.token)).ok()
    assert (await api("AddContact", variables, token=admin.token)).code == "BAD_USER_INPUT"
    variables["input"]["organizationId"] = str(foreign_org.id)
    assert (await api("AddContact", variables, token=foreign.token)).ok()


async def test_contact_privacy_levels(api, factory):
    admin = await factory.workspace()
    team = await Organization.get(id=admin.user.organization_id)
    acme = await factory.organization(admin, "Acme")
    staff = await factory.person(admin, team, "Sam")
    colleague = await factory.person(admin, team, "Cole")
    client = await factory.person(admin, acme, "Clara")
    client_peer = await factory.person(admin, acme, "Pia")

    async def contact_seen(viewer, person):
        result = (await api("People", {"organizationId": str(person.user.organization_id)}, token=viewer.token)).ok()
        row = next(p for p in result["people"] if p["id"] == person.id)
        return row["email"] is not None, row["phone"] is not None

    for privacy, expectations in {
        "VISIBLE_TO_ALL": {"admin": True, "staff": True, "client": True, "self": True},
        "HIDDEN_FROM_CLIENTS": {"admin": True, "staff": True, "client": False, "self": True},
        "HIDDEN_FROM_ALL": {"admin": True, "staff": False, "client": False, "self": True},
    }.items():
        (await api("SetContactPrivacy", {"userIds": [client_peer.id], "privacy": privacy}, token=admin.token)).ok()
        seen = {
            "admin": await contact_seen(admin, client_peer),
            "staff": await contact_seen(staff, client_peer),
            "client": await contact_seen(client, client_peer),
            "self": await contact_seen(client_peer, client_peer),
        }
        assert seen == {k: (v, v) for k, v in expectations.items()}, privacy
        # Which level a person chose is the firm's business and the person's own, never a peer's.
        levels = {
            name: next(p["privacy"] for p in (await api("People", token=viewer.token)).ok()["people"] if p["id"] == client_peer.id)
            for name, viewer in (("admin", admin), ("staff", staff), ("client", client), ("self", client_peer))
        }
        assert levels == {"admin": privacy, "staff": privacy, "client": None, "self": privacy}
    # Staff may set their own privacy, not a colleague's.
    own = await api("SetContactPrivacy", {"userIds": [staff.id], "privacy": "HIDDEN_FROM_ALL"}, token=staff.token)
    assert own.ok()["setContactPrivacy"] == [{"id": staff.id, "privacy": "HIDDEN_FROM_ALL"}]
    other = await api("SetContactPrivacy", {"userIds": [colleague.id], "privacy": "HIDDEN_FROM_ALL"}, token=staff.token)
    assert other.code == "FORBIDDEN"
    assert (await User.get(id=colleague.user.id)).privacy is ContactPrivacy.VISIBLE_TO_ALL


async def test_internal_people_are_hidden_from_clients_by_default(api, factory):
    admin = await factory.workspace()
    team = await Organization.get(id=admin.user.organization_id)
    added = (await api("AddContact", {"input": {"name": "New Hire", "email": "hire@firm.example", "organizationId": str(team.id)}}, token=admin.token)).ok()
    assert (await User.get(id=added["addContact"]["id"])).privacy is ContactPrivacy.HIDDEN_FROM_CLIENTS


async def test_clients_see_only_their_own_organization(api, factory):
    admin = await factory.workspace()
    acme = await factory.organization(admin, "Acme")
    await factory.organization(admin, "Globex")
    client = await factory.person(admin, acme, "Clara")
    orgs = (await api("Organizations", token=client.token)).ok()["organizations"]
    assert [o["name"] for o in orgs] == ["Acme"]
    people = (await api("People", token=client.token)).ok()["people"]
    assert [p["name"] for p in people] == ["Clara"]
    clients = (await api("Organizations", {"kind": "CLIENT"}, token=admin.token)).ok()["organizations"]
    assert [o["name"] for o in clients] == ["Acme", "Globex"]
