"""Working-hours arithmetic: pure functions of moments and a workspace's calendar, no I/O.

A calendar has a time zone, one working interval per weekday (or none) and holidays. Every
moment in and out is an aware datetime; a working day's interval is read in the calendar's time
zone and measured in real elapsed time, so a day whose clocks change inside its working hours
is an hour shorter or longer, as the people working it live it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo


class Weekday(StrEnum):  # in the order of date.weekday()
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEKDAYS = tuple(Weekday)
# A calendar whose working time cannot cover a duration within this many days (say, every day a
# holiday) has no answer; the search stops here instead of running on.
SEARCH_DAYS = 3660


@dataclass(frozen=True)
class WorkingHours:
    start: dt.time
    end: dt.time


NINE_TO_FIVE = WorkingHours(dt.time(9), dt.time(17))


@dataclass(frozen=True)
class Calendar:
    """`hours[i]`: the working interval of weekday i (0 = Monday), None for a day off."""

    time_zone: str = "UTC"
    hours: tuple[WorkingHours | None, ...] = (NINE_TO_FIVE,) * 5 + (None, None)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    # Working intervals by local date, as they are asked for: a pass over many items asks for
    # the same few days again and again.
    _intervals: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def interval_of(self, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
        """The working interval of a local date as UTC moments, None if nobody works that day."""
        if day not in self._intervals:
            self._intervals[day] = self._interval(day, zone)
        return self._intervals[day]

    def _interval(self, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
        hours = self.hours[day.weekday()]
        if hours is None or day in self.holidays:
            return None
        start = dt.datetime.combine(day, hours.start, tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(day, hours.end, tzinfo=zone).astimezone(dt.UTC)
        return (start, end) if end > start else None


class NoWorkingTime(ValueError):
    """The calendar has no working time to spend the duration in."""


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("working-time arithmetic needs aware datetimes")
    return moment.astimezone(dt.UTC)


def add_working_time(start: dt.datetime, duration: dt.timedelta, calendar: Calendar) -> dt.datetime:
    """The moment `duration` of working time after `start` (in UTC). A start outside working
    hours counts from the next working interval; a zero duration is `start` itself."""
    start = _utc(start)
    if duration <= dt.timedelta(0):
        return start
    zone = calendar.zone
    left = duration
    day = start.astimezone(zone).date()
    for _ in range(SEARCH_DAYS):
        interval = calendar.interval_of(day, zone)
        if interval is not None and interval[1] > start:
            begin = max(interval[0], start)
            available = interval[1] - begin
            if left <= available:
                return begin + left
            left -= available
        day += dt.timedelta(days=1)
    raise NoWorkingTime(f"no working time within {SEARCH_DAYS} days")


def working_time_between(a: dt.datetime, b: dt.datetime, calendar: Calendar) -> dt.timedelta:
    """How much working time lies between `a` and `b`; nothing when `b` is not after `a`."""
    a, b = _utc(a), _utc(b)
    total = dt.timedelta(0)
    if b <= a:
        return total
    zone = calendar.zone
    day, last = a.astimezone(zone).date(), b.astimezone(zone).date()
    while day <= last:
        interval = calendar.interval_of(day, zone)
        if interval is not None:
            overlap = min(interval[1], b) - max(interval[0], a)
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total


def working_time_left(now: dt.datetime, due: dt.datetime, calendar: Calendar) -> dt.timedelta:
    """Working time from `now` until `due`; negative, by as much working time, once past it."""
    if now <= due:
        return working_time_between(now, due, calendar)
    return -working_time_between(due, now, calendar)
