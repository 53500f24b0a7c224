"""Money and time figures over the viewer's visible projects (reports/repository.py reads them).

Amounts are exact decimals; billed = billable minutes / 60 × the project's hourly rate,
rounded half-up to the currency's minor unit (cents) once per project and person."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

from clientela import policy
from clientela.core.money import billed_amount, in_cents
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.policy import Action, Viewer
from clientela.reports import repository


@dataclass
class TimeReportRow:
    project_id: uuid.UUID
    user_id: uuid.UUID
    minutes: int
    billed: Decimal | None


@dataclass
class TimeReport:
    rows: list[TimeReportRow]  # the first ROOT_LIST_LIMIT, by project and person
    total_minutes: int  # of every row, shown or not


async def time_report(viewer: Viewer, start: dt.date, end: dt.date) -> TimeReport:
    """Minutes and billed amounts per project and person, both dates included."""
    policy.require(viewer, Action.READ_REPORTS)
    rows = [
        TimeReportRow(project_id=project_id, user_id=user_id, minutes=minutes, billed=billed_amount(billable, rate))
        for project_id, user_id, rate, minutes, billable in await repository.time_totals(viewer, start, end)
    ]
    # Bounded like every unpaged list; the CSV export carries every entry.
    shown = sorted(rows, key=lambda r: (r.project_id, r.user_id))[:ROOT_LIST_LIMIT]
    return TimeReport(rows=shown, total_minutes=sum(row.minutes for row in rows))


# A spreadsheet opening the CSV runs a cell that starts with one of these as a formula
# (OWASP "CSV injection"): names and notes are the users' text, never formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str | None) -> str | None:
    """Text that a spreadsheet shows as text: a leading quote keeps it from being a formula."""
    return "'" + value if value and value.startswith(_FORMULA_STARTS) else value


# Rows made into CSV cells at a time: between two batches the service answers other requests.
CSV_BATCH_ROWS = 250


async def time_entries_csv(viewer: Viewer, start: dt.date, end: dt.date) -> AsyncIterator[list[list]]:
    """The time entries behind the report, in (date, id) order: date, project, person, minutes,
    billable, billed, note; yielded in batches of rows. The first batch is the header alone
    (yielded after the permission and date checks); then the rows, read by keyset on (date, id)
    in chunks of repository.CSV_CHUNK_ROWS (repository.entries_after), yielded CSV_BATCH_ROWS at a time,
    so that memory stays flat however long the report and other requests run between two
    batches. The next chunk is read while this one is written out."""
    policy.require(viewer, Action.READ_REPORTS)
    first = repository.entries_after(viewer, start, end, None)  # checks the dates
    yield [["date", "project", "person", "minutes", "billable", "billed", "note"]]

    def chunk_after(rows) -> asyncio.Task | None:
        if len(rows) < repository.CSV_CHUNK_ROWS:
            return None
        return asyncio.ensure_future(repository.chunk(repository.entries_after(viewer, start, end, rows[-1])))

    texts: dict[str | None, str | None] = {}  # project and person names, made spreadsheet-safe
    billed: dict[tuple, str] = {}  # (minutes, hourly rate) -> the billed amount's text
    following: asyncio.Task | None = None
    try:
        rows = await repository.chunk(first)
        while rows:
            following = chunk_after(rows)
            for start_at in range(0, len(rows), CSV_BATCH_ROWS):
                yield _csv_rows(rows[start_at : start_at + CSV_BATCH_ROWS], texts, billed)
            rows = await following if following else []
    finally:
        if following and not following.done():
            following.cancel()


def _csv_rows(rows: list[tuple], texts: dict, billed: dict) -> list[list]:
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
                value = billed_amount(minutes, in_cents(rate))
                amount = billed[(minutes, rate)] = "" if value is None else str(value)
        batch.append([date if isinstance(date, str) else date.isoformat(), texts[project], texts[person],
                      minutes, "yes" if is_billable else "no", amount, spreadsheet_text(note)])
    return batch
