"""Money and time figures, computed by SQL aggregates over the viewer's visible projects.

Amounts are exact decimals; billed = billable minutes / 60 × the project's hourly rate,
rounded half-up to the currency's minor unit (cents) once per project and person."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from clientela import policy
from clientela.core.errors import BadUserInput
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.core.sql import _branch_sql, _statement_context
from clientela.policy import Action, Viewer
from clientela.projects.models import Project
from clientela.tasks.models import TimeEntry

CENT = Decimal("0.01")
MAX_REPORT_DAYS = 366 * 5


def billed_amount(minutes: int, hourly_rate: Decimal | None) -> Decimal | None:
    if hourly_rate is None:
        return None
    return (Decimal(minutes) * hourly_rate / Decimal(60)).quantize(CENT, rounding=ROUND_HALF_UP)


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
        _uuid(client): (count, _decimal(budget))
        for client, count, budget in await projects.annotate(count=Count("id"), budget_total=Sum("budget"))
        .group_by("client_id")
        .values_list("client_id", "count", "budget_total")
    }
    billed: dict[uuid.UUID, Decimal] = {}
    per_project = (
        await TimeEntry.filter(billable=True, task__project_id__in=Subquery(projects.values("id")))
        .annotate(minutes_total=Sum("minutes"))
        .group_by("task__project__client_id", "task__project_id", "task__project__hourly_rate")
        .values_list("task__project__client_id", "task__project__hourly_rate", "minutes_total")
    )
    for client, rate, minutes in per_project:
        amount = billed_amount(int(minutes or 0), _decimal(rate)) or Decimal("0.00")
        billed[_uuid(client)] = billed.get(_uuid(client), Decimal("0.00")) + amount
    zero = Decimal("0.00")
    return [
        FinancialSummary(
            project_count=totals.get(client, (0, None))[0],
            budget=totals.get(client, (0, None))[1] or zero,
            billed=billed.get(client, zero).quantize(CENT),
        )
        for client in client_ids
    ]


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


@dataclass
class TimeReportRow:
    project_id: uuid.UUID
    user_id: uuid.UUID
    minutes: int
    billed: Decimal | None


def _report_query(viewer: Viewer, start: dt.date, end: dt.date, *, since: dt.date | None = None):
    """The viewer's time entries from `start` to `end`; from `since` instead of `start` when given
    (one lower bound only, so that the date index is walked from there)."""
    if end < start:
        raise BadUserInput("to must not be before from.", field="to")
    if (end - start).days > MAX_REPORT_DAYS:
        raise BadUserInput(f"A report covers at most {MAX_REPORT_DAYS} days.", field="to")
    visible = Subquery(Project.filter(policy.projects_visible(viewer)).values("id"))
    return TimeEntry.filter(task__project_id__in=visible, date__gte=since or start, date__lte=end)


async def time_report(viewer: Viewer, start: dt.date, end: dt.date) -> list[TimeReportRow]:
    """Minutes and billed amounts per project and person, both dates included."""
    await policy.require(viewer, Action.READ_REPORTS)
    query = _report_query(viewer, start, end)
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
    rows = [
        TimeReportRow(
            project_id=_uuid(project_id),
            user_id=_uuid(user_id),
            minutes=int(minutes or 0),
            billed=billed_amount(billable.get((project_id, user_id), 0), _decimal(rate)),
        )
        for project_id, user_id, rate, minutes in totals
    ]
    # Bounded like every unpaged list; the CSV export carries every entry.
    return sorted(rows, key=lambda r: (r.project_id, r.user_id))[:ROOT_LIST_LIMIT]


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# A spreadsheet opening the CSV runs a cell that starts with one of these as a formula
# (OWASP "CSV injection"): names and notes are the users' text, never formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str | None) -> str | None:
    """Text that a spreadsheet shows as text: a leading quote keeps it from being a formula."""
    return "'" + value if value and value.startswith(_FORMULA_STARTS) else value


CSV_CHUNK_ROWS = 2000
CSV_COLUMNS = (
    "id", "date", "task__project__name", "user__name", "minutes", "billable", "task__project__hourly_rate", "note",
)


async def time_entries_csv(viewer: Viewer, start: dt.date, end: dt.date) -> AsyncIterator[list[list]]:
    """The time entries behind the report, in (date, id) order: date, project, person, minutes,
    billable, billed, note; yielded in batches of rows. The first batch is the header alone
    (yielded after the permission and date checks); then the rows, read by keyset on (date, id)
    in chunks of CSV_CHUNK_ROWS, so that memory stays flat however long the report.

    Each chunk is one walk of the `time_entry(date)` index from the last date sent (its lower
    bound is that date itself, not the report's start, so no chunk re-reads what went before;
    only the entries of that one date are sorted by id). Rows come as the database gives them,
    without building models, and the next chunk is read while this one is written out."""
    await policy.require(viewer, Action.READ_REPORTS)
    first = _report_query(viewer, start, end)  # checks the dates
    yield [["date", "project", "person", "minutes", "billable", "billed", "note"]]

    def chunk_after(rows) -> asyncio.Task | None:
        if len(rows) < CSV_CHUNK_ROWS:
            return None
        last_id, last_date = rows[-1][0], rows[-1][1]
        last_date = last_date if isinstance(last_date, dt.date) else dt.date.fromisoformat(last_date)
        query = _report_query(viewer, start, end, since=last_date).filter(Q(date__gt=last_date) | Q(id__gt=last_id))
        return asyncio.ensure_future(_chunk(query))

    texts: dict[str | None, str | None] = {}  # project and person names, made spreadsheet-safe
    billed: dict[tuple, str] = {}  # (minutes, hourly rate) -> the billed amount's text
    following: asyncio.Task | None = None
    try:
        rows = await _chunk(first)
        while rows:
            following = chunk_after(rows)
            batch = []
            for _id, date, project, person, minutes, is_billable, rate, note in rows:
                if project not in texts:
                    texts[project] = spreadsheet_text(project)
                if person not in texts:
                    texts[person] = spreadsheet_text(person)
                amount = ""
                if is_billable:
                    amount = billed.get((minutes, rate))
                    if amount is None:
                        value = billed_amount(minutes, _decimal(rate))
                        amount = billed[(minutes, rate)] = "" if value is None else str(value)
                batch.append([date if isinstance(date, str) else date.isoformat(), texts[project], texts[person],
                              minutes, "yes" if is_billable else "no", amount,
                              "'" + note if note and note.startswith(_FORMULA_STARTS) else note])
            yield batch
            rows = await following if following else []
    finally:
        if following and not following.done():
            following.cancel()


async def _chunk(query) -> list[tuple]:
    return await _raw_rows(query.order_by("date", "id").limit(CSV_CHUNK_ROWS).values_list(*CSV_COLUMNS))


async def _raw_rows(query) -> list[tuple]:
    """The rows of a `values_list` query as the database driver gives them (no model conversion)."""
    ctx = _statement_context(query)
    _, rows = await query._db.execute_query(_branch_sql(query, ctx), ctx.parameterizer.values)
    return rows
