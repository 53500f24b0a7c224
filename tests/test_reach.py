"""Writes that change who sees what, one reproduced escalation at a time (the state machine in
test_escalation.py searches for the next one): reach comes from live grants and ends with them,
people never move between organizations, only admins make staff, and what is hidden cannot be
filtered on or counted."""

from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.people.models import User
from clientela.projects.models import Project, ProjectMember
from clientela.sharing.models import Share, ShareRole, ShareStatus
from clientela.tasks.models import Task, TaskLabel, TaskRequester, TaskStatus, TimeEntry
from clientela.workspaces.models import Workspace
from test_contract_matrix import fingerprint

CSV = "/reports/time.csv?from=2026-11-01&to=2026-11-30"


async def csv_rows(api, person) -> str:
    response = await api.client.get(CSV, headers={"Authorization": f"Bearer {person.token}"})
    return response.text


async def test_a_csr_who_made_herself_a_member_loses_the_project_with_her_share(api, world):
    project_id = str(world.acme_project.id)
    (await api("AddProjectMembers", {"projectId": project_id, "userIds": [world.csr.id]}, token=world.csr.token)).ok()
    (await api("FollowProject", {"projectId": project_id, "userIds": [world.csr.id]}, token=world.csr.token)).ok()
    assert "Acme site" in await csv_rows(api, world.csr)
    share = await Share.get(user_id=world.csr.user.id)
    (await api("RevokeShare", {"shareId": str(share.id)}, token=world.admin.token)).ok()

    assert (await api("ProjectPage", {"id": project_id}, token=world.csr.token)).code == "NOT_FOUND"
    assert (await api("TaskPage", {"id": str(world.acme_task.id)}, token=world.csr.token)).code == "NOT_FOUND"
    assert (await api("MyClients", token=world.csr.token)).ok()["myClients"] == []
    report = (await api("TimeReport", {"from": "2026-11-01", "to": "2026-11-30"}, token=world.csr.token)).ok()
    assert report["timeReport"] == {"totalMinutes": 0, "rows": []}
    assert "Acme site" not in await csv_rows(api, world.csr)
    # Membership alone never reaches a client's project again, nor lets her manage it.
    assert (await api("UpdateProject", {"id": project_id, "input": {"name": "Mine"}}, token=world.csr.token)).code == "NOT_FOUND"


async def test_who_may_add_members_may_remove_them_and_anyone_may_leave(api, world):
    project_id = str(world.acme_project.id)
    remove = {"projectId": project_id, "userIds": [world.staff.id]}
    assert (await api("RemoveProjectMembers", remove, token=world.consultant.token)).code == "FORBIDDEN"
    assert (await api("RemoveProjectMembers", remove, token=world.client.token)).code == "FORBIDDEN"
    left = (await api("RemoveProjectMembers", remove, token=world.csr.token)).ok()["removeProjectMembers"]
    assert left["members"] == []
    assert not await ProjectMember.exists(project_id=world.acme_project.id, user_id=world.staff.user.id)
    # Staff reach a client's project only as members: Sam no longer sees it.
    assert (await api("ProjectPage", {"id": project_id}, token=world.staff.token)).code == "NOT_FOUND"

    await ProjectMember.create(project=world.acme_project, user=world.consultant.user)
    leave = {"projectId": project_id, "userIds": [world.consultant.id]}
    assert (await api("RemoveProjectMembers", leave, token=world.consultant.token)).ok()["removeProjectMembers"]["members"] == []


async def test_a_csr_cannot_turn_a_clients_project_into_one_outside_every_share(api, world):
    project_id = str(world.acme_project.id)
    (await api("AddProjectMembers", {"projectId": project_id, "userIds": [world.csr.id]}, token=world.csr.token)).ok()
    before = await fingerprint()
    orphan = {"id": project_id, "input": {"clientId": None}}
    assert (await api("UpdateProject", orphan, token=world.csr.token)).code == "FORBIDDEN"
    assert await fingerprint() == before
    # Had it happened (an admin may), her membership would still grant nothing.
    (await api("UpdateProject", orphan, token=world.admin.token)).ok()
    assert (await api("ProjectPage", {"id": project_id}, token=world.csr.token)).code == "NOT_FOUND"
    assert (await api("ProjectPage", {"id": project_id}, token=world.staff.token)).ok()["project"]["client"] is None


async def guest_with_a_globex_share(factory, world):
    gil = await factory.person(world.admin, None, "Gil Guest", email="gil@partner.example")
    await Share.create(organization=world.globex, user=gil.user, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED)
    await TaskRequester.of(world.globex_task.id, gil.user).save()
    return gil


async def test_an_invitation_never_moves_a_person_nor_says_whose_address_it_is(api, world, factory):
    gil = await guest_with_a_globex_share(factory, world)
    invite = {"projectId": str(world.acme_project.id), "organizationId": str(world.acme.id), "name": "Gil"}
    before = await fingerprint()
    answers = []
    # Someone with a share of another client, a client of another, staff, a client of Acme's own.
    for address in (gil.user.email, world.other_client.user.email, world.staff.user.email):
        refused = await api("InviteToProject", {"input": {**invite, "email": address}}, token=world.csr.token)
        answers.append((refused.code, refused.errors[0]["message"]))
    assert answers == [("BAD_USER_INPUT", "This address cannot be invited into Acme.")] * 3
    assert await fingerprint() == before
    # An address known only in another workspace is a new person here.
    invited = await api("InviteToProject", {"input": {**invite, "email": world.foreign_admin.user.email}}, token=world.csr.token)
    assert invited.ok()["inviteToProject"]["organization"] == {"id": str(world.acme.id), "kind": "CLIENT"}
    gil_now = await User.get(id=gil.user.id)
    assert gil_now.organization_id is None
    assert await Share.filter(user_id=gil.user.id, status=ShareStatus.ACCEPTED).exists()
    assert (await api("TaskPage", {"id": str(world.globex_task.id)}, token=world.client.token)).code == "NOT_FOUND"
    # An admin cannot move him either: people join an organization only from none.
    refused = await api("InviteToProject", {"input": {**invite, "email": gil.user.email}}, token=world.admin.token)
    assert refused.code == "BAD_USER_INPUT"


async def test_a_consultant_of_one_client_adds_no_one_to_it_through_another(api, world):
    await Share.create(organization=world.globex, user=world.csr.user, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED)
    invite = {"projectId": str(world.acme_project.id), "organizationId": str(world.globex.id), "name": "Ivy", "email": "ivy@globex.example"}
    before = await fingerprint()
    assert (await api("InviteToProject", {"input": invite}, token=world.csr.token)).code == "FORBIDDEN"
    assert await fingerprint() == before


async def test_only_admins_make_staff(api, world):
    created = await api("CreateOrganization", {"input": {"name": "Trojan", "kind": "CLIENT"}}, token=world.staff.token)
    trojan = created.ok()["createOrganization"]["id"]
    (await api("AddContact", {"input": {"name": "Mallory", "organizationId": trojan}}, token=world.staff.token)).ok()
    before = await fingerprint()
    promote = {"id": trojan, "input": {"kind": "INTERNAL"}}
    assert (await api("UpdateOrganization", promote, token=world.staff.token)).code == "FORBIDDEN"
    assert await fingerprint() == before
    assert (await Organization.get(id=trojan)).kind is OrganizationKind.CLIENT
    # Renaming stays the owner's to do; inviting into the firm's own team is the admin's.
    (await api("UpdateOrganization", {"id": trojan, "input": {"name": "Trojan Ltd", "kind": "CLIENT"}}, token=world.staff.token)).ok()
    team_invite = {"projectId": str(world.acme_project.id), "organizationId": str(world.team.id), "name": "Eve", "email": "eve@firm.example"}
    assert (await api("InviteToProject", {"input": team_invite}, token=world.staff.token)).code == "FORBIDDEN"
    assert (await api("InviteToProject", {"input": team_invite}, token=world.admin.token)).ok()
    assert (await api("UpdateOrganization", promote, token=world.admin.token)).ok()["updateOrganization"]["kind"] == "INTERNAL"


async def set_fields(world, fields):
    workspace = await Workspace.get(id=world.admin.user.workspace_id)
    workspace.portal_settings = {**(workspace.portal_settings or {}), "scopes": ["OWN_REQUESTS"], "visibleTaskFields": fields}
    await workspace.save()


async def test_hidden_fields_cannot_be_filtered_on(api, world):
    second = await Task.create(workspace_id=world.acme_task.workspace_id, project=world.acme_project, title="Second", status=TaskStatus.IN_PROGRESS)
    await TaskRequester.of(second.id, world.client.user).save()
    await TaskLabel.create(task=second, label="Postponed")
    project_id = str(world.acme_project.id)
    await set_fields(world, ["DESCRIPTION"])
    for argument in ({"status": "IN_PROGRESS"}, {"labels": ["Postponed"]}):
        refused = await api("ProjectTasks", {"projectId": project_id, "first": 10, **argument}, token=world.client.token)
        assert refused.code == "BAD_USER_INPUT", argument
        assert refused.errors[0]["extensions"]["field"] == next(iter(argument))
    await set_fields(world, ["STATUS", "LABELS"])
    for argument in ({"status": "IN_PROGRESS"}, {"labels": ["Postponed"]}):
        page = (await api("ProjectTasks", {"projectId": project_id, "first": 10, **argument}, token=world.client.token)).ok()
        assert [e["node"]["title"] for e in page["project"]["tasks"]["edges"]] == ["Second"]
    # Staff filter on anything.
    page = (await api("ProjectTasks", {"projectId": project_id, "first": 10, "status": "IN_PROGRESS"}, token=world.staff.token)).ok()
    assert page["project"]["tasks"]["totalCount"] == 1


async def test_a_clients_project_total_counts_only_what_the_client_sees(api, world):
    hidden = await Task.create(workspace_id=world.acme_task.workspace_id, project=world.acme_project, title="Not for Clara")
    await TimeEntry.create(task=hidden, user=world.staff.user, minutes=600, date="2026-11-03")
    await set_fields(world, ["TIME_SPENT"])
    project = (await api("ProjectPage", {"id": str(world.acme_project.id)}, token=world.client.token)).ok()["project"]
    assert project["timeSpentMinutes"] == 90
    assert [e["node"]["title"] for e in project["tasks"]["edges"]] == ["Acme home page"]
    staff_view = (await api("ProjectPage", {"id": str(world.acme_project.id)}, token=world.staff.token)).ok()["project"]
    assert staff_view["timeSpentMinutes"] == 690


NESTED = """query($id: ID!) { project(id: $id) {
  client { id name }
  members { id organization { id name kind } department { id name } }
  followers { organizations { id name } }
} }"""


async def test_an_organization_reached_through_a_person_shows_no_more_than_its_lookup(api, world):
    engineering = await Department.create(organization=world.team, name="Engineering")
    await User.filter(id=world.staff.user.id).update(department_id=engineering.id)
    await Project.filter(id=world.acme_project.id).update(client_id=world.globex.id)
    project = (await api(NESTED, {"id": str(world.acme_project.id)}, token=world.client.token)).ok()["project"]
    assert (await api("OrganizationPage", {"id": str(world.team.id)}, token=world.client.token)).data["organization"] is None
    assert project["members"] == [{"id": world.staff.id, "organization": None, "department": None}]
    assert project["client"] is None  # Globex: not Clara's to look up
    assert project["followers"]["organizations"] == [{"id": str(world.acme.id), "name": "Acme"}]
    staff_view = (await api(NESTED, {"id": str(world.acme_project.id)}, token=world.admin.token)).ok()["project"]
    assert staff_view["members"][0]["organization"]["kind"] == "INTERNAL"
    assert staff_view["members"][0]["department"] == {"id": str(engineering.id), "name": "Engineering"}
