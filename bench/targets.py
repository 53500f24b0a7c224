"""What response-time targets cost the worker: its pass over 100,000 open items, timed
in-process on a copy of the benchmark dataset (the dataset itself is left as it is).

    .venv/bin/python -m bench.targets [--tasks 100000] [--url sqlite:///path/bench.sqlite3]

The copy is migrated, the workspace gets targets for every priority, and every task of the
dataset gets a resolution clock and every other one a first-response clock (the generator writes
tasks without the repositories, so they have none), started over the five days before the bench's
moment so that, at the bench's moment, some run, some are at risk and most are breached. Then, timed:

- `catch_up`: the first pass, which records every transition due (one transaction each): what a
  worker does after the targets are first set, or after a long stop;
- `steady`: a pass a minute later, which records only the targets that crossed a line in that
  minute: what the worker does every CLIENTELA_TARGET_CHECK_EVERY_SECONDS;
- `idle`: a pass with nothing to record;
- `recompute`: setting the targets again, which derives every clock once more in one transaction.

Target: a pass over 100,000 open items in under 10 s. Writes bench/results/targets-<commit>.json.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from bench import copies

TARGET_SECONDS = 10.0
NOW = dt.datetime(2026, 12, 9, 12, 0, tzinfo=dt.UTC)  # a Wednesday
TARGETS = {  # working seconds: first response, resolution
    "LOW": {"FIRST_RESPONSE": 8 * 3600, "RESOLUTION": 40 * 3600},
    "NORMAL": {"FIRST_RESPONSE": 4 * 3600, "RESOLUTION": 24 * 3600},
    "HIGH": {"FIRST_RESPONSE": 2 * 3600, "RESOLUTION": 16 * 3600},
    "URGENT": {"FIRST_RESPONSE": 3600, "RESOLUTION": 8 * 3600},
}


async def measure(url: str, seed: int) -> dict:

    from clientela import db
    from clientela.core import clock
    from clientela.targets import repository, services
    from clientela.targets.models import TargetClock, TargetKind, TargetSettings
    from clientela.tasks.models import Task

    await db.migrate(url)
    await db.connect(url)
    try:
        rng = random.Random(seed)
        tasks = await Task.all().values_list("id", "workspace_id", "priority")
        workspace_id = tasks[0][1]
        settings = await TargetSettings.get_or_none(workspace_id=workspace_id) or await repository.settings_of(workspace_id)
        settings.targets = TARGETS
        await settings.save()
        calendar = settings.calendar()
        started = time.perf_counter()
        clocks = []
        window_start = NOW - dt.timedelta(days=5)
        for index, (task_id, _, priority) in enumerate(tasks):
            kinds = [TargetKind.RESOLUTION] + ([TargetKind.FIRST_RESPONSE] if index % 2 else [])
            for kind in kinds:
                start = window_start + dt.timedelta(seconds=rng.uniform(0, 5 * 24 * 3600))
                each = TargetClock(workspace_id=workspace_id, task_id=task_id, kind=kind, started_at=start)
                each.derive(settings.allotted(priority, kind), calendar, settings.at_risk_percent)
                clocks.append(each)
        await TargetClock.bulk_create(clocks, batch_size=5000)
        backfill = time.perf_counter() - started

        async def timed_pass(at: dt.datetime) -> dict:
            began = time.perf_counter()
            recorded = await services.announce_target_states(at)
            return {"seconds": round(time.perf_counter() - began, 3), "transitions": recorded}

        clock.now = lambda: NOW
        result = {
            "open_items": len(tasks),
            "clocks": len(clocks),
            "backfill_seconds": round(backfill, 3),
            "catch_up": await timed_pass(NOW),
            "steady": await timed_pass(NOW + dt.timedelta(minutes=1)),
            "idle": await timed_pass(NOW + dt.timedelta(minutes=1)),
        }
        began = time.perf_counter()

        async def nothing_else() -> None:  # the service writes its audit entry here
            return None

        await repository.save_settings(settings, then=nothing_else)
        result["recompute_seconds"] = round(time.perf_counter() - began, 3)
        return result
    finally:
        await db.disconnect()


def main(argv: list[str] | None = None) -> None:
    def met(result: dict) -> bool:
        result["target_seconds"] = TARGET_SECONDS
        return all(result[p]["seconds"] < TARGET_SECONDS for p in ("catch_up", "steady", "idle"))

    copies.measure_on_a_copy("targets", __doc__, measure, argv, met)


if __name__ == "__main__":
    main()
