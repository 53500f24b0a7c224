"""What automation rules cost: a client's submission with 20 enabled rules against one with none,
and the worker's scan of the time-based triggers over the open items of the benchmark dataset,
timed in-process on a copy of it (the dataset itself is left as it is).

    .venv/bin/python -m bench.automations [--tasks 100000] [--url sqlite:///path/bench.sqlite3]

- `submission`: rounds of client submissions through the service (tasks.services.submit_item),
  alternating between the workspace with no enabled rule and with 20 enabled rules (fired by a
  submission: acknowledgements, labels, priorities, notes), each round the same number of
  submissions; SQL statements per submission (counted through Tortoise's db_client logger) and
  the median seconds of a round. Target: with 20 rules within 1.5x of none, in both.
- `events`: the worker running the rules those submissions fired (engine.process_events):
  reported, not a target (the request only writes the event).
- `time_based`: every item of the copy opened, ten DUE_DATE_NEAR and ten NO_PUBLIC_REPLY rules
  on the whole workspace, and one scan (engine.scan_time_triggers) at the moment of the
  dataset's latest item, then an idle scan. Target: under 10 s over 100,000 open items.

Writes bench/results/automations-<commit>.json.
"""

from __future__ import annotations

import logging
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench import copies

RULES = 20
ROUNDS = 7
PER_ROUND = 20
RATIO_TARGET = 1.5
SCAN_TARGET_SECONDS = 10.0


class Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def measure(url: str, seed: int) -> dict:
    from clientela import db
    from clientela.accounts.viewer import viewer_for
    from clientela.automations import engine
    from clientela.automations import services as automations
    from clientela.automations.models import ActionKind, AutomationRule, TriggerKind
    from clientela.automations.rules import RuleAction
    from clientela.organizations.models import Organization, OrganizationKind
    from clientela.people.models import User
    from clientela.projects.models import ProjectFollower
    from clientela.tasks import services as tasks
    from clientela.tasks.models import Task, TaskPriority

    await db.migrate(url)
    await db.connect(url)
    try:
        admin = await User.filter(is_admin=True).select_related("organization", "workspace").first()
        clients = Organization.filter(kind=OrganizationKind.CLIENT).values_list("id", flat=True)
        client = await User.filter(organization_id__in=await clients).select_related("organization", "workspace").first()
        project_id = await ProjectFollower.filter(organization_id=client.organization_id).values_list("project_id", flat=True)
        project_id = project_id[0]
        as_admin, as_client = await viewer_for(admin), await viewer_for(client)
        workspace_rules = AutomationRule.filter(workspace_id=admin.workspace_id)
        await workspace_rules.update(enabled=False)

        actions = [
            [RuleAction.checked(ActionKind.POST_PUBLIC_REPLY, templates={"en": "Thanks, we have {item}. {response_target}"})],
            [RuleAction.checked(ActionKind.ADD_LABELS, labels=["triage"])],
            [RuleAction.checked(ActionKind.SET_PRIORITY, priority=TaskPriority.HIGH)],
            [RuleAction.checked(ActionKind.POST_INTERNAL_NOTE, templates={"en": "New from {requester}: {item}"})],
        ]
        for index in range(RULES):
            await automations.create_rule(
                as_admin,
                automations.RuleValues(
                    name=f"Bench rule {index}", trigger=TriggerKind.ITEM_SUBMITTED, actions=actions[index % len(actions)]
                ),
            )
        bench_rules = workspace_rules.filter(name__startswith="Bench rule")

        statements = Statements()
        sql_log = logging.getLogger("tortoise.db_client")
        sql_log.setLevel(logging.DEBUG)
        sql_log.addHandler(statements)
        sql_log.propagate = False

        async def one_round() -> tuple[float, float]:
            statements.count = 0
            began = time.perf_counter()
            for _ in range(PER_ROUND):
                await tasks.submit_item(as_client, project_id, "Bench submission", "Submitted by the benchmark.")
            return time.perf_counter() - began, statements.count / PER_ROUND

        rounds: dict[str, list[tuple[float, float]]] = {"none": [], "twenty": []}
        for _ in range(ROUNDS):
            for variant, enabled in (("none", False), ("twenty", True)):
                await bench_rules.update(enabled=enabled)
                rounds[variant].append(await one_round())
        sql_log.removeHandler(statements)

        def summary(variant: str) -> dict:
            seconds = statistics.median(s for s, _ in rounds[variant])
            return {"median_round_seconds": round(seconds, 4), "statements_per_submission": rounds[variant][-1][1]}

        none, twenty = summary("none"), summary("twenty")
        submission = {
            "rules": RULES,
            "submissions_per_round": PER_ROUND,
            "rounds": ROUNDS,
            "none": none,
            "twenty": twenty,
            "time_ratio": round(twenty["median_round_seconds"] / none["median_round_seconds"], 3),
            "statement_ratio": round(twenty["statements_per_submission"] / none["statements_per_submission"], 3),
        }

        began = time.perf_counter()
        processed = 0
        while batch := await engine.process_events():
            processed += batch
        events = {"events": processed, "seconds": round(time.perf_counter() - began, 3)}

        await bench_rules.update(enabled=False)
        # Every item open, as the figure asks (the dataset closes some of them).
        await Task.filter(workspace_id=admin.workspace_id).update(status="OPEN")
        open_items = await Task.filter(workspace_id=admin.workspace_id).exclude(status="DONE").count()
        reply = [RuleAction.checked(ActionKind.ADD_LABELS, labels=["waiting"])]
        for index in range(10):
            for trigger, hours in ((TriggerKind.DUE_DATE_NEAR, 24 * (index + 1)), (TriggerKind.NO_PUBLIC_REPLY, 4 * (index + 1))):
                await automations.create_rule(
                    as_admin,
                    automations.RuleValues(
                        name=f"Time rule {trigger.value} {index}", trigger=trigger, hours=hours, actions=reply
                    ),
                )
        # The moment of the dataset's latest activity: its due dates and client messages are near.
        latest = await Task.filter(workspace_id=admin.workspace_id).order_by("-created_at").values_list("created_at", flat=True)
        moment = max(latest[0], datetime.now(UTC)) if latest else datetime.now(UTC)
        began = time.perf_counter()
        ran = await engine.scan_time_triggers(moment)
        first = time.perf_counter() - began
        began = time.perf_counter()
        again = await engine.scan_time_triggers(moment + timedelta(minutes=1))
        idle = time.perf_counter() - began
        time_based = {
            "open_items": open_items,
            "rules": 20,
            "scan_seconds": round(first, 3),
            "rules_run": ran,
            "idle_scan_seconds": round(idle, 3),
            "idle_rules_run": again,
        }
        return {"submission": submission, "events": events, "time_based": time_based}
    finally:
        await db.disconnect()


def main(argv: list[str] | None = None) -> None:
    def met(result: dict) -> dict:
        submission, time_based = result["submission"], result["time_based"]
        return {
            "submission": submission["time_ratio"] <= RATIO_TARGET and submission["statement_ratio"] <= RATIO_TARGET,
            "time_based": time_based["scan_seconds"] < SCAN_TARGET_SECONDS
            and time_based["idle_scan_seconds"] < SCAN_TARGET_SECONDS,
        }

    copies.measure_on_a_copy("automations", __doc__, measure, argv, met)


if __name__ == "__main__":
    main()
