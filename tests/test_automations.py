"""Automation rules at work: each trigger, condition and action; the default acknowledgement by
SMTP in the client's language; exactly once with racing workers and after a crash; no loops;
what clients see of what automations write. Time moves by passing the worker's clock, never by
sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from clientela.automations import engine
from clientela.automations.models import AutomationEvent, AutomationRule, AutomationRun, RunOutcome, TriggerKind
from clientela.automations.services import Event, on_event
from clientela.conversations.models import Message, MessageVisibility
from clientela.mail.models import OutboxEmail
from clientela.mail.worker import deliver_due
from clientela.people.models import User
from clientela.tasks.models import Task, TaskFollower
from inbound_support import emailed_to
from inbound_support import reply as email_reply
from support import QueryCounter

CREATE_RULE = """
mutation($input: AutomationRuleInput!) {
  createAutomationRule(input: $input) { id name enabled trigger hours projects { id } actions { kind } }
}
"""
ITEM = """
query($id: ID!) {
  task(id: $id) { id status priority labels assignee { id } messages { body visibility automated author { name } } }
}
"""
RUNS = """
query($ruleId: ID, $taskId: ID) {
  automationRuns(ruleId: $ruleId, taskId: $taskId) { edges { node { ruleName trigger outcome error task { id } rule { id } } } }
}
"""


async def make_rule(api, token, **values) -> str:
    values.setdefault("name", "A rule")
    result = await api(CREATE_RULE, {"input": values}, token=token)
    return result.ok()["createAutomationRule"]["id"]


async def disable_defaults(world) -> None:
    await AutomationRule.filter(workspace_id=world.admin.user.workspace_id).update(enabled=False)


async def submit(api, world, title="Broken invoice") -> str:
    variables = {"input": {"projectId": str(world.acme_project.id), "title": title}}
    return (await api("SubmitItem", variables, token=world.client.token)).ok()["submitItem"]["id"]


async def runs_of(task_id) -> list[AutomationRun]:
    return await AutomationRun.filter(task_id=task_id).order_by("id")


def reply(*texts: tuple[str, str]) -> dict:
    return {"kind": "POST_PUBLIC_REPLY", "templates": [{"language": lang, "text": text} for lang, text in texts]}


async def test_the_default_acknowledgement_reaches_a_spanish_client_by_smtp_in_spanish(api, world, smtp_server):
    await User.filter(id=world.client.user.id).update(language="es")
    task_id = await submit(api, world, "Factura rota")
    assert await Message.filter(task_id=task_id, automated=True).count() == 0  # the worker's, not the request's

    await engine.process_events()
    await deliver_due(smtp_server.settings())

    [message] = await Message.filter(task_id=task_id, automated=True).select_related("author")
    assert message.visibility is MessageVisibility.PUBLIC and message.author.is_automation
    assert message.body.startswith("Hemos recibido su solicitud 'Factura rota'")
    [email] = [m for m in smtp_server.messages if world.client.user.email in m["To"]]
    text = email.get_body(("plain",)).get_content()
    assert "Nuevo mensaje" in email["Subject"]
    assert "Hemos recibido su solicitud 'Factura rota'" in text
    assert f"http://clientela.test/projects/{world.acme_project.id}?task={task_id}" in text
    [run] = await runs_of(task_id)
    assert (run.rule_name, run.trigger, run.outcome) == (
        "Acknowledge submitted items",
        TriggerKind.ITEM_SUBMITTED,
        RunOutcome.SUCCEEDED,
    )
    # The client sees it in the conversation like any reply, marked as automatic.
    item = (await api(ITEM, {"id": task_id}, token=world.client.token)).ok()["task"]
    assert item["messages"] == [
        {"body": message.body, "visibility": "PUBLIC", "automated": True, "author": {"name": "Northwind (automatic)"}}
    ]


async def test_a_public_reply_is_stored_in_the_requesters_language_and_emailed_in_each_recipients(api, world):
    await disable_defaults(world)
    await make_rule(
        api,
        world.admin.token,
        trigger="ITEM_SUBMITTED",
        actions=[reply(("en", "Thanks {requester}: {item} in {project}"), ("pt", "Obrigado {requester}: {item} em {project}"))],
    )
    await User.filter(id=world.client.user.id).update(language="pt")
    colleague = await User.create(
        workspace_id=world.admin.user.workspace_id,
        organization=world.acme,
        name="Ruslan",
        email="ruslan@acme.example",
        language="ru",
    )
    task_id = await submit(api, world, "{link} stays")
    await TaskFollower.create(task_id=task_id, user=colleague)

    await engine.process_events()

    [message] = await Message.filter(task_id=task_id, automated=True)
    assert message.body == "Obrigado Clara Client: {link} stays em Acme site"
    bodies = {e.to_address: e.text_body for e in await OutboxEmail.filter(kind="CLIENT_REPLY", about_id=message.id)}
    assert "Obrigado Clara Client" in bodies[world.client.user.email]
    assert "Thanks Clara Client: {link} stays in Acme site" in bodies["ruslan@acme.example"]  # no Russian text: English


async def test_item_created_with_conditions_sets_status_and_adds_labels(api, world):
    await disable_defaults(world)
    rule_id = await make_rule(
        api,
        world.admin.token,
        trigger="ITEM_CREATED",
        conditions={"priorities": ["HIGH", "URGENT"], "labels": ["billing"]},
        actions=[{"kind": "SET_STATUS", "status": "IN_PROGRESS"}, {"kind": "ADD_LABELS", "labels": ["triaged"]}],
    )
    create = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"

    async def created(**values):
        variables = {"input": {"projectId": str(world.acme_project.id), "title": "T", **values}}
        return (await api(create, variables, token=world.staff.token)).ok()["createTask"]["id"]

    matching = await created(priority="HIGH", labels=["billing", "web"])
    other_priority = await created(priority="NORMAL", labels=["billing"])
    other_labels = await created(priority="URGENT", labels=["web"])
    await engine.process_events()

    task = await Task.get(id=matching)
    assert (task.status, task.labels) == ("IN_PROGRESS", ["billing", "web", "triaged"])
    for skipped in (other_priority, other_labels):
        assert (await Task.get(id=skipped)).status == "OPEN"
        [run] = await runs_of(skipped)
        assert run.outcome is RunOutcome.SKIPPED
    assert [r.outcome for r in await AutomationRun.filter(rule_id=rule_id, task_id=matching)] == [RunOutcome.SUCCEEDED]


async def test_client_reply_with_author_condition_writes_an_internal_note_clients_never_see(api, world):
    await disable_defaults(world)
    await make_rule(
        api,
        world.admin.token,
        trigger="CLIENT_REPLIED",
        conditions={"authorIsClient": True},
        actions=[{"kind": "POST_INTERNAL_NOTE", "templates": [{"language": "en", "text": "Client wrote on {item}"}]}],
    )
    task_id = str(world.acme_task.id)
    await api("PortalReply", {"taskId": task_id, "body": "Any news?"}, token=world.client.token)
    staff_post = "mutation($input: PostMessageInput!) { postMessage(input: $input) { id } }"
    await api(staff_post, {"input": {"taskId": task_id, "body": "Soon", "visibility": "PUBLIC"}}, token=world.staff.token)
    await engine.process_events()

    [note] = await Message.filter(task_id=task_id, automated=True)
    assert (note.visibility, note.body) == (MessageVisibility.INTERNAL, "Client wrote on Acme home page")
    assert not await OutboxEmail.filter(about_id=note.id).exists()
    staff_view = (await api(ITEM, {"id": task_id}, token=world.staff.token)).ok()["task"]["messages"]
    client_view = (await api(ITEM, {"id": task_id}, token=world.client.token)).ok()["task"]["messages"]
    assert "Client wrote on Acme home page" in [m["body"] for m in staff_view]
    assert "Client wrote on Acme home page" not in str(client_view) and all(m["visibility"] == "PUBLIC" for m in client_view)
    assert (await api(RUNS, {"taskId": task_id}, token=world.client.token)).code == "FORBIDDEN"


async def test_status_and_priority_changes_fire_their_rules_with_requester_organization_conditions(api, world):
    await disable_defaults(world)
    await make_rule(
        api,
        world.admin.token,
        trigger="STATUS_CHANGED",
        conditions={"statuses": ["ON_HOLD"], "requesterOrganizationIds": [str(world.acme.id)]},
        actions=[{"kind": "SET_PRIORITY", "priority": "LOW"}],
    )
    await make_rule(
        api,
        world.admin.token,
        trigger="PRIORITY_CHANGED",
        conditions={"priorities": ["URGENT"]},
        actions=[{"kind": "ASSIGN", "userIds": [world.staff.id]}, {"kind": "ADD_FOLLOWERS", "userIds": [world.owner.id]}],
    )
    update = "mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }"
    acme, globex = str(world.acme_task.id), str(world.globex_task.id)
    await api(update, {"id": acme, "input": {"status": "ON_HOLD"}}, token=world.admin.token)
    await api(update, {"id": globex, "input": {"status": "ON_HOLD"}}, token=world.admin.token)
    await engine.process_events()
    assert (await Task.get(id=acme)).priority == "LOW"
    assert (await Task.get(id=globex)).priority == "NORMAL"  # requested by Globex

    await api(update, {"id": globex, "input": {"priority": "URGENT", "title": "Renamed"}}, token=world.admin.token)
    await engine.process_events()
    task = await Task.get(id=globex)
    assert task.assignee_id == world.staff.user.id
    assert await TaskFollower.filter(task_id=globex, user_id=world.owner.user.id).exists()


async def test_no_loop_when_a_rule_would_trigger_itself(api, world):
    await disable_defaults(world)
    status_rule = await make_rule(
        api, world.admin.token, trigger="STATUS_CHANGED", actions=[{"kind": "SET_STATUS", "status": "IN_PROGRESS"}]
    )
    reply_rule = await make_rule(api, world.admin.token, trigger="CLIENT_REPLIED", actions=[reply(("en", "Noted: {item}"))])
    update = "mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }"
    await api(update, {"id": str(world.acme_task.id), "input": {"status": "ON_HOLD"}}, token=world.staff.token)
    await api("PortalReply", {"taskId": str(world.acme_task.id), "body": "Hello?"}, token=world.client.token)

    for _ in range(3):
        await engine.process_events()

    assert not await AutomationEvent.filter(processed_at__isnull=True).exists()
    assert await AutomationRun.filter(rule_id=status_rule).count() == 1
    assert await AutomationRun.filter(rule_id=reply_rule).count() == 1
    assert await Message.filter(task_id=world.acme_task.id, automated=True).count() == 1
    assert (await Task.get(id=world.acme_task.id)).status == "IN_PROGRESS"


async def test_two_workers_racing_and_a_crash_run_each_rule_once(api, world):
    task_id = await submit(api, world)
    await asyncio.gather(engine.process_events(), engine.process_events())
    # A worker that crashed before marking the event processed takes it again: nothing more.
    await AutomationEvent.filter(task_id=task_id).update(processed_at=None)
    await engine.process_events()

    assert await Message.filter(task_id=task_id, automated=True).count() == 1
    assert [r.outcome for r in await runs_of(task_id)] == [RunOutcome.SUCCEEDED]
    assert await OutboxEmail.filter(kind="CLIENT_REPLY", to_address=world.client.user.email).count() == 1


async def test_due_date_near_emails_the_assignee_once_per_due_date(api, world):
    await disable_defaults(world)
    await make_rule(
        api,
        world.admin.token,
        trigger="DUE_DATE_NEAR",
        hours=24,
        actions=[
            {"kind": "EMAIL_STAFF", "toAssignee": True, "templates": [{"language": "en", "text": "{item} is due soon: {link}"}]}
        ],
    )
    due = date.today() + timedelta(days=3)
    await Task.filter(id=world.acme_task.id).update(due_date=due, assignee_id=world.staff.user.id)
    midnight = datetime(due.year, due.month, due.day, tzinfo=UTC)

    assert await engine.scan_time_triggers(midnight - timedelta(hours=25)) == 0
    await asyncio.gather(
        engine.scan_time_triggers(midnight - timedelta(hours=2)), engine.scan_time_triggers(midnight - timedelta(hours=1))
    )
    [email] = await OutboxEmail.filter(kind="AUTOMATION_NOTICE")
    assert email.to_address == world.staff.user.email and "Acme home page is due soon" in email.text_body
    # A new due date is a new occasion; a done item is not reminded.
    later = due + timedelta(days=1)
    await Task.filter(id=world.acme_task.id).update(due_date=later)
    await engine.scan_time_triggers(midnight + timedelta(hours=1))
    assert await OutboxEmail.filter(kind="AUTOMATION_NOTICE").count() == 2
    await Task.filter(id=world.acme_task.id).update(due_date=later + timedelta(days=1), status="DONE")
    await engine.scan_time_triggers(midnight + timedelta(hours=25))
    assert await OutboxEmail.filter(kind="AUTOMATION_NOTICE").count() == 2


async def test_no_public_reply_for_hours_fires_once_and_a_firm_reply_answers_it(api, world):
    await disable_defaults(world)
    rule_id = await make_rule(
        api, world.admin.token, trigger="NO_PUBLIC_REPLY", hours=4, actions=[{"kind": "SET_PRIORITY", "priority": "URGENT"}]
    )
    task_id = str(world.acme_task.id)
    await api("PortalReply", {"taskId": task_id, "body": "Hello?"}, token=world.client.token)
    await api("PortalReply", {"taskId": task_id, "body": "Anyone?"}, token=world.client.token)
    # Hours are the workspace calendar's working hours (by default Monday to Friday, 09:00 to
    # 17:00 UTC): written on Friday at 15:00, four of them have passed on Monday at 11:00.
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    await Message.filter(task_id=task_id, body__in=["Hello?", "Anyone?"]).update(created_at=friday)

    assert await engine.scan_time_triggers(friday + timedelta(hours=5)) == 0  # Friday, 20:00
    assert await engine.scan_time_triggers(friday + timedelta(days=2, hours=5)) == 0  # Sunday
    assert await engine.scan_time_triggers(friday + timedelta(days=3, hours=-5)) == 0  # Monday, 10:00
    assert await engine.scan_time_triggers(friday + timedelta(days=3, hours=-4)) == 1  # Monday, 11:00
    assert await engine.scan_time_triggers(friday + timedelta(days=3, hours=-3)) == 0
    assert (await Task.get(id=task_id)).priority == "URGENT"

    # Answered by the firm: nothing fires on the next scans.
    staff_post = "mutation($input: PostMessageInput!) { postMessage(input: $input) { id } }"
    await api(staff_post, {"input": {"taskId": task_id, "body": "On it", "visibility": "PUBLIC"}}, token=world.staff.token)
    assert await engine.scan_time_triggers(datetime.now(UTC) + timedelta(days=7)) == 0
    assert await AutomationRun.filter(rule_id=rule_id).count() == 1


async def test_a_response_target_event_fires_its_rules_once_per_occurrence(api, world):
    await disable_defaults(world)
    rule_id = await make_rule(
        api, world.admin.token, trigger="TARGET_BREACHED", actions=[{"kind": "SET_PRIORITY", "priority": "HIGH"}]
    )
    breach = Event(
        kind=TriggerKind.TARGET_BREACHED,
        task_id=world.acme_task.id,
        workspace_id=world.acme_task.workspace_id,
        occurrence="FIRST_RESPONSE:2026-12-01T10:00Z",
        extra={"target": "FIRST_RESPONSE"},
    )
    await on_event(breach)
    await on_event(breach)  # told twice
    await engine.process_events()

    assert (await Task.get(id=world.acme_task.id)).priority == "HIGH"
    runs = await AutomationRun.filter(rule_id=rule_id)
    assert [(r.trigger, r.outcome) for r in runs] == [(TriggerKind.TARGET_BREACHED, RunOutcome.SUCCEEDED)]


async def test_a_failing_action_changes_nothing_and_its_run_says_why(api, world):
    await disable_defaults(world)
    rule_id = await make_rule(
        api,
        world.admin.token,
        trigger="STATUS_CHANGED",
        actions=[reply(("en", "Moved: {item}")), {"kind": "ADD_LABELS", "labels": ["one-too-many"]}],
    )
    await Task.filter(id=world.acme_task.id).update(labels=[f"l{n}" for n in range(50)])
    update = "mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }"
    await api(update, {"id": str(world.acme_task.id), "input": {"status": "DONE"}}, token=world.staff.token)
    await engine.process_events()

    assert not await Message.filter(task_id=world.acme_task.id, automated=True).exists()
    runs = (await api(RUNS, {"ruleId": rule_id}, token=world.admin.token)).ok()["automationRuns"]["edges"]
    [node] = [edge["node"] for edge in runs]
    assert (node["outcome"], node["trigger"], node["error"]) == ("FAILED", "STATUS_CHANGED", "A task has at most 50 labels.")
    assert node["task"] == {"id": str(world.acme_task.id)} and node["rule"] == {"id": rule_id}


async def test_a_disabled_rule_does_not_run_and_a_deleted_rules_runs_stay_for_admins(api, world):
    [default] = await AutomationRule.filter(workspace_id=world.admin.user.workspace_id)
    toggle = "mutation($id: ID!, $enabled: Boolean!) { setAutomationRuleEnabled(id: $id, enabled: $enabled) { enabled } }"
    (await api(toggle, {"id": str(default.id), "enabled": False}, token=world.admin.token)).ok()
    first = await submit(api, world, "First")
    await engine.process_events()
    assert await runs_of(first) == []

    (await api(toggle, {"id": str(default.id), "enabled": True}, token=world.admin.token)).ok()
    second = await submit(api, world, "Second")
    await engine.process_events()
    delete = "mutation($id: ID!) { deleteAutomationRule(id: $id) }"
    assert (await api(delete, {"id": str(default.id)}, token=world.admin.token)).ok() == {"deleteAutomationRule": True}
    runs = (await api(RUNS, {"taskId": second}, token=world.admin.token)).ok()["automationRuns"]["edges"]
    assert [(e["node"]["ruleName"], e["node"]["rule"]) for e in runs] == [("Acknowledge submitted items", None)]


async def test_the_automation_identity_is_nobody_to_look_up_assign_or_sign_in_as(api, world):
    identity = await User.get(workspace_id=world.admin.user.workspace_id, is_automation=True)
    assert (identity.email, identity.password_hash) == (None, None)
    people = (await api("People", {}, token=world.admin.token)).ok()["people"]
    assert str(identity.id) not in [p["id"] for p in people]
    update = "mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }"
    assigned = await api(
        update, {"id": str(world.acme_task.id), "input": {"assigneeId": str(identity.id)}}, token=world.admin.token
    )
    assert assigned.code == "NOT_FOUND"


async def test_a_submission_costs_the_same_statements_with_20_enabled_rules_as_with_none(api, world):
    async def statements() -> int:
        with QueryCounter() as counter:
            await submit(api, world)
        return counter.count

    await disable_defaults(world)
    without = await statements()
    for n in range(20):
        await make_rule(api, world.admin.token, name=f"R{n}", trigger="ITEM_SUBMITTED", actions=[reply(("en", "Got {item}"))])
    assert await statements() == without


async def test_a_clients_reply_by_email_fires_client_replied_like_one_from_the_portal(api, world, inbound):
    await disable_defaults(world)
    rule_id = await make_rule(
        api, world.admin.token, trigger="CLIENT_REPLIED", actions=[reply(("en", "Thanks, we read it: {item}"))]
    )
    email = await emailed_to(inbound, api, world, world.client)
    code, _ = await inbound.send(email_reply(email["Reply-To"], world.client.user.email, "Here is the file.\n", answers=email))
    assert code == 250

    await engine.process_events()
    await engine.process_events()

    [message] = await Message.filter(task_id=world.acme_task.id, automated=True)
    assert message.body == "Thanks, we read it: Acme home page"
    assert [r.outcome for r in await AutomationRun.filter(rule_id=rule_id)] == [RunOutcome.SUCCEEDED]
