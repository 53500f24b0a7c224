"""Following up in the portal (issue 18, items 2–4): unread markers, following and muting an
item, copying colleagues on it, resolving and reopening, and rating resolved items."""

from __future__ import annotations

from clientela.automations.models import AutomationEvent
from clientela.conversations.models import ItemSubscription, ReadMarker
from clientela.mail.models import OutboxEmail
from clientela.ratings.models import ItemRating
from clientela.tasks.models import Task

ITEM = """query($id: ID!) { task(id: $id) { id status unread notifications updatedAt myRating { score comment }
  ratings { score comment user { name } } } portalUnreadCount }"""
READ = "mutation($taskId: ID!) { markItemRead(taskId: $taskId) { id unread } }"
NOTIFY = "mutation($taskId: ID!, $n: ItemNotifications!) { setItemNotifications(taskId: $taskId, notifications: $n) { id notifications } }"
CC = "mutation($taskId: ID!, $userIds: [ID!]!) { ccColleagues(taskId: $taskId, userIds: $userIds) { id } }"
RESOLVE = "mutation($taskId: ID!) { resolveItem(taskId: $taskId) { id status } }"
REOPEN = "mutation($taskId: ID!) { reopenItem(taskId: $taskId) { id status } }"
RATE = "mutation($input: RateItemInput!) { rateItem(input: $input) { score comment user { name } } }"
MINE = "query { portalItems(whose: MINE) { edges { node { title } } } }"


async def set_portal(api, world, **input):
    (await api("UpdatePortalSettings", {"input": input}, token=world.admin.token)).ok()


async def item(api, person, task_id):
    return (await api(ITEM, {"id": str(task_id)}, token=person.token)).ok()


async def reply(api, person, task_id, body="News", visibility="PUBLIC"):
    variables = {"input": {"taskId": str(task_id), "body": body, "visibility": visibility}}
    return (await api("PostMessage", variables, token=person.token)).ok()["postMessage"]["id"]


async def emailed(message_id) -> set[str]:
    rows = await OutboxEmail.filter(about_id=message_id, kind="CLIENT_REPLY").values_list("recipient_id", flat=True)
    return {str(r) for r in rows}


async def colleague_request(api, world, factory):
    """Colin, Clara's colleague, and an item Clara requested in a project Acme does not follow:
    Colin sees it as a request of his organization, and gets none of its emails."""
    colin = await factory.person(world.admin, world.acme, "Colin Colleague")
    variables = {
        "input": {"projectId": str(world.internal_project.id), "title": "Clara's request", "requesterIds": [world.client.id]}
    }
    task_id = (await api("CreateTask", variables, token=world.admin.token)).ok()["createTask"]["id"]
    return colin, task_id


async def test_unread_counts_the_public_messages_of_others_since_the_item_was_opened(api, world, factory):
    task = world.acme_task.id
    seen = await item(api, world.client, task)  # the world's item has one public message of Sam's
    assert seen["task"]["unread"] is True and seen["portalUnreadCount"] == 1
    assert (await api(READ, {"taskId": str(task)}, token=world.client.token)).ok()["markItemRead"]["unread"] is False
    assert (await item(api, world.client, task))["portalUnreadCount"] == 0
    await reply(api, world.client, task, "My own words")  # one's own messages are read
    await reply(api, world.staff, task, "A note", visibility="INTERNAL")  # never the client's to read
    assert (await item(api, world.client, task))["task"]["unread"] is False
    await reply(api, world.staff, task, "An answer")
    seen = await item(api, world.client, task)
    assert seen["task"]["unread"] is True and seen["portalUnreadCount"] == 1
    # Read state is each person's: Clara's reply is unread for Sam, and a colleague has read nothing.
    colin = await factory.person(world.admin, world.acme, "Colin Colleague")
    assert (await item(api, colin, task))["task"]["unread"] is True
    assert (await item(api, world.staff, task))["task"]["unread"] is True
    # Where the portal hides the messages, whether there are new ones is hidden too.
    await set_portal(api, world, visibleTaskFields=["STATUS"])
    seen = await item(api, world.client, task)
    assert seen["task"]["unread"] is False and seen["portalUnreadCount"] == 0
    assert (await api(READ, {"taskId": str(world.globex_task.id)}, token=world.client.token)).code == "NOT_FOUND"
    assert not await ReadMarker.exists(task_id=world.globex_task.id)


async def test_the_unread_count_counts_items_the_viewer_sees(api, world):
    for title in ("One", "Two"):
        variables = {"input": {"projectId": str(world.acme_project.id), "title": title}}
        created = (await api("CreateTask", variables, token=world.admin.token)).ok()["createTask"]["id"]
        await reply(api, world.staff, created)
        await reply(api, world.staff, created, "Again")
    await reply(api, world.admin, world.globex_task.id)  # Globex's: not Clara's
    assert (await item(api, world.client, world.acme_task.id))["portalUnreadCount"] == 3
    assert (await item(api, world.other_client, world.globex_task.id))["portalUnreadCount"] == 1


async def test_muting_an_item_stops_its_emails_but_not_reading_or_replying(api, world):
    task = world.acme_task.id
    queued = await reply(api, world.staff, task, "Before muting")
    assert await emailed(queued) == {world.client.id}
    muted = (await api(NOTIFY, {"taskId": str(task), "n": "MUTED"}, token=world.client.token)).ok()
    assert muted["setItemNotifications"]["notifications"] == "MUTED"
    after = await reply(api, world.staff, task, "After muting")
    assert await emailed(after) == set()
    recipients = (await api("MessageRecipients", {"taskId": str(task)}, token=world.staff.token)).ok()["messageRecipients"]
    assert recipients == []
    # What waits in the outbox is not sent either.
    from clientela.mail.grants import delivery_refusal

    assert await delivery_refusal("CLIENT_REPLY", world.client.user.id, __import__("uuid").UUID(queued)) is not None
    # Muting changes nothing of reading or replying.
    assert (await api("PortalReply", {"taskId": str(task), "body": "Still here"}, token=world.client.token)).ok()
    from clientela.conversations.audience import message_audience

    assert world.client.user.id in await message_audience(world.acme_project, world.acme_task, muted_too=True)
    (await api(NOTIFY, {"taskId": str(task), "n": "DEFAULT"}, token=world.client.token)).ok()
    assert not await ItemSubscription.exists(task_id=task)
    assert await emailed(await reply(api, world.staff, task, "Back")) == {world.client.id}


async def test_following_an_item_emails_it_while_the_portal_shows_it_and_grants_nothing(api, world, factory):
    colin, task = await colleague_request(api, world, factory)
    assert await emailed(await reply(api, world.staff, task)) == {world.client.id}
    assert (await api(NOTIFY, {"taskId": task, "n": "FOLLOWING"}, token=colin.token)).ok()
    message = await reply(api, world.staff, task)
    assert await emailed(message) == {world.client.id, colin.id}
    recipients = (await api("MessageRecipients", {"taskId": task}, token=world.staff.token)).ok()["messageRecipients"]
    assert {r["user"]["name"]: r["reason"] for r in recipients} == {"Clara Client": "REQUESTER", "Colin Colleague": "SUBSCRIBED"}
    assert [e["node"]["title"] for e in (await api(MINE, token=colin.token)).ok()["portalItems"]["edges"]] == ["Clara's request"]
    # The portal stops showing Colin his organization's requests: following gives him nothing.
    await set_portal(api, world, scopes=["OWN_REQUESTS", "FOLLOWED_PROJECTS"])
    assert await emailed(await reply(api, world.staff, task)) == {world.client.id}
    assert (await api(ITEM, {"id": task}, token=colin.token)).code == "NOT_FOUND"
    assert (await api(MINE, token=colin.token)).ok()["portalItems"]["edges"] == []
    # Nobody follows what they do not see.
    refused = await api(NOTIFY, {"taskId": str(world.globex_task.id), "n": "FOLLOWING"}, token=colin.token)
    assert refused.code == "NOT_FOUND"
    assert not await ItemSubscription.exists(task_id=world.globex_task.id)


async def test_a_client_copies_colleagues_who_see_the_item_and_nobody_else(api, world, factory):
    colin, task = await colleague_request(api, world, factory)
    dora = await factory.person(world.admin, world.acme, "Dora Colleague")
    (await api(NOTIFY, {"taskId": task, "n": "MUTED"}, token=dora.token)).ok()
    (await api(CC, {"taskId": task, "userIds": [colin.id, dora.id]}, token=world.client.token)).ok()
    assert await emailed(await reply(api, world.staff, task)) == {world.client.id, colin.id}
    assert (await item(api, dora, task))["task"]["notifications"] == "MUTED"  # her choice stands
    rows = await ItemSubscription.all().count()
    refusals = [
        ([world.other_client.id], "NOT_FOUND"),  # of another organization: not even named
        ([world.staff.id], "NOT_FOUND"),
        ([world.client.id], "BAD_USER_INPUT"),  # oneself
        ([], "BAD_USER_INPUT"),
        ([colin.id, world.other_client.id], "NOT_FOUND"),  # all or nothing
    ]
    for user_ids, code in refusals:
        assert (await api(CC, {"taskId": task, "userIds": user_ids}, token=world.client.token)).code == code, user_ids
    # A colleague whom the portal does not show the item is not copied: a copy widens nothing.
    elsewhere = {"input": {"projectId": str(world.internal_project.id), "title": "Staff only"}}
    hidden = (await api("CreateTask", elsewhere, token=world.admin.token)).ok()["createTask"]["id"]
    (await api("AddTaskFollowers", {"taskId": hidden, "userIds": [world.client.id]}, token=world.admin.token)).ok()
    refused = await api(CC, {"taskId": hidden, "userIds": [colin.id]}, token=world.client.token)
    assert refused.code == "BAD_USER_INPUT"
    assert (await api(ITEM, {"id": hidden}, token=colin.token)).code == "NOT_FOUND"
    # Only clients copy colleagues; the firm adds followers.
    assert (await api(CC, {"taskId": task, "userIds": [colin.id]}, token=world.staff.token)).code == "FORBIDDEN"
    assert await ItemSubscription.all().count() == rows


async def test_clients_resolve_and_reopen_their_requests_where_the_settings_allow(api, world, factory):
    task = str(world.acme_task.id)
    assert (await api(RESOLVE, {"taskId": task}, token=world.client.token)).code == "FORBIDDEN"  # off by default
    await set_portal(api, world, canResolveItems=True)
    before = (await item(api, world.client, task))["task"]["updatedAt"]
    assert (await api(RESOLVE, {"taskId": task}, token=world.client.token)).ok()["resolveItem"]["status"] == "DONE"
    assert (await item(api, world.client, task))["task"]["updatedAt"] > before
    assert await AutomationEvent.filter(kind="STATUS_CHANGED", task_id=task).count() == 1
    assert (await api(RESOLVE, {"taskId": task}, token=world.client.token)).code == "BAD_USER_INPUT"
    assert (await api(REOPEN, {"taskId": task}, token=world.client.token)).ok()["reopenItem"]["status"] == "OPEN"
    assert (await api(REOPEN, {"taskId": task}, token=world.client.token)).code == "BAD_USER_INPUT"
    # Only the item's requesters, only clients, only where they see the status.
    colin = await factory.person(world.admin, world.acme, "Colin Colleague")
    assert (await api(RESOLVE, {"taskId": task}, token=colin.token)).code == "FORBIDDEN"
    assert (await api(RESOLVE, {"taskId": task}, token=world.staff.token)).code == "FORBIDDEN"
    assert (await api(RESOLVE, {"taskId": str(world.globex_task.id)}, token=world.client.token)).code == "NOT_FOUND"
    await set_portal(api, world, visibleTaskFields=["DESCRIPTION"])
    assert (await api(RESOLVE, {"taskId": task}, token=world.client.token)).code == "FORBIDDEN"
    assert (await Task.get(id=task)).status == "OPEN"


async def test_requesters_rate_resolved_items_and_the_firm_reads_the_ratings(api, world, factory):
    task = str(world.acme_task.id)
    rating = {"taskId": task, "score": 4, "comment": "Quick and clear"}
    assert (await api(RATE, {"input": rating}, token=world.client.token)).code == "BAD_USER_INPUT"  # not resolved
    await Task.filter(id=task).update(status="DONE")
    assert (await api(RATE, {"input": rating}, token=world.client.token)).ok()["rateItem"]["score"] == 4
    rated = (await api(RATE, {"input": {**rating, "score": 5}}, token=world.client.token)).ok()["rateItem"]
    assert rated == {"score": 5, "comment": "Quick and clear", "user": {"name": "Clara Client"}}
    assert await ItemRating.filter(task_id=task).count() == 1
    for score in (0, 6):
        assert (await api(RATE, {"input": {**rating, "score": score}}, token=world.client.token)).code == "BAD_USER_INPUT"
    colin = await factory.person(world.admin, world.acme, "Colin Colleague")
    assert (await api(RATE, {"input": rating}, token=colin.token)).code == "FORBIDDEN"
    assert (await api(RATE, {"input": rating}, token=world.staff.token)).code == "FORBIDDEN"
    # The rater sees their own; nobody of the client sees the firm's list.
    mine = (await item(api, world.client, task))["task"]
    assert mine["myRating"] == {"score": 5, "comment": "Quick and clear"} and mine["ratings"] is None
    assert (await item(api, colin, task))["task"]["myRating"] is None
    firm = (await item(api, world.staff, task))["task"]
    assert firm["ratings"] == [{"score": 5, "comment": "Quick and clear", "user": {"name": "Clara Client"}}]
    # Averages per project and per client organization, for the firm's side only.
    await Task.filter(id=world.globex_task.id).update(status="DONE")
    other = {"taskId": str(world.globex_task.id), "score": 2}
    (await api(RATE, {"input": other}, token=world.other_client.token)).ok()
    averages = """query($p: ID!, $o: ID!) { project(id: $p) { rating { average count } }
      organization(id: $o) { rating { average count } } }"""
    variables = {"p": str(world.acme_project.id), "o": str(world.acme.id)}
    summary = (await api(averages, variables, token=world.admin.token)).ok()
    assert summary == {
        "project": {"rating": {"average": 5.0, "count": 1}},
        "organization": {"rating": {"average": 5.0, "count": 1}},
    }
    assert (await api(averages, variables, token=world.consultant.token)).ok()["project"]["rating"]["count"] == 1
    client_view = (await api(averages, variables, token=world.client.token)).ok()
    assert client_view == {"project": {"rating": None}, "organization": {"rating": None}}
    globex = {"p": str(world.globex_project.id), "o": str(world.globex.id)}
    assert (await api(averages, globex, token=world.admin.token)).ok()["organization"]["rating"] == {"average": 2.0, "count": 1}
