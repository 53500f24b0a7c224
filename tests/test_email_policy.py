"""Email is a channel of the access policy: a public message is emailed to exactly the people
the API lets read it, delivery checks again that each may still receive it, one request writes
a bounded amount, and no usable token waits in the outbox."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from clientela.accounts.models import PasswordToken
from clientela.conversations import services as conversations
from clientela.conversations.models import Message, MessageVisibility
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.worker import deliver_due, purge
from clientela.projects.models import ProjectFollower
from clientela.sharing.models import Share
from clientela.tasks.models import Task, TaskRequester
from test_contract_matrix import fingerprint

PORTALS = [
    {"scopes": ["OWN_REQUESTS"], "visibleTaskFields": ["DESCRIPTION"]},
    {"scopes": ["OWN_REQUESTS"], "visibleTaskFields": ["MESSAGES"]},
    {"scopes": ["FOLLOWED_PROJECTS"], "visibleTaskFields": ["DESCRIPTION"]},
    {"scopes": ["FOLLOWED_PROJECTS"], "visibleTaskFields": ["MESSAGES"]},
    {"scopes": ["ORGANIZATION_REQUESTS"], "visibleTaskFields": ["MESSAGES"]},
]


async def post(api, person, task_id, body):
    message = {"input": {"taskId": task_id, "body": body, "visibility": "PUBLIC"}}
    return await api("PostMessage", message, token=person.token)


async def emailed(body: str) -> set[str]:
    rows = await OutboxEmail.filter(kind="CLIENT_REPLY", text_body__contains=body).values_list("to_address", flat=True)
    return set(rows)


async def reads_messages(api, person, task_id) -> bool:
    task = (await api("TaskPage", {"id": task_id}, token=person.token)).data
    return bool(task and task["task"] and task["task"]["messages"] is not None)


@pytest.mark.parametrize("portal", PORTALS, ids=lambda p: "+".join(p["scopes"] + p["visibleTaskFields"]))
async def test_a_public_message_is_emailed_to_exactly_those_the_api_lets_read_it(api, world, factory, portal):
    (await api("UpdatePortalSettings", {"input": portal}, token=world.admin.token)).ok()
    colleague = await factory.person(world.admin, world.acme, "Cole Colleague")
    secret = await Task.create(workspace_id=world.acme_task.workspace_id, project=world.acme_project, title="Confidential")
    requested = await Task.create(workspace_id=world.acme_task.workspace_id, project=world.acme_project, title="Requested")
    await TaskRequester.of(requested.id, colleague.user).save()
    # Cora (CSR) follows the project herself, then loses her share.
    await ProjectFollower.create(project=world.acme_project, user=world.csr.user)
    await Share.filter(user_id=world.csr.user.id).update(status="REVOKED")

    for task in (secret, requested):
        body = f"Public news on {task.title}"
        (await post(api, world.staff, str(task.id), body)).ok()
        preview = (await api("MessageRecipients", {"taskId": str(task.id)}, token=world.admin.token)).ok()
        previewed = {r["user"]["email"] for r in preview["messageRecipients"]}
        for person in (world.client, colleague, world.csr, world.consultant, world.other_client):
            gets_it = person.user.email in await emailed(body)
            assert gets_it == (person.user.email in previewed), (task.title, person.user.name)
            if person in (world.csr, world.consultant, world.other_client):
                assert not gets_it  # revoked; reads but follows nothing; outside the project
            elif person is colleague and task is requested:
                assert gets_it  # attached to the item: that is what attaching means
            else:
                assert gets_it == await reads_messages(api, person, str(task.id)), (task.title, person.user.name)


async def test_staff_attached_to_an_item_of_a_project_they_cannot_read_are_not_emailed(api, world):
    """Following an item grants staff nothing of its own, as on the API: Olga, not on the
    project and holding no client, is neither previewed nor emailed until she joins it."""
    task_id = str(world.acme_task.id)
    (await api("AddTaskFollowers", {"taskId": task_id, "userIds": [str(world.outsider_staff.user.id)]}, token=world.staff.token)).ok()
    assert (await api("TaskPage", {"id": task_id}, token=world.outsider_staff.token)).data["task"] is None
    preview = (await api("MessageRecipients", {"taskId": task_id}, token=world.staff.token)).ok()["messageRecipients"]
    assert world.outsider_staff.user.email not in {r["user"]["email"] for r in preview}
    (await post(api, world.staff, task_id, "Before Olga joins")).ok()
    assert world.outsider_staff.user.email not in await emailed("Before Olga joins")
    members = {"projectId": str(world.acme_project.id), "userIds": [str(world.outsider_staff.user.id)]}
    (await api("AddProjectMembers", members, token=world.staff.token)).ok()
    (await post(api, world.staff, task_id, "After Olga joins")).ok()
    assert world.outsider_staff.user.email in await emailed("After Olga joins")


async def test_a_share_of_an_organization_that_is_no_client_any_more_is_emailed_nothing(api, world):
    """A guest reads a client's projects only while the organization is a client (sign-in reads
    no share of another kind); the audience of its messages agrees."""
    task_id = str(world.acme_task.id)
    follow = {"projectId": str(world.acme_project.id), "userIds": [world.csr.id]}
    (await api("FollowProject", follow, token=world.csr.token)).ok()
    made_internal = {"id": str(world.acme.id), "input": {"name": "Acme", "kind": "INTERNAL"}}
    (await api("UpdateOrganization", made_internal, token=world.admin.token)).ok()

    assert (await api("TaskPage", {"id": task_id}, token=world.csr.token)).data["task"] is None
    preview = (await api("MessageRecipients", {"taskId": task_id}, token=world.admin.token)).ok()["messageRecipients"]
    assert world.csr.user.email not in {r["user"]["email"] for r in preview}
    (await post(api, world.admin, task_id, "After Acme joined the firm")).ok()
    assert world.csr.user.email not in await emailed("After Acme joined the firm")


async def deliver(smtp_server):
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    return [m["To"].addresses[0].addr_spec for m in smtp_server.messages]


async def test_an_email_whose_grant_ended_before_delivery_is_cancelled(api, world, smtp_server):
    shared = {"organizationId": str(world.acme.id), "invitees": [{"email": "nina@partner.example"}]}
    share_id = (await api("ShareOrganization", shared, token=world.owner.token)).ok()["shareOrganization"][0]["id"]
    (await api("RevokeShare", {"shareId": share_id}, token=world.owner.token)).ok()
    (await post(api, world.staff, str(world.acme_task.id), "Before Acme stopped following")).ok()
    unfollow = {"projectId": str(world.acme_project.id), "organizationIds": [str(world.acme.id)]}
    (await api("UnfollowProject", unfollow, token=world.admin.token)).ok()

    # Clara requested the item: she still reads it; nobody else may any more.
    assert await deliver(smtp_server) == [world.client.user.email]
    cancelled = await OutboxEmail.filter(status=OutboxStatus.CANCELLED).order_by("kind").values_list("kind", "cancel_reason")
    assert cancelled == [("SHARED_ORGANIZATION", "The share was revoked or has expired, or the recipient left the firm holding it.")]
    await TaskRequester.filter(task_id=world.acme_task.id).delete()
    (await post(api, world.staff, str(world.acme_task.id), "Nobody left")).ok()
    assert await OutboxEmail.filter(text_body__contains="Nobody left").count() == 0


async def test_history_is_bounded_per_email_and_per_request(api, world, factory, monkeypatch):
    for n in range(15):
        await Message.create(
            workspace_id=world.acme_task.workspace_id, task=world.acme_task, author=world.staff.user,
            body=f"Earlier message {n:02}", visibility=MessageVisibility.PUBLIC,
        )
    (await post(api, world.staff, str(world.acme_task.id), "The latest")).ok()
    [row] = await OutboxEmail.filter(to_address=world.client.user.email, text_body__contains="The latest")
    shown = re.findall(r"Earlier message (\d\d)", row.text_body)
    # The world's own public reply and 15 more were never sent to Clara: the newest 10 come.
    assert shown == [f"{n:02}" for n in range(5, 15)]
    assert "6 earlier messages are not shown here" in row.text_body

    monkeypatch.setattr(conversations, "OUTBOX_BUDGET", 60 * 1024)
    team = [await factory.person(world.admin, world.acme, f"Acme {n}") for n in range(5)]
    for person in team:
        await TaskRequester.of(world.acme_task.id, person.user).save()
    before = await fingerprint()
    refused = await post(api, world.staff, str(world.acme_task.id), "x" * 12_000)
    assert refused.code == "BAD_USER_INPUT" and "6 recipients" in refused.errors[0]["message"]
    assert await fingerprint() == before
    (await post(api, world.staff, str(world.acme_task.id), "Short, with history " + "y" * 5_000)).ok()
    rows = await OutboxEmail.filter(text_body__contains="Short, with history")
    assert sorted(r.to_address for r in rows) == sorted([world.client.user.email] + [p.user.email for p in team])
    assert sum(len(r.text_body.encode()) for r in rows) < 60 * 1024


async def test_no_usable_token_waits_in_the_outbox_and_a_new_link_ends_the_older(api, world, smtp_server):
    email = world.client.user.email
    (await api("RequestPasswordReset", {"email": email})).ok()
    row = await OutboxEmail.get(kind="PASSWORD")
    assert "token=" not in row.text_body + row.html_body
    assert await PasswordToken.filter(user_id=world.client.user.id).count() == 0

    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    [first] = smtp_server.messages
    first_token = re.search(r"token=([\w-]+)", first.get_body(("plain",)).get_content()).group(1)
    (await api("RequestPasswordReset", {"email": email})).ok()
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    [second] = smtp_server.messages
    second_token = re.search(r"token=([\w-]+)", second.get_body(("html",)).get_content()).group(1)
    assert (await api("ResetPassword", {"token": first_token, "password": "a fresh long secret"})).code == "BAD_USER_INPUT"
    assert (await api("ResetPassword", {"token": second_token, "password": "a fresh long secret"})).ok()


async def test_done_emails_are_purged_after_the_retention_period(api, world, smtp_server):
    (await post(api, world.staff, str(world.acme_task.id), "Kept for a while")).ok()
    await deliver(smtp_server)
    (await post(api, world.staff, str(world.acme_task.id), "Still waiting")).ok()
    settings = smtp_server.settings(outbox_retention_days=30)
    assert await purge(settings, now=datetime.now(UTC) + timedelta(days=29)) == 0
    assert await purge(settings, now=datetime.now(UTC) + timedelta(days=31)) == 1
    assert [r.status for r in await OutboxEmail.all()] == [OutboxStatus.PENDING]
