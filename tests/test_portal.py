"""The client portal: scopes, visible fields, client actions, conversations (portal.graphql)."""

from clientela.audit.models import AuditEntry
from clientela.conversations.models import Message, MessageRecipient
from clientela.mail.models import OutboxEmail
from clientela.projects.models import ProjectFollower
from clientela.tasks.models import Task, TaskFollower, TaskRequester


async def set_portal(api, world, **input):
    return (await api("UpdatePortalSettings", {"input": input}, token=world.admin.token)).ok()["updatePortalSettings"]


async def portal_titles(api, person):
    result = (await api("PortalHome", {"first": 50}, token=person.token)).ok()
    titles = [e["node"]["title"] for e in result["portalItems"]["edges"]]
    assert result["portalItems"]["totalCount"] == len(titles)
    return titles


async def _scoped_world(world):
    """Beside the world's Acme task (requested by Clara, in a project Acme follows):
    a task Clara follows in an unfollowed project, one her colleague requested there, and one
    nobody of Acme has to do with."""
    colleague = await world.client.user.__class__.create(
        workspace_id=world.admin.user.workspace_id, name="Colin", email="colin@acme.example", organization_id=world.acme.id
    )
    followed = await Task.create(workspace_id=world.admin.user.workspace_id, project=world.internal_project, title="Followed by Clara")
    await TaskFollower.create(task=followed, user=world.client.user)
    colleagues = await Task.create(workspace_id=world.admin.user.workspace_id, project=world.internal_project, title="Colin's request")
    await TaskRequester.of(colleagues.id, colleague).save()
    project_only = await Task.create(workspace_id=world.admin.user.workspace_id, project=world.acme_project, title="In followed project")
    return followed, colleagues, project_only


async def test_portal_scopes_decide_which_items_a_client_sees(api, world):
    followed, colleagues, project_only = await _scoped_world(world)
    everything = ["Acme home page", "Followed by Clara", "Colin's request", "In followed project"]
    assert await portal_titles(api, world.client) == everything
    await set_portal(api, world, scopes=["OWN_REQUESTS"])
    assert await portal_titles(api, world.client) == ["Acme home page", "Followed by Clara"]
    await set_portal(api, world, scopes=["ORGANIZATION_REQUESTS"])
    assert await portal_titles(api, world.client) == ["Acme home page", "Colin's request"]
    await set_portal(api, world, scopes=["FOLLOWED_PROJECTS"])
    assert await portal_titles(api, world.client) == ["Acme home page", "In followed project"]
    await set_portal(api, world, scopes=[])
    assert await portal_titles(api, world.client) == []
    # What the list hides, an id cannot reach.
    assert (await api("PortalItem", {"id": str(world.acme_task.id)}, token=world.client.token)).code == "NOT_FOUND"
    assert await portal_titles(api, world.other_client) == []


async def test_portal_items_page_with_cursors(api, world):
    for index in range(7):
        await Task.create(workspace_id=world.admin.user.workspace_id, project=world.acme_project, title=f"Item {index}")
    seen, after = [], None
    while True:
        result = (await api("PortalHome", {"first": 3, "after": after}, token=world.client.token)).ok()["portalItems"]
        assert result["totalCount"] == 8
        seen += [e["node"]["title"] for e in result["edges"]]
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert seen == ["Acme home page"] + [f"Item {i}" for i in range(7)]
    assert (await api("PortalHome", {"first": 3, "after": "garbage!"}, token=world.client.token)).code == "BAD_USER_INPUT"


async def test_task_fields_not_enabled_are_null_for_clients(api, world):
    item = (await api("PortalItem", {"id": str(world.acme_task.id)}, token=world.client.token)).ok()["task"]
    assert item["description"] == "Details" and item["status"] == "OPEN"
    assert item["estimatedMinutes"] is None and item["timeSpentMinutes"] is None and item["cost"] is None
    await set_portal(api, world, visibleTaskFields=["STATUS", "TIME_SPENT", "COST"])
    item = (await api("PortalItem", {"id": str(world.acme_task.id)}, token=world.client.token)).ok()["task"]
    assert item["description"] is None and item["labels"] is None and item["messages"] is None and item["requesters"] is None
    assert item["timeSpentMinutes"] == 90 and item["cost"] == {"amount": "90.00", "currency": "USD"}
    assert item["estimatedMinutes"] is None
    # Staff are never limited by the portal settings.
    staff_view = (await api("TaskPage", {"id": str(world.acme_task.id)}, token=world.staff.token)).ok()["task"]
    assert staff_view["description"] == "Details" and staff_view["estimatedMinutes"] == 120


async def test_staff_contacts_follow_their_privacy_in_the_portal(api, world):
    await Task.filter(id=world.acme_task.id).update(assignee_id=world.staff.user.id)
    item = (await api("PortalItem", {"id": str(world.acme_task.id)}, token=world.client.token)).ok()["task"]
    assert item["assignee"] == {"id": world.staff.id, "name": "Sam Staff", "email": None, "phone": None}
    staff_view = (await api("TaskPage", {"id": str(world.acme_task.id)}, token=world.admin.token)).ok()["task"]
    assert staff_view["assignee"]["email"] == world.staff.user.email


async def test_portal_settings_are_admin_only_audited_and_validated(api, world):
    settings = (await api("PortalSettings", token=world.client.token)).ok()["portalSettings"]
    assert settings["scopes"] == ["OWN_REQUESTS", "ORGANIZATION_REQUESTS", "FOLLOWED_PROJECTS"]
    assert "COST" not in settings["visibleTaskFields"]
    bad = await api("UpdatePortalSettings", {"input": {"scopes": ["EVERYTHING"]}}, token=world.admin.token)
    assert bad.code == "BAD_USER_INPUT"
    bad = await api("UpdatePortalSettings", {"input": {"visibleTaskFields": ["SALARY"]}}, token=world.admin.token)
    assert bad.code == "BAD_USER_INPUT"
    assert (await api("UpdatePortalSettings", {"input": {"canPostMessages": False}}, token=world.csr.token)).code == "FORBIDDEN"
    assert await AuditEntry.filter(action="portal.settings").count() == 0
    updated = await set_portal(api, world, canPostMessages=False)
    assert updated["canPostMessages"] is False and updated["canSubmitItems"] is True
    assert await AuditEntry.filter(action="portal.settings").count() == 1


async def test_clients_submit_items_in_visible_projects_only(api, world):
    submitted = await api("SubmitItem", {"input": {"projectId": str(world.acme_project.id), "title": "Broken link"}}, token=world.client.token)
    item = submitted.ok()["submitItem"]
    assert item["title"] == "Broken link" and item["status"] == "OPEN"
    assert await TaskRequester.exists(task_id=item["id"], user_id=world.client.user.id)
    assert "Broken link" in await portal_titles(api, world.client)
    hidden = await api("SubmitItem", {"input": {"projectId": str(world.globex_project.id), "title": "Sneaky"}}, token=world.client.token)
    assert hidden.code == "NOT_FOUND"
    await set_portal(api, world, canSubmitItems=False)
    refused = await api("SubmitItem", {"input": {"projectId": str(world.acme_project.id), "title": "Again"}}, token=world.client.token)
    assert refused.code == "FORBIDDEN"
    assert await Task.filter(title__in=["Sneaky", "Again"]).count() == 0


async def test_client_replies_are_public_and_reach_the_firm(api, world):
    reply = await api("PortalReply", {"taskId": str(world.acme_task.id), "body": "Looks good!"}, token=world.client.token)
    message_id = reply.ok()["postMessage"]["id"]
    assert (await Message.get(id=message_id)).visibility.value == "PUBLIC"
    internal = await api(
        "PostMessage", {"input": {"taskId": str(world.acme_task.id), "body": "psst", "visibility": "INTERNAL"}}, token=world.client.token
    )
    assert internal.code == "FORBIDDEN"
    elsewhere = await api("PortalReply", {"taskId": str(world.globex_task.id), "body": "hello?"}, token=world.client.token)
    assert elsewhere.code == "NOT_FOUND"
    await set_portal(api, world, canPostMessages=False)
    muted = await api("PortalReply", {"taskId": str(world.acme_task.id), "body": "more"}, token=world.client.token)
    assert muted.code == "FORBIDDEN"
    assert await Message.filter(body__in=["psst", "hello?", "more"]).count() == 0


async def test_message_bad_input_writes_nothing_and_queues_no_email(api, world):
    before = await Message.all().count()
    for input in [
        {"taskId": str(world.acme_task.id), "body": "", "visibility": "PUBLIC"},
        {"taskId": str(world.acme_task.id), "body": "x" * 20_001, "visibility": "PUBLIC"},
        {"body": "no target", "visibility": "PUBLIC"},
        {"taskId": str(world.acme_task.id), "projectId": str(world.acme_project.id), "body": "both", "visibility": "PUBLIC"},
    ]:
        result = await api("PostMessage", {"input": input}, token=world.admin.token)
        assert result.code == "BAD_USER_INPUT", input
    assert await Message.all().count() == before
    assert await OutboxEmail.all().count() == 0


async def test_following_shares_projects_with_people_and_whole_organizations(api, world):
    later = await world.client.user.__class__.create(
        workspace_id=world.admin.user.workspace_id, name="Late Joiner", email="late@globex.example", organization_id=world.globex.id
    )
    followed = await api(
        "FollowProject", {"projectId": str(world.internal_project.id), "organizationIds": [str(world.globex.id)]}, token=world.admin.token
    )
    assert followed.ok()["followProject"]["followers"]["organizations"] == [{"id": str(world.globex.id)}]
    late = await __import__("support").Factory().sign_in(later)
    assert "Internal wiki" in await portal_titles(api, late)
    org = (await api("OrganizationPage", {"id": str(world.globex.id)}, token=world.admin.token)).ok()["organization"]
    assert sorted(p["name"] for p in org["followedProjects"]) == ["Globex audit", "Internal tooling"]
    unfollowed = await api(
        "UnfollowProject", {"projectId": str(world.internal_project.id), "organizationIds": [str(world.globex.id)]}, token=world.admin.token
    )
    assert unfollowed.ok()["unfollowProject"]["followers"]["organizations"] == []
    assert "Internal wiki" not in await portal_titles(api, late)
    internal = await api(
        "FollowProject", {"projectId": str(world.internal_project.id), "organizationIds": [str(world.team.id)]}, token=world.admin.token
    )
    assert internal.code == "BAD_USER_INPUT"
    assert not await ProjectFollower.exists(organization_id=world.team.id)


async def test_recipients_preview_and_public_message_emails_with_history(api, world, smtp_server):
    from clientela.mail.worker import deliver_due

    task_id = str(world.acme_task.id)
    preview = (await api("MessageRecipients", {"taskId": task_id}, token=world.staff.token)).ok()["messageRecipients"]
    # Clara requested the task; nobody has been emailed the one earlier public message.
    assert [(r["user"]["name"], r["reason"], r["unseenPublicMessages"]) for r in preview] == [("Clara Client", "REQUESTER", 1)]
    post = {"input": {"taskId": task_id, "body": "Draft is ready", "visibility": "PUBLIC"}}
    sent = (await api("PostMessage", post, token=world.staff.token)).ok()["postMessage"]
    assert [r["email"] for r in sent["recipients"]] == [world.client.user.email]
    await deliver_due(smtp_server.settings())
    [mail] = smtp_server.messages
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Draft is ready" in text and "public reply on Acme home page" in text and "internal note" not in text

    # A new requester would get the two earlier public messages: the preview says so first.
    newcomer = await world.client.user.__class__.create(
        workspace_id=world.admin.user.workspace_id, name="Nora New", email="nora@acme.example", organization_id=world.acme.id
    )
    await api("AddTaskRequesters", {"taskId": task_id, "userIds": [str(newcomer.id)]}, token=world.staff.token)
    preview = (await api("MessageRecipients", {"taskId": task_id}, token=world.staff.token)).ok()["messageRecipients"]
    assert {r["user"]["name"]: r["unseenPublicMessages"] for r in preview} == {"Clara Client": 0, "Nora New": 2}
    quiet = {"input": {"taskId": task_id, "body": "No history please", "visibility": "PUBLIC", "includeHistory": False}}
    (await api("PostMessage", quiet, token=world.staff.token)).ok()
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    texts = {m["To"].addresses[0].addr_spec: m.get_body(preferencelist=("plain",)).get_content() for m in smtp_server.messages}
    assert "Draft is ready" not in texts["nora@acme.example"]
    assert "No history please" in texts["nora@acme.example"]
    assert await MessageRecipient.filter(user_id=newcomer.id).count() == 1

    internal = {"input": {"taskId": task_id, "body": "Only us", "visibility": "INTERNAL"}}
    (await api("PostMessage", internal, token=world.staff.token)).ok()
    assert await OutboxEmail.filter(text_body__contains="Only us").count() == 0
    assert (await api("MessageRecipients", {"taskId": task_id}, token=world.client.token)).code == "FORBIDDEN"
    assert (await api("PostMessage", internal, token=world.consultant.token)).code == "FORBIDDEN"


async def test_the_portal_total_follows_every_change_in_what_a_client_sees(api, world, factory):
    """The total is kept per process against the workspace's visibility generation: every
    write that changes what a client sees must move it on (portal_titles checks the total)."""
    await set_portal(api, world, scopes=["OWN_REQUESTS", "ORGANIZATION_REQUESTS", "FOLLOWED_PROJECTS"])
    admin = world.admin.token
    client_id = str(world.client.user.id)

    async def create(project, title, **input):
        result = await api("CreateTask", {"input": {"projectId": str(project.id), "title": title, **input}}, token=admin)
        return result.ok()["createTask"]["id"]

    assert await portal_titles(api, world.client) == ["Acme home page"]
    await create(world.internal_project, "Requested by Clara", requesterIds=[client_id])
    followed = await create(world.globex_project, "Followed by Clara")
    colleagues = await create(world.globex_project, "Requested by a colleague")
    newcomer = await factory.person(world.admin, None, "Nico Newcomer")
    by_newcomer = await create(world.globex_project, "Requested before joining Acme", requesterIds=[newcomer.id])
    assert "Requested by Clara" in await portal_titles(api, world.client)

    (await api("AddTaskFollowers", {"taskId": followed, "userIds": [client_id]}, token=admin)).ok()
    assert "Followed by Clara" in await portal_titles(api, world.client)

    invite = {"projectId": str(world.acme_project.id), "organizationId": str(world.acme.id), "name": "Colin", "email": "colin@acme.example"}
    colin = (await api("InviteToProject", {"input": invite}, token=admin)).ok()["inviteToProject"]["id"]
    (await api("AddTaskRequesters", {"taskId": colleagues, "userIds": [colin]}, token=admin)).ok()
    assert "Requested by a colleague" in await portal_titles(api, world.client)

    # A person who joins Acme brings no earlier requests into Acme's: they were filed elsewhere.
    invite = {**invite, "name": newcomer.user.name, "email": newcomer.user.email}
    (await api("InviteToProject", {"input": invite}, token=admin)).ok()
    assert "Requested before joining Acme" not in await portal_titles(api, world.client)
    assert "Requested before joining Acme" in await portal_titles(api, newcomer)
    assert by_newcomer

    follow = {"projectId": str(world.globex_project.id), "organizationIds": [str(world.acme.id)]}
    (await api("FollowProject", follow, token=admin)).ok()
    assert "Globex findings" in await portal_titles(api, world.client)
    (await api("UnfollowProject", follow, token=admin)).ok()
    assert "Globex findings" not in await portal_titles(api, world.client)

    submitted = {"projectId": str(world.acme_project.id), "title": "Submitted by Clara"}
    (await api("SubmitItem", {"input": submitted}, token=world.client.token)).ok()
    assert "Submitted by Clara" in await portal_titles(api, world.client)
