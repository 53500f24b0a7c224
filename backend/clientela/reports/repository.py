"""The reports' aggregates and rows, read on the connection for long reads
(clientela.db.long_reads), scoped by the policy's visible projects."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from clientela import db, policy
from clientela.core.errors import BadUserInput
from clientela.core.ids import as_uuid
from clientela.core.money import CENT, billed_amount, in_cents
from clientela.core.sql import raw_rows
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.tasks.models import TimeEntry

MAX_REPORT_DAYS = 366 * 5


@dataclass
class FinancialSummary:
    project_count: int
    budget: Decimal
    billed: Decimal


async def financial_summaries(viewer: Viewer, client_ids: list[uuid.UUID]) -> list[FinancialSummary | None]:
    """For each client, the projects of it that the viewer sees: their count, total budget and
    billed amount, in two aggregate queries for any number of clients. None for viewers who may
    not see money."""
    if not policy.sees_money(viewer):
        return [None] * len(client_ids)
    projects = Project.filter(policy.projects_visible(viewer), client_id__in=set(client_ids))
    totals = {
        as_uuid(client): (count, in_cents(budget))
        for client, count, budget in await projects.annotate(count=Count("id"), budget_total=Sum("budget"))
        .group_by("client_id")
        .values_list("client_id", "count", "budget_total")
    }
    billed: dict[uuid.UUID, Decimal] = {}
    per_project = (
        await TimeEntry.filter(billable=True, task__project_id__in=Subquery(projects.values("id")))
        .using_db(db.long_reads())
        .annotate(minutes_total=Sum("minutes"))
        .group_by("task__project__client_id", "task__project_id", "task__project__hourly_rate")
        .values_list("task__project__client_id", "task__project__hourly_rate", "minutes_total")
    )
    for client, rate, minutes in per_project:
        amount = billed_amount(int(minutes or 0), in_cents(rate)) or Decimal("0.00")
        billed[as_uuid(client)] = billed.get(as_uuid(client), Decimal("0.00")) + amount
    zero = Decimal("0.00")
    return [
        FinancialSummary(
            project_count=totals.get(client, (0, None))[0],
            budget=totals.get(client, (0, None))[1] or zero,
            billed=billed.get(client, zero).quantize(CENT),
        )
        for client in client_ids
    ]


def report_query(viewer: Viewer, start: dt.date, end: dt.date, *, since: dt.date | None = None):
    """The viewer's time entries from `start` to `end`; from `since` instead of `start` when given
    (one lower bound only, so that the date index is walked from there)."""
    if end < start:
        raise BadUserInput("to must not be before from.", field="to")
    if (end - start).days > MAX_REPORT_DAYS:
        raise BadUserInput(f"A report covers at most {MAX_REPORT_DAYS} days.", field="to")
    visible = Subquery(Project.filter(policy.projects_visible(viewer)).values("id"))
    return TimeEntry.filter(task__project_id__in=visible, date__gte=since or start, date__lte=end).using_db(db.long_reads())




async def time_totals(viewer: Viewer, start: dt.date, end: dt.date) -> list[tuple[uuid.UUID, uuid.UUID, Decimal | None, int, int]]:
    """(project, person, hourly rate, minutes, billable minutes) of the viewer's entries."""
    query = report_query(viewer, start, end)
    totals = (
        await query.annotate(minutes_total=Sum("minutes"))
        .group_by("task__project_id", "user_id", "task__project__hourly_rate")
        .values_list("task__project_id", "user_id", "task__project__hourly_rate", "minutes_total")
    )
    billable = {
        (project_id, user_id): int(minutes or 0)
        for project_id, user_id, minutes in await query.filter(billable=True)
        .annotate(minutes_total=Sum("minutes"))
        .group_by("task__project_id", "user_id")
        .values_list("task__project_id", "user_id", "minutes_total")
    }
    return [
        (as_uuid(project_id), as_uuid(user_id), in_cents(rate), int(minutes or 0), billable.get((project_id, user_id), 0))
        for project_id, user_id, rate, minutes in totals
    ]


CSV_CHUNK_ROWS = 2000
CSV_COLUMNS = (
    "id", "date", "task__project__name", "user__name", "minutes", "billable", "task__project__hourly_rate", "note",
)


def entries_after(viewer: Viewer, start: dt.date, end: dt.date, last: tuple | None):
    """The viewer's entries after `last` (a row of `chunk`) in (date, id) order; the index on
    date is walked from the last date read, not from the report's start."""
    if last is None:
        return report_query(viewer, start, end)
    last_id, last_date = last[0], last[1]
    last_date = last_date if isinstance(last_date, dt.date) else dt.date.fromisoformat(last_date)
    return report_query(viewer, start, end, since=last_date).filter(Q(date__gt=last_date) | Q(id__gt=last_id))


async def chunk(query) -> list[tuple]:
    return await raw_rows(query.order_by("date", "id").limit(CSV_CHUNK_ROWS).values_list(*CSV_COLUMNS))
