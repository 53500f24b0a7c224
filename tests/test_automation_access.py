"""Who may make, change, delete and read automation rules and their runs: the staff UI's
operations (tests/operations/automations.graphql) run as every kind of viewer, the way the
contract matrix runs the contract's; escalation attempts; and no N+1 on the lists."""

from __future__ import annotations

import json

import pytest

from clientela.accounts.viewer import viewer_for
from clientela.automations import services
from clientela.automations.models import ActionKind, AutomationRule, AutomationRun, RunOutcome, TriggerKind
from clientela.automations.rules import Conditions, RuleAction
from clientela.people.models import User
from clientela.projects.models import ProjectFollower
from clientela.tasks.models import TaskPriority, TaskStatus
from support import QueryCounter, add_partner_firms, operations_in
from test_contract_matrix import VIEWERS, fingerprint, table

OPERATIONS = operations_in("automations.graphql")
UNAUTH = {"anonymous": "UNAUTHENTICATED"}
NOT_THEIRS = {"consultant": "FORBIDDEN", "client": "FORBIDDEN", "other_client": "FORBIDDEN", **UNAUTH}
# The rule limited to Acme's project: its managers (admin, staff member, Acme's owner and CSR).
ACME_RULE = table("ok", outsider_staff="NOT_FOUND", foreign_admin="NOT_FOUND", **NOT_THEIRS)


def acme_input(w, **changes) -> dict:
    return {
        "name": "Urgent for Acme",
        "trigger": "ITEM_CREATED",
        "projectIds": [str(w.acme_project.id)],
        "conditions": {"labels": ["urgent"]},
        "actions": [{"kind": "SET_PRIORITY", "priority": "URGENT"}],
        **changes,
    }


MATRIX = {
    "AutomationRules": (lambda w: {"first": 10}, table("ok", **NOT_THEIRS)),
    "AutomationRule": (lambda w: {"id": w.acme_rule}, ACME_RULE),
    "AutomationRuns": (lambda w: {"ruleId": w.acme_rule}, ACME_RULE),
    "CreateAutomationRule": (
        lambda w: {"input": acme_input(w)},
        table(
            "ok",
            outsider_staff="NOT_FOUND",
            consultant="FORBIDDEN",
            client="FORBIDDEN",
            other_client="NOT_FOUND",
            foreign_admin="NOT_FOUND",
            **UNAUTH,
        ),
    ),
    "UpdateAutomationRule": (lambda w: {"id": w.acme_rule, "input": acme_input(w, name="Renamed")}, ACME_RULE),
    "SetAutomationRuleEnabled": (lambda w: {"id": w.acme_rule, "enabled": False}, ACME_RULE),
    "DeleteAutomationRule": (lambda w: {"id": w.acme_rule}, ACME_RULE),
}


def test_the_matrix_covers_every_automation_operation():
    assert sorted(MATRIX) == sorted(OPERATIONS)


async def viewer_of(person):
    return await viewer_for(await User.get(id=person.user.id).select_related("workspace", "organization"))


async def rule_of(world, creator, project_ids, name="Acme rule") -> str:
    values = services.RuleValues(
        name=name,
        trigger=TriggerKind.ITEM_CREATED,
        project_ids=[str(p) for p in project_ids],
        actions=[RuleAction(ActionKind.SET_PRIORITY, priority=TaskPriority.HIGH)],
    )
    return str((await services.create_rule(await viewer_of(creator), values)).id)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("operation", sorted(MATRIX))
async def test_automation_operation_as_viewer(api, factory, world, operation, viewer):
    await add_partner_firms(world, factory)
    world.acme_rule = await rule_of(world, world.admin, [world.acme_project.id])
    await AutomationRun.create(
        workspace_id=world.admin.user.workspace_id,
        rule_id=world.acme_rule,
        rule_name="Acme rule",
        task=world.acme_task,
        trigger=TriggerKind.ITEM_CREATED,
        event_key="event:1",
        outcome=RunOutcome.SUCCEEDED,
    )
    variables_for, expected = MATRIX[operation]
    me = None if viewer == "anonymous" else getattr(world, viewer)
    before = await fingerprint()
    result = await api(OPERATIONS[operation], variables_for(world), token=me.token if me else None)
    outcome = result.code or "ok"
    assert outcome == expected[viewer], result.errors
    if outcome != "ok":
        assert await fingerprint() == before
    if operation == "AutomationRules" and outcome == "ok":
        names = {e["node"]["name"] for e in result.data["automationRules"]["edges"]}
        expected_names = {
            "admin": {"Acknowledge submitted items", "Acme rule"},
            "foreign_admin": {"Acknowledge submitted items"},
            "outsider_staff": set(),
        }.get(viewer, {"Acme rule"})
        assert names == expected_names


async def create(api, person, payload):
    return await api(OPERATIONS["CreateAutomationRule"], {"input": payload}, token=person.token)


async def test_the_whole_workspace_is_for_admins_and_a_scope_only_for_who_manages_all_of_it(api, world):
    whole = {"name": "All", "trigger": "ITEM_CREATED", "actions": [{"kind": "SET_PRIORITY", "priority": "HIGH"}]}
    for person in (world.staff, world.owner, world.csr):
        assert (await create(api, person, whole)).code == "FORBIDDEN"
    assert (await create(api, world.admin, whole)).ok()

    # Staff who see a project without managing it (a follower, not a member) may not add it.
    await ProjectFollower.create(project=world.globex_project, user=world.staff.user)
    both = [str(world.acme_project.id), str(world.globex_project.id)]
    before = await fingerprint()
    assert (await create(api, world.staff, acme_input(world, projectIds=both))).code == "FORBIDDEN"
    rule = (await create(api, world.staff, acme_input(world))).ok()["createAutomationRule"]["id"]
    update = OPERATIONS["UpdateAutomationRule"]
    assert (
        await api(update, {"id": rule, "input": acme_input(world, projectIds=both)}, token=world.staff.token)
    ).code == "FORBIDDEN"
    # Nor widen it to the whole workspace.
    assert (
        await api(update, {"id": rule, "input": acme_input(world, projectIds=[])}, token=world.staff.token)
    ).code == "FORBIDDEN"
    assert (await AutomationRule.get(id=rule)).name == "Urgent for Acme"
    assert before != await fingerprint()  # the one rule made


async def test_a_rule_that_also_acts_elsewhere_is_not_a_managers_to_see_or_change(api, world):
    staff_rule = await rule_of(world, world.staff, [world.acme_project.id, world.internal_project.id], "Staff rule")
    [default] = await AutomationRule.filter(workspace_id=world.admin.user.workspace_id, name="Acknowledge submitted items")
    for rule_id in (staff_rule, str(default.id)):
        for operation, variables in (
            ("AutomationRule", {"id": rule_id}),
            ("SetAutomationRuleEnabled", {"id": rule_id, "enabled": False}),
            ("DeleteAutomationRule", {"id": rule_id}),
            ("AutomationRuns", {"ruleId": rule_id}),
        ):
            assert (await api(OPERATIONS[operation], variables, token=world.csr.token)).code == "NOT_FOUND", operation
    assert (await api(OPERATIONS["AutomationRule"], {"id": staff_rule}, token=world.staff.token)).ok()


async def test_the_bot_cannot_be_made_to_reach_clients_or_internal_fields(api, world):
    before = await fingerprint()
    for action in (
        {"kind": "ADD_FOLLOWERS", "userIds": [world.client.id]},
        {"kind": "ASSIGN", "userIds": [world.csr.id]},
        {"kind": "EMAIL_STAFF", "userIds": [world.client.id], "templates": [{"language": "en", "text": "Hi"}]},
    ):
        result = await create(api, world.staff, acme_input(world, actions=[action]))
        assert (result.code, result.errors[0]["extensions"]["field"]) == ("BAD_USER_INPUT", "userIds")
    for text in ("Cost: {cost}", "{item.__class__}", "{description}", "Notes: {internal_notes}"):
        result = await create(
            api,
            world.admin,
            acme_input(world, actions=[{"kind": "POST_PUBLIC_REPLY", "templates": [{"language": "en", "text": text}]}]),
        )
        assert (
            result.code == "BAD_USER_INPUT" and "allowed: {item}, {requester}, {project}, {link}" in result.errors[0]["message"]
        )
    # A field the action's kind does not use, a language without translations, no hours.
    for payload in (
        acme_input(world, actions=[{"kind": "SET_STATUS", "status": "DONE", "labels": ["x"]}]),
        acme_input(world, actions=[{"kind": "POST_PUBLIC_REPLY", "templates": [{"language": "fr", "text": "Merci"}]}]),
        acme_input(world, trigger="DUE_DATE_NEAR"),
        acme_input(world, actions=[]),
    ):
        assert (await create(api, world.admin, payload)).code == "BAD_USER_INPUT"
    assert await fingerprint() == before


async def test_runs_are_read_by_who_may_manage_their_rule(api, world):
    acme_rule = await rule_of(world, world.staff, [world.acme_project.id])
    [default] = await AutomationRule.filter(workspace_id=world.admin.user.workspace_id, name="Acknowledge submitted items")
    for rule_id, name in ((acme_rule, "Acme rule"), (default.id, default.name)):
        await AutomationRun.create(
            workspace_id=world.admin.user.workspace_id,
            rule_id=rule_id,
            rule_name=name,
            task=world.acme_task,
            trigger=TriggerKind.ITEM_CREATED,
            event_key="event:1",
            outcome=RunOutcome.SUCCEEDED,
        )
    runs = OPERATIONS["AutomationRuns"]

    def names(result):
        return sorted(e["node"]["ruleName"] for e in result.ok()["automationRuns"]["edges"])

    task = {"taskId": str(world.acme_task.id)}
    assert names(await api(runs, task, token=world.admin.token)) == ["Acknowledge submitted items", "Acme rule"]
    assert names(await api(runs, task, token=world.staff.token)) == ["Acme rule"]
    assert names(await api(runs, task, token=world.csr.token)) == ["Acme rule"]
    assert names(await api(runs, {"taskId": str(world.globex_task.id)}, token=world.admin.token)) == []
    assert (await api(runs, task, token=world.client.token)).code == "FORBIDDEN"
    assert (await api(runs, {"taskId": str(world.globex_task.id)}, token=world.staff.token)).code == "NOT_FOUND"
    text = json.dumps((await api(runs, task, token=world.staff.token)).data)
    assert "Acknowledge" not in text


async def _statements(api, token, operation, variables) -> int:
    with QueryCounter() as counter:
        (await api(OPERATIONS[operation], variables, token=token)).ok()
    return counter.count


async def test_the_rules_and_runs_lists_cost_the_same_for_5_and_25(api, world):
    counts = []
    for total in (5, 25):
        await AutomationRule.filter(workspace_id=world.admin.user.workspace_id).delete()
        for n in range(total):
            rule = await services.create_rule(
                await viewer_of(world.admin),
                services.RuleValues(
                    name=f"R{n}",
                    trigger=TriggerKind.ITEM_CREATED,
                    project_ids=[str(world.acme_project.id), str(world.internal_project.id)],
                    conditions=Conditions.checked(requester_organization_ids=[str(world.acme.id)]),
                    actions=[
                        RuleAction(ActionKind.ADD_FOLLOWERS, user_ids=(world.staff.user.id, world.owner.user.id)),
                        RuleAction(ActionKind.SET_STATUS, status=TaskStatus.DONE),
                    ],
                ),
            )
            await AutomationRun.create(
                workspace_id=world.admin.user.workspace_id,
                rule=rule,
                rule_name=rule.name,
                task=world.acme_task,
                trigger=TriggerKind.ITEM_CREATED,
                event_key=f"event:{n}",
                outcome=RunOutcome.SUCCEEDED,
            )
        counts.append(
            (
                await _statements(api, world.admin.token, "AutomationRules", {"first": 50}),
                await _statements(api, world.admin.token, "AutomationRuns", {"first": 50}),
                await _statements(api, world.staff.token, "AutomationRules", {"first": 50}),
            )
        )
    assert counts[0] == counts[1]
