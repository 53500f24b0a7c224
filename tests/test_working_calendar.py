"""Working-hours arithmetic (targets/calendar.py): weekends, holidays, time zones and their
clock changes, starts outside working hours. Pure functions: no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clientela.targets.calendar import (
    Calendar,
    NoWorkingTime,
    WorkingHours,
    add_working_time,
    working_time_between,
    working_time_left,
)

H = dt.timedelta(hours=1)
UTC = dt.UTC
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = Calendar()  # Monday to Friday, 09:00-17:00 UTC


def at(day: str, clock: str, zone=UTC) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


# 2026-12-04 is a Friday.


def test_within_one_working_day():
    assert add_working_time(at("2026-12-03", "10:00"), 3 * H, OFFICE) == at("2026-12-03", "13:00")
    assert working_time_between(at("2026-12-03", "10:00"), at("2026-12-03", "13:00"), OFFICE) == 3 * H


def test_the_weekend_is_skipped():
    due = add_working_time(at("2026-12-04", "15:00"), 4 * H, OFFICE)
    assert due == at("2026-12-07", "11:00")  # 2 hours on Friday, 2 on Monday
    assert working_time_between(at("2026-12-04", "15:00"), due, OFFICE) == 4 * H
    assert working_time_between(at("2026-12-05", "08:00"), at("2026-12-06", "20:00"), OFFICE) == dt.timedelta(0)


def test_a_holiday_is_skipped():
    christmas = Calendar(holidays=frozenset({dt.date(2026, 12, 25)}))
    # Thursday 24th 16:00 + 3 h: 1 h on Thursday, Friday is a holiday, the weekend, 2 h on Monday.
    assert add_working_time(at("2026-12-24", "16:00"), 3 * H, christmas) == at("2026-12-28", "11:00")
    assert add_working_time(at("2026-12-24", "16:00"), 3 * H, OFFICE) == at("2026-12-25", "11:00")
    assert working_time_between(at("2026-12-24", "00:00"), at("2026-12-29", "00:00"), christmas) == 16 * H


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (at("2026-12-03", "06:30"), at("2026-12-03", "11:00")),  # before opening: counts from 09:00
        (at("2026-12-03", "17:00"), at("2026-12-04", "11:00")),  # at closing: the next morning
        (at("2026-12-03", "22:15"), at("2026-12-04", "11:00")),  # at night
        (at("2026-12-05", "12:00"), at("2026-12-07", "11:00")),  # on Saturday: Monday
    ],
)
def test_a_start_outside_working_hours_counts_from_the_next_interval(start, due):
    assert add_working_time(start, 2 * H, OFFICE) == due
    assert working_time_between(start, due, OFFICE) == 2 * H


def test_hours_are_read_in_the_calendar_time_zone():
    madrid = Calendar(time_zone="Europe/Madrid")
    # 16:00 in Madrid (UTC+1 in December) is 15:00 UTC; 2 h: one today, one on Monday at 10:00.
    due = add_working_time(at("2026-12-04", "15:00"), 2 * H, madrid)
    assert due == at("2026-12-07", "10:00", MADRID)
    assert working_time_between(at("2026-12-04", "15:00"), due, madrid) == 2 * H


def test_a_clock_change_overnight_keeps_the_local_working_hours():
    new_york = Calendar(time_zone="America/New_York")
    # Clocks go forward on Sunday 2027-03-14: Friday 16:00 EST + 3 h is Monday 11:00 EDT.
    due = add_working_time(at("2027-03-12", "16:00", NEW_YORK), 3 * H, new_york)
    assert due == at("2027-03-15", "11:00", NEW_YORK)
    assert due.astimezone(UTC) == at("2027-03-15", "15:00")  # 21:00 UTC before the change
    assert working_time_between(at("2027-03-12", "16:00", NEW_YORK), due, new_york) == 3 * H


def test_a_clock_change_inside_working_hours_shortens_that_day():
    night_shift = Calendar(time_zone="Europe/Madrid", hours=(None,) * 6 + (WorkingHours(dt.time(0), dt.time(6)),))
    # 2027-03-28, Sunday: Madrid's clocks jump from 02:00 to 03:00, so 00:00-06:00 is 5 hours.
    day_start, day_end = at("2027-03-28", "00:00", MADRID), at("2027-03-28", "06:00", MADRID)
    assert working_time_between(day_start, day_end, night_shift) == 5 * H
    assert add_working_time(day_start, 5 * H, night_shift) == day_end
    assert add_working_time(day_start, 6 * H, night_shift) == at("2027-04-04", "01:00", MADRID)
    # and back in October: 2027-10-31 has 7 hours between 00:00 and 06:00.
    assert working_time_between(at("2027-10-31", "00:00", MADRID), at("2027-10-31", "06:00", MADRID), night_shift) == 7 * H


def test_custom_days_and_hours():
    sunday_to_thursday = Calendar(
        hours=(WorkingHours(dt.time(8), dt.time(12)),) * 4 + (None, None, WorkingHours(dt.time(8), dt.time(12)))
    )
    # Thursday 11:00 + 2 h: one on Thursday, then Sunday 08:00-09:00.
    assert add_working_time(at("2026-12-03", "11:00"), 2 * H, sunday_to_thursday) == at("2026-12-06", "09:00")


def test_long_durations_span_weeks():
    assert add_working_time(at("2026-12-07", "09:00"), 80 * H, OFFICE) == at("2026-12-18", "17:00")
    assert working_time_between(at("2026-12-07", "00:00"), at("2026-12-19", "00:00"), OFFICE) == 80 * H


def test_time_left_is_negative_past_the_due_moment():
    due = at("2026-12-04", "16:00")
    assert working_time_left(at("2026-12-04", "15:00"), due, OFFICE) == H
    assert working_time_left(at("2026-12-07", "10:00"), due, OFFICE) == -2 * H


def test_zero_and_backwards():
    start = at("2026-12-05", "12:00")
    assert add_working_time(start, dt.timedelta(0), OFFICE) == start
    assert working_time_between(at("2026-12-04", "12:00"), at("2026-12-03", "12:00"), OFFICE) == dt.timedelta(0)


def test_a_calendar_without_working_days_has_no_due_moment():
    with pytest.raises(NoWorkingTime):
        add_working_time(at("2026-12-04", "12:00"), H, Calendar(hours=(None,) * 7))


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        add_working_time(dt.datetime(2026, 12, 4, 12), H, OFFICE)


def test_adding_and_measuring_agree_everywhere():
    """Property: the working time between a start and its due moment is what was added."""
    madrid = Calendar(time_zone="Europe/Madrid", holidays=frozenset({dt.date(2027, 3, 29)}))
    start = at("2027-03-20", "07:00")
    for minutes in range(0, 60 * 60, 37):
        due = add_working_time(start, dt.timedelta(minutes=minutes), madrid)
        assert working_time_between(start, due, madrid) == dt.timedelta(minutes=minutes)
