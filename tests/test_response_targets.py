"""Response-time targets (issue 15, items 6-8): the calendar and targets per priority (admins),
each item's first-response and resolution targets with their due time, time left and state,
pauses while ON_HOLD, lists filtered by state, clients seeing none of it unless the portal
shows RESPONSE_TARGETS, and the worker's pass announcing AT_RISK and BREACHED once. Time moves
by setting the injected clock (clientela.core.clock.now), never by sleeping."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from clientela.core import clock
from clientela.targets import services as targets
from clientela.targets.models import TargetState, TargetTransition
from support import QueryCounter

UTC = dt.UTC
# 2026-12-04 is a Friday; the default calendar works Monday to Friday, 09:00-17:00 UTC.
FRIDAY_3PM = dt.datetime(2026, 12, 4, 15, 0, tzinfo=UTC)

SET_TARGETS = """mutation($input: ResponseTargetPolicyInput!) {
  setResponseTargets(input: $input) { atRiskPercent targets { priority firstResponseHours resolutionHours } } }"""
SET_CALENDAR = """mutation($input: WorkspaceCalendarInput!) {
  setWorkspaceCalendar(input: $input) { timeZone holidays workingHours { day start end } } }"""
SETTINGS = """{ workspaceCalendar { timeZone holidays workingHours { day start end } }
  responseTargetPolicy { atRiskPercent targets { priority firstResponseHours resolutionHours } } }"""
TARGETS = "query($id: ID!) { task(id: $id) { id responseTargets { kind dueAt remainingSeconds state } } }"
SUBMIT = "mutation($projectId: ID!) { submitItem(input: { projectId: $projectId, title: 'Help' }) { id } }".replace("'", '"')
POST = """mutation($taskId: ID!, $visibility: MessageVisibility!) {
  postMessage(input: { taskId: $taskId, body: "Hello", visibility: $visibility }) { id } }"""
UPDATE = "mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { id } }"
PROJECT_TASKS = """query($id: ID!, $state: ResponseTargetState) {
  project(id: $id) { tasks(targetState: $state) { totalCount edges { node { title } } } } }"""
PORTAL_ITEMS = """query($state: ResponseTargetState) {
  portalItems(targetState: $state) { totalCount edges { node { title responseTargets { kind state } } } } }"""

NORMAL = {"priority": "NORMAL", "firstResponseHours": 2, "resolutionHours": 8}
URGENT = {"priority": "URGENT", "firstResponseHours": 0.5, "resolutionHours": 4}


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment


@pytest.fixture
def now(monkeypatch) -> Clock:
    fake = Clock(FRIDAY_3PM)
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def subscribed(monkeypatch) -> list:
    calls: list = []

    async def remember(transition, target) -> None:
        calls.append((target.task_id, transition.kind, transition.state))

    monkeypatch.setattr(targets, "subscribers", [remember])
    return calls


async def set_targets(api, admin, *targets_, at_risk_percent=None):
    policy_input = {"targets": list(targets_), "atRiskPercent": at_risk_percent}
    return (await api(SET_TARGETS, {"input": policy_input}, token=admin.token)).ok()["setResponseTargets"]


async def targets_of(api, task_id, viewer) -> dict | None:
    task = (await api(TARGETS, {"id": str(task_id)}, token=viewer.token)).ok()["task"]
    if task["responseTargets"] is None:
        return None
    return {t["kind"]: t for t in task["responseTargets"]}


async def submit(api, world) -> str:
    return (await api(SUBMIT, {"projectId": str(world.acme_project.id)}, token=world.client.token)).ok()["submitItem"]["id"]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


async def test_admins_set_the_calendar_and_targets_staff_read_them_clients_not(api, world, now):
    defaults = (await api(SETTINGS, token=world.staff.token)).ok()
    assert defaults["workspaceCalendar"]["timeZone"] == "UTC"
    assert [d["day"] for d in defaults["workspaceCalendar"]["workingHours"]] == [
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
    ]
    assert defaults["workspaceCalendar"]["workingHours"][0] == {"day": "MONDAY", "start": "09:00:00", "end": "17:00:00"}
    assert defaults["responseTargetPolicy"]["atRiskPercent"] == 20
    assert all(t["firstResponseHours"] is None for t in defaults["responseTargetPolicy"]["targets"])

    policy_ = await set_targets(api, world.admin, NORMAL, URGENT, at_risk_percent=25)
    assert policy_["atRiskPercent"] == 25
    assert {"priority": "URGENT", "firstResponseHours": 0.5, "resolutionHours": 4.0} in policy_["targets"]
    calendar_input = {
        "timeZone": "Europe/Madrid",
        "workingHours": [
            {"day": "SUNDAY", "start": "08:00", "end": "12:00"},
            {"day": "MONDAY", "start": "09:30", "end": "18:00"},
        ],
        "holidays": ["2026-12-25", "2026-12-25", "2027-01-01"],
    }
    calendar_ = (await api(SET_CALENDAR, {"input": calendar_input}, token=world.admin.token)).ok()["setWorkspaceCalendar"]
    assert calendar_ == {
        "timeZone": "Europe/Madrid",
        "holidays": ["2026-12-25", "2027-01-01"],
        "workingHours": [
            {"day": "MONDAY", "start": "09:30:00", "end": "18:00:00"},
            {"day": "SUNDAY", "start": "08:00:00", "end": "12:00:00"},
        ],
    }
    assert (await api(SETTINGS, token=world.consultant.token)).ok()["workspaceCalendar"] == calendar_

    for viewer in (world.staff, world.owner, world.csr, world.client):
        assert (await api(SET_TARGETS, {"input": {"targets": []}}, token=viewer.token)).code == "FORBIDDEN"
        assert (await api(SET_CALENDAR, {"input": calendar_input}, token=viewer.token)).code == "FORBIDDEN"
    assert (await api(SETTINGS, token=world.client.token)).code == "FORBIDDEN"
    assert (await api(SETTINGS)).code == "UNAUTHENTICATED"
    # Another workspace keeps its own defaults.
    assert (await api(SETTINGS, token=world.foreign_admin.token)).ok()["workspaceCalendar"]["timeZone"] == "UTC"


@pytest.mark.parametrize(
    ("mutation", "value", "field"),
    [
        (
            SET_CALENDAR,
            {"timeZone": "Mars/Olympus", "workingHours": [{"day": "MONDAY", "start": "09:00", "end": "17:00"}]},
            "timeZone",
        ),
        (SET_CALENDAR, {"timeZone": "UTC", "workingHours": []}, "workingHours"),
        (
            SET_CALENDAR,
            {"timeZone": "UTC", "workingHours": [{"day": "MONDAY", "start": "17:00", "end": "09:00"}]},
            "workingHours",
        ),
        (
            SET_CALENDAR,
            {"timeZone": "UTC", "workingHours": [{"day": "MONDAY", "start": "09:00", "end": "12:00"}] * 2},
            "workingHours",
        ),
        (SET_TARGETS, {"targets": [{"priority": "LOW", "firstResponseHours": 0}]}, "firstResponseHours"),
        (SET_TARGETS, {"targets": [{"priority": "LOW", "resolutionHours": 1e300}]}, "resolutionHours"),
        (SET_TARGETS, {"targets": [NORMAL, NORMAL]}, "targets"),
        (SET_TARGETS, {"targets": [NORMAL], "atRiskPercent": 100}, "atRiskPercent"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(api, world, now, mutation, value, field):
    before = (await api(SETTINGS, token=world.admin.token)).ok()
    result = await api(mutation, {"input": value}, token=world.admin.token)
    assert result.code == "BAD_USER_INPUT" and result.errors[0]["extensions"]["field"] == field
    assert (await api(SETTINGS, token=world.admin.token)).ok() == before


AUDIT_LOG = "{ auditLog(first: 10) { edges { node { action summary actor { name } } } } }"


async def test_calendar_and_targets_changes_are_in_the_audit_log_with_the_change(api, world, now, monkeypatch):
    from clientela.audit import services as audit

    def logged() -> list[tuple[str, str, str]]:
        return [(n["action"], n["summary"], n["actor"]["name"]) for n in (e["node"] for e in log["auditLog"]["edges"])]

    calendar_input = {
        "timeZone": "Europe/Madrid",
        "workingHours": [{"day": day, "start": "09:00", "end": "17:00"} for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY")]
        + [{"day": "FRIDAY", "start": "08:00", "end": "14:00"}, {"day": "SUNDAY", "start": "10:00", "end": "12:00"}],
        "holidays": ["2026-12-25", "2027-01-01"],
    }
    (await api(SET_CALENDAR, {"input": calendar_input}, token=world.admin.token)).ok()
    await set_targets(api, world.admin, URGENT, {"priority": "LOW", "resolutionHours": 40}, NORMAL, at_risk_percent=25)
    assert (await api(SET_TARGETS, {"input": {"targets": [NORMAL, NORMAL]}}, token=world.admin.token)).code == "BAD_USER_INPUT"
    log = (await api(AUDIT_LOG, token=world.admin.token)).ok()
    name = world.admin.user.name
    assert logged() == [
        (
            "targets.policy",
            "Response targets set: URGENT first response 0.5 h, resolution 4 h; NORMAL first response 2 h, resolution 8 h;"
            " LOW resolution 40 h; at risk with less than 25% left",
            name,
        ),
        (
            "targets.calendar",
            "Working calendar set: Europe/Madrid, Mon–Thu 09:00–17:00, Fri 08:00–14:00, Sun 10:00–12:00, 2 holidays",
            name,
        ),
    ]

    # The entry is written in the change's transaction: a change whose entry fails is not made.
    async def broken(*args, **kwargs) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(audit, "record", broken)
    before = (await api(SETTINGS, token=world.admin.token)).ok()
    assert (await api(SET_TARGETS, {"input": {"targets": []}}, token=world.admin.token)).errors
    assert (await api(SET_CALENDAR, {"input": {**calendar_input, "holidays": []}}, token=world.admin.token)).errors
    assert (await api(SETTINGS, token=world.admin.token)).ok() == before


async def test_first_response_runs_from_a_submission_across_the_weekend_and_breaches(api, world, now, subscribed):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)  # Friday 15:00
    shown = await targets_of(api, task_id, world.staff)
    # 2 working hours: Friday until 17:00. 8 hours: 2 on Friday, 6 on Monday.
    assert shown["FIRST_RESPONSE"] == {
        "kind": "FIRST_RESPONSE",
        "dueAt": "2026-12-04T17:00:00+00:00",
        "remainingSeconds": 7200,
        "state": "RUNNING",
    }
    assert shown["RESOLUTION"]["dueAt"] == "2026-12-07T15:00:00+00:00"

    now.set(at(4, 16, 40))  # 20 minutes left: less than 20% of 2 hours
    assert (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]["state"] == "AT_RISK"
    now.set(at(6, 12))  # Sunday: no working time passes
    first = (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]
    assert first["state"] == "BREACHED" and first["remainingSeconds"] == 0
    now.set(at(7, 10))
    first = (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]
    assert first["state"] == "BREACHED" and first["remainingSeconds"] == -3600

    # A late reply meets it, late: it stays breached, its time left frozen.
    await api(POST, {"taskId": task_id, "visibility": "PUBLIC"}, token=world.staff.token)
    now.set(at(8, 10))
    first = (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]
    assert first == {"kind": "FIRST_RESPONSE", "dueAt": None, "remainingSeconds": -3600, "state": "BREACHED"}


async def test_only_the_firms_public_reply_meets_the_first_response(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    now.set(at(4, 15, 30))
    await api(POST, {"taskId": task_id, "visibility": "INTERNAL"}, token=world.staff.token)
    await api(POST, {"taskId": task_id, "visibility": "PUBLIC"}, token=world.client.token)
    assert (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]["state"] == "RUNNING"
    now.set(at(4, 16))
    (await api(POST, {"taskId": task_id, "visibility": "PUBLIC"}, token=world.csr.token)).ok()
    now.set(at(9, 16))
    first = (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]
    assert first == {"kind": "FIRST_RESPONSE", "dueAt": None, "remainingSeconds": 3600, "state": "MET"}


async def test_a_staff_item_starts_its_first_response_at_the_clients_first_public_message(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    task_id = str(world.acme_task.id)  # made by the firm, before the targets: no clock at all
    assert await targets_of(api, task_id, world.staff) == {}
    created = (
        await api(
            "CreateTask", {"input": {"projectId": str(world.acme_project.id), "title": "By staff"}}, token=world.staff.token
        )
    ).ok()
    staff_task = created["createTask"]["id"]
    assert set(await targets_of(api, staff_task, world.staff)) == {"RESOLUTION"}
    now.set(at(7, 9, 30))
    await api(POST, {"taskId": staff_task, "visibility": "PUBLIC"}, token=world.client.token)
    assert (await targets_of(api, staff_task, world.staff))["FIRST_RESPONSE"]["dueAt"] == "2026-12-07T11:30:00+00:00"


async def test_on_hold_pauses_and_done_meets_and_reopening_resumes(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)  # Friday 15:00; resolution due Monday 15:00
    now.set(at(4, 16))
    await api(UPDATE, {"id": task_id, "input": {"status": "ON_HOLD"}}, token=world.staff.token)
    now.set(at(9, 12))  # two days later
    paused = await targets_of(api, task_id, world.staff)
    assert paused["RESOLUTION"] == {"kind": "RESOLUTION", "dueAt": None, "remainingSeconds": 7 * 3600, "state": "PAUSED"}
    assert paused["FIRST_RESPONSE"]["state"] == "PAUSED" and paused["FIRST_RESPONSE"]["remainingSeconds"] == 3600
    await api(UPDATE, {"id": task_id, "input": {"status": "IN_PROGRESS"}}, token=world.staff.token)
    resumed = await targets_of(api, task_id, world.staff)
    assert resumed["RESOLUTION"]["dueAt"] == "2026-12-10T11:00:00+00:00" and resumed["RESOLUTION"]["state"] == "RUNNING"

    now.set(at(9, 13))
    await api(UPDATE, {"id": task_id, "input": {"status": "DONE"}}, token=world.staff.token)
    now.set(at(14, 9))
    done = (await targets_of(api, task_id, world.staff))["RESOLUTION"]
    assert done == {"kind": "RESOLUTION", "dueAt": None, "remainingSeconds": 6 * 3600, "state": "MET"}
    # Reopened on Monday 10:00: the days it spent done do not count.
    now.set(at(14, 10))
    await api(UPDATE, {"id": task_id, "input": {"status": "OPEN"}}, token=world.staff.token)
    reopened = (await targets_of(api, task_id, world.staff))["RESOLUTION"]
    assert reopened == {
        "kind": "RESOLUTION",
        "dueAt": "2026-12-14T16:00:00+00:00",
        "remainingSeconds": 6 * 3600,
        "state": "RUNNING",
    }


async def test_priority_calendar_and_targets_apply_at_once(api, world, now, monkeypatch):
    from clientela.targets import repository

    monkeypatch.setattr(repository, "BATCH", 1)  # an item's two targets fall on two pages
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    await api(UPDATE, {"id": task_id, "input": {"priority": "URGENT"}}, token=world.staff.token)
    assert await targets_of(api, task_id, world.staff) == {}  # URGENT has no target yet
    await set_targets(api, world.admin, NORMAL, URGENT)
    assert (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]["dueAt"] == "2026-12-04T15:30:00+00:00"
    calendar_input = {"timeZone": "UTC", "workingHours": [{"day": "MONDAY", "start": "09:00", "end": "17:00"}], "holidays": []}
    (await api(SET_CALENDAR, {"input": calendar_input}, token=world.admin.token)).ok()
    shown = await targets_of(api, task_id, world.staff)
    assert shown["FIRST_RESPONSE"]["dueAt"] == "2026-12-07T09:30:00+00:00"
    assert shown["RESOLUTION"]["dueAt"] == "2026-12-07T13:00:00+00:00"  # Friday no longer counts
    # The lists filter on what was derived again, in the same transaction.
    listed = (await api(PROJECT_TASKS, {"id": str(world.acme_project.id), "state": "RUNNING"}, token=world.staff.token)).ok()
    assert [e["node"]["title"] for e in listed["project"]["tasks"]["edges"]] == ["Help"]


async def test_lists_filter_by_target_state(api, world, now):
    await set_targets(api, world.admin, NORMAL, URGENT)
    late = await submit(api, world)
    await api(UPDATE, {"id": late, "input": {"title": "Late", "priority": "URGENT"}}, token=world.staff.token)
    now.set(at(4, 15, 20))
    fresh = await submit(api, world)
    await api(UPDATE, {"id": fresh, "input": {"title": "Fresh"}}, token=world.staff.token)
    now.set(at(4, 15, 40))  # Late's first response (30 min) is breached, Fresh runs

    def titles(result, root):
        return sorted(e["node"]["title"] for e in root(result.ok())["edges"])

    project = {"id": str(world.acme_project.id)}
    by_project = lambda r: r["project"]["tasks"]  # noqa: E731
    assert titles(await api(PROJECT_TASKS, {**project, "state": "BREACHED"}, token=world.staff.token), by_project) == ["Late"]
    assert titles(await api(PROJECT_TASKS, {**project, "state": "RUNNING"}, token=world.staff.token), by_project) == [
        "Fresh",
        "Late",
    ]
    assert titles(await api(PROJECT_TASKS, {**project, "state": "MET"}, token=world.staff.token), by_project) == []
    result = await api(PORTAL_ITEMS, {"state": "BREACHED"}, token=world.admin.token)
    assert titles(result, lambda r: r["portalItems"]) == ["Late"] and result.ok()["portalItems"]["totalCount"] == 1
    now.set(at(4, 16, 59))  # Fresh: 21 minutes of its 2 hours left
    assert titles(await api(PORTAL_ITEMS, {"state": "AT_RISK"}, token=world.admin.token), lambda r: r["portalItems"]) == ["Fresh"]


async def test_clients_see_no_targets_unless_the_portal_shows_them(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    assert await targets_of(api, task_id, world.client) is None
    refused = await api(PORTAL_ITEMS, {"state": "RUNNING"}, token=world.client.token)
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["field"] == "targetState"
    refused = await api(PROJECT_TASKS, {"id": str(world.acme_project.id), "state": "BREACHED"}, token=world.client.token)
    assert refused.code == "BAD_USER_INPUT"

    fields = ["DESCRIPTION", "STATUS", "MESSAGES", "RESPONSE_TARGETS"]
    (await api("UpdatePortalSettings", {"input": {"visibleTaskFields": fields}}, token=world.admin.token)).ok()
    assert (await targets_of(api, task_id, world.client))["FIRST_RESPONSE"]["state"] == "RUNNING"
    shown = (await api(PORTAL_ITEMS, {"state": "RUNNING"}, token=world.client.token)).ok()["portalItems"]
    assert [e["node"]["title"] for e in shown["edges"]] == ["Help"]


async def test_the_worker_announces_each_transition_once_even_with_two_passes_at_once(api, world, now, subscribed):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    assert await targets.announce_target_states() == 0
    now.set(at(4, 16, 40))  # first response at risk
    assert sum(await asyncio.gather(targets.announce_target_states(), targets.announce_target_states())) == 1
    assert [(str(t), k, s) for t, k, s in subscribed] == [(task_id, "FIRST_RESPONSE", "AT_RISK")]
    now.set(at(7, 9))  # first response breached; resolution (6 h left of 8) not at risk yet
    assert sum(await asyncio.gather(*(targets.announce_target_states() for _ in range(3)))) == 1
    assert [s for _, _, s in subscribed] == ["AT_RISK", "BREACHED"]
    assert await targets.announce_target_states() == 0
    assert await TargetTransition.filter(task_id=task_id).count() == 2


async def test_a_target_breached_while_paused_is_announced_once_as_breached(api, world, now, subscribed):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    now.set(at(7, 9, 30))
    await api(UPDATE, {"id": task_id, "input": {"status": "ON_HOLD"}}, token=world.staff.token)
    assert await targets.announce_target_states() == 1
    assert [(k, s) for _, k, s in subscribed] == [("FIRST_RESPONSE", "BREACHED")]
    assert (await targets_of(api, task_id, world.staff))["FIRST_RESPONSE"]["state"] == TargetState.BREACHED


async def test_a_subscriber_that_fails_records_nothing(api, world, now, monkeypatch):
    await set_targets(api, world.admin, NORMAL)
    await submit(api, world)

    async def broken(transition, target) -> None:
        raise RuntimeError("the rules engine is down")

    monkeypatch.setattr(targets, "subscribers", [broken])
    now.set(at(4, 16, 40))
    with pytest.raises(RuntimeError):
        await targets.announce_target_states()
    assert await TargetTransition.all().count() == 0
    monkeypatch.setattr(targets, "subscribers", [])
    assert await targets.announce_target_states() == 1


async def test_a_list_showing_targets_costs_the_same_statements_for_any_number_of_items(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    query = "{ portalItems(first: 50) { edges { node { id responseTargets { kind dueAt remainingSeconds state } } } } }"

    async def statements() -> int:
        with QueryCounter() as counter:
            (await api(query, token=world.admin.token)).ok()
        return counter.count

    await submit(api, world)
    few = await statements()
    for _ in range(6):
        await submit(api, world)
    assert await statements() == few


async def test_the_email_worker_runs_the_pass(api, world, now, subscribed):
    from clientela.mail.worker import run_worker
    from clientela.settings import Settings

    await set_targets(api, world.admin, NORMAL)
    await submit(api, world)
    now.set(at(7, 9))  # breached
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(Settings(smtp_host="", target_check_every_seconds=3600), stop, poll_seconds=0.01))
    try:
        for _ in range(500):  # waiting for the worker, not moving time
            if subscribed:
                break
            await asyncio.sleep(0.01)
        assert [s for _, _, s in subscribed] == ["BREACHED"]
    finally:
        stop.set()
        await worker


async def three_running_and_one_on_hold(api, world, now) -> dict[str, str]:
    """Items whose soonest running targets fall due in the order Urgent late (15:40, first
    response), Normal early (17:00), Normal late (Monday 09:20); On hold runs none."""
    await set_targets(api, world.admin, NORMAL, URGENT)
    titles = {}
    for minute, title, priority in [(0, "Normal early", "NORMAL"), (10, "Urgent late", "URGENT"), (20, "Normal late", "NORMAL")]:
        now.set(at(4, 15, minute))
        task_id = await submit(api, world)
        await api(UPDATE, {"id": task_id, "input": {"title": title, "priority": priority}}, token=world.staff.token)
        titles[title] = task_id
    now.set(at(4, 15, 30))
    on_hold = await submit(api, world)
    await api(UPDATE, {"id": on_hold, "input": {"title": "On hold", "status": "ON_HOLD"}}, token=world.staff.token)
    return titles


async def test_the_list_sorts_by_the_next_due_time_a_page_at_a_time(api, world, now):
    titles = await three_running_and_one_on_hold(api, world, now)
    query = """query($after: String) { portalItems(first: 2, after: $after, orderBy: NEXT_DUE) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } }"""
    first = (await api(query, token=world.admin.token)).ok()["portalItems"]
    # Urgent late: first response due 15:40; Normal early 17:00; Normal late: Monday 09:20.
    assert [e["node"]["title"] for e in first["edges"]] == ["Urgent late", "Normal early"]
    assert first["pageInfo"]["hasNextPage"] and first["totalCount"] == 3  # nothing runs on hold
    rest = (await api(query, {"after": first["pageInfo"]["endCursor"]}, token=world.admin.token)).ok()["portalItems"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["Normal late"] and not rest["pageInfo"]["hasNextPage"]
    # A reply meets Urgent late's first response: its resolution (Monday 11:10) is now the soonest of its targets.
    await api(POST, {"taskId": titles["Urgent late"], "visibility": "PUBLIC"}, token=world.staff.token)
    resorted = (await api("query { portalItems(orderBy: NEXT_DUE) { edges { node { title } } } }", token=world.admin.token)).ok()
    assert [e["node"]["title"] for e in resorted["portalItems"]["edges"]] == ["Normal early", "Normal late", "Urgent late"]

    assert (await api(query, {"after": "bm9wZQ"}, token=world.admin.token)).code == "BAD_USER_INPUT"
    refused = await api(query, token=world.client.token)
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["field"] == "orderBy"


async def test_a_settings_change_keeps_the_soonest_running_target_for_the_sort(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    await api(POST, {"taskId": task_id, "visibility": "PUBLIC"}, token=world.staff.token)  # first response met
    await set_targets(api, world.admin, {**NORMAL, "resolutionHours": 3})
    listed = (await api("query { portalItems(orderBy: NEXT_DUE) { edges { node { id } } } }", token=world.admin.token)).ok()
    assert [e["node"]["id"] for e in listed["portalItems"]["edges"]] == [task_id]
    assert (await targets_of(api, task_id, world.staff))["RESOLUTION"]["dueAt"] == "2026-12-07T10:00:00+00:00"


async def test_a_met_target_keeps_its_verdict_when_the_targets_change(api, world, now):
    await set_targets(api, world.admin, NORMAL)
    task_id = await submit(api, world)
    now.set(at(4, 16))
    await api(POST, {"taskId": task_id, "visibility": "PUBLIC"}, token=world.staff.token)  # met, an hour to spare
    await set_targets(api, world.admin, {"priority": "NORMAL", "firstResponseHours": 0.5, "resolutionHours": 4})
    shown = await targets_of(api, task_id, world.staff)
    assert shown["FIRST_RESPONSE"]["state"] == "MET" and shown["FIRST_RESPONSE"]["remainingSeconds"] == 3600
    assert shown["RESOLUTION"]["dueAt"] == "2026-12-07T11:00:00+00:00"  # not met: follows the change


async def test_a_projects_tasks_sort_by_the_next_due_time_a_page_at_a_time(api, world, now):
    titles = await three_running_and_one_on_hold(api, world, now)
    query = """query($id: ID!, $after: String) { project(id: $id) { tasks(first: 2, after: $after, orderBy: NEXT_DUE) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } } }"""
    project = {"id": str(world.acme_project.id)}

    def listed(result) -> tuple[list[str], dict, int]:
        tasks = result.ok()["project"]["tasks"]
        return [e["node"]["title"] for e in tasks["edges"]], tasks["pageInfo"], tasks["totalCount"]

    first, page_info, total = listed(await api(query, project, token=world.staff.token))
    assert first == ["Urgent late", "Normal early"] and page_info["hasNextPage"] and total == 3  # nothing runs on hold
    rest, page_info, _ = listed(await api(query, {**project, "after": page_info["endCursor"]}, token=world.staff.token))
    assert rest == ["Normal late"] and not page_info["hasNextPage"]
    # Done meets Urgent late's resolution and pauses its first response: it runs nothing any more.
    await api(UPDATE, {"id": titles["Urgent late"], "input": {"status": "DONE"}}, token=world.staff.token)
    assert listed(await api(query, project, token=world.staff.token))[0] == ["Normal early", "Normal late"]

    # A cursor of the oldest-first list is no cursor of this one.
    oldest_first = "query($id: ID!) { project(id: $id) { tasks(first: 1) { pageInfo { endCursor } } } }"
    id_cursor = (await api(oldest_first, project, token=world.staff.token)).ok()["project"]["tasks"]["pageInfo"]["endCursor"]
    assert (await api(query, {**project, "after": id_cursor}, token=world.staff.token)).code == "BAD_USER_INPUT"

    # Clients sort by it only where the portal shows them the targets, like portalItems.
    refused = await api(query, project, token=world.client.token)
    assert refused.code == "BAD_USER_INPUT" and refused.errors[0]["extensions"]["field"] == "orderBy"
    fields = ["DESCRIPTION", "STATUS", "MESSAGES", "RESPONSE_TARGETS"]
    (await api("UpdatePortalSettings", {"input": {"visibleTaskFields": fields}}, token=world.admin.token)).ok()
    assert listed(await api(query, project, token=world.client.token))[0] == ["Normal early", "Normal late"]
