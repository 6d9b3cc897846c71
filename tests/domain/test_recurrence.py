from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import recurrence
from app.domain.recurrence import Schedule, describe, occurrences, validate_schedule

LONDON = ZoneInfo("Europe/London")
# Zones whose clocks move at other hours, by other amounts (Lord Howe by half an hour),
# or in the other half of the year.
AWKWARD_ZONES = [
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(first: date, at: time, minutes: int = 60, rule: str = "weekly") -> Schedule:
    return Schedule(rule, first, at, minutes, "Europe/London")


any_time = st.builds(time, st.integers(0, 23), st.integers(0, 59))
# In the UK every clock change happens between 01:00 and 02:00 local time.
clear_of_changes = st.builds(time, st.integers(0, 23).filter(lambda h: h != 1), st.integers(0, 59))
london_only = st.just("Europe/London")
any_rule = st.sampled_from(sorted(recurrence.RULES))
afters = st.datetimes(datetime(2025, 12, 1), datetime(2030, 12, 31), timezones=st.just(UTC))
# Built once: strategies made inside a composite are rebuilt and revalidated on every draw.
_first_dates = st.dates(date(2026, 1, 1), date(2030, 12, 31))
_lengths = st.integers(*recurrence.MINUTES_RANGE)
_weekdays = st.integers(0, 6)
_maybe_weekday = st.none() | _weekdays
_months_apart = st.integers(1, 3)
_nths = st.sampled_from([1, 2, 3, 4, -1])


@st.composite
def schedules(
    draw: st.DrawFn,
    times: st.SearchStrategy[time] = clear_of_changes,
    zones: st.SearchStrategy[str] = london_only,
    rules: st.SearchStrategy[str] = any_rule,
) -> Schedule:
    rule = draw(rules)
    monthly = rule == "monthly_nth_weekday"
    if monthly:
        weekday: int | None = draw(_weekdays)
    elif rule == "one_off":
        weekday = None
    else:
        weekday = draw(_maybe_weekday)
    return Schedule(
        rule=rule,
        first_date=draw(_first_dates),
        local_start=draw(times),
        minutes=draw(_lengths),
        timezone=draw(zones),
        interval=draw(_months_apart) if monthly else 1,
        weekday=weekday,
        nth=draw(_nths) if monthly else None,
    )


def local_starts(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    zone = ZoneInfo(schedule.timezone)
    return [start.astimezone(zone) for start, _ in occurrences(schedule, after, count)]


# Properties


@settings(max_examples=500, deadline=None)
@given(schedules(), afters, st.integers(1, 12))
def test_every_meeting_starts_at_its_local_time_whatever_the_clocks_are_doing(
    schedule: Schedule, after: datetime, count: int
) -> None:
    for start in local_starts(schedule, after, count):
        assert start.time() == schedule.local_start


@settings(max_examples=500, deadline=None)
@given(schedules(times=any_time, zones=st.sampled_from(AWKWARD_ZONES)), afters, st.integers(1, 8))
def test_a_time_the_clocks_skip_moves_to_the_moment_they_change_and_a_repeated_one_comes_first(
    schedule: Schedule, after: datetime, count: int
) -> None:
    zone = ZoneInfo(schedule.timezone)
    for start in local_starts(schedule, after, count):
        assert start.fold == 0
        if start.time() == schedule.local_start:
            continue
        wanted = datetime.combine(start.date(), schedule.local_start)
        read_back = wanted.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
        assert read_back.replace(tzinfo=None) != wanted, "only a skipped time may move"
        assert start.replace(tzinfo=None) > wanted
        # Arithmetic on a zoned datetime is wall-clock arithmetic; step back in real time.
        a_second_earlier = (start.astimezone(UTC) - timedelta(seconds=1)).astimezone(zone)
        assert a_second_earlier.replace(tzinfo=None) < wanted


@settings(max_examples=500, deadline=None)
@given(
    schedules(rules=st.sampled_from(sorted(recurrence.WEEKS_APART))),
    afters,
    st.integers(2, 12),
)
def test_weekly_meetings_are_exactly_their_number_of_weeks_apart_on_the_local_calendar(
    schedule: Schedule, after: datetime, count: int
) -> None:
    days = [start.date() for start in local_starts(schedule, after, count)]
    gap = timedelta(weeks=recurrence.WEEKS_APART[schedule.rule])
    assert all(later - earlier == gap for earlier, later in pairwise(days))
    expected_weekday = (
        schedule.first_date.weekday() if schedule.weekday is None else schedule.weekday
    )
    assert {day.weekday() for day in days} == {expected_weekday}


@settings(max_examples=500, deadline=None)
@given(
    schedules(rules=st.just("monthly_nth_weekday")),
    afters,
    st.integers(1, 12),
)
def test_a_monthly_meeting_lands_on_the_right_weekday_in_the_right_week(
    schedule: Schedule, after: datetime, count: int
) -> None:
    days = [start.date() for start in local_starts(schedule, after, count)]
    assert len(days) == count
    for day in days:
        assert day.weekday() == schedule.weekday
        if schedule.nth == -1:
            assert day.day > calendar.monthrange(day.year, day.month)[1] - 7
        else:
            assert (day.day - 1) // 7 == schedule.nth - 1  # type: ignore[operator]
    months = [day.year * 12 + day.month for day in days]
    assert all(b - a == schedule.interval for a, b in pairwise(months))


@settings(max_examples=500, deadline=None)
@given(schedules(times=any_time, zones=st.sampled_from(AWKWARD_ZONES)), afters, st.integers(1, 12))
def test_every_meeting_lasts_exactly_its_minutes_of_real_time(
    schedule: Schedule, after: datetime, count: int
) -> None:
    for start, end in occurrences(schedule, after, count):
        assert end - start == timedelta(minutes=schedule.minutes)
        assert start.tzinfo is UTC and end.tzinfo is UTC


@settings(max_examples=500, deadline=None)
@given(schedules(times=any_time), afters, st.integers(0, 12))
def test_meetings_come_in_order_all_after_the_moment_asked_about_and_the_same_every_time(
    schedule: Schedule, after: datetime, count: int
) -> None:
    found = occurrences(schedule, after, count)
    starts = [start for start, _ in found]
    assert starts == sorted(set(starts))
    assert all(start > after for start in starts)
    assert found == occurrences(schedule, after, count)
    if schedule.rule == "one_off":
        assert len(found) <= 1
    else:
        assert len(found) == count
    assert all(s.astimezone(LONDON).date() >= schedule.first_date for s in starts)


@settings(max_examples=500, deadline=None)
@given(schedules(times=any_time), afters, st.integers(2, 12), st.data())
def test_asking_again_from_any_meeting_carries_on_the_same_series(
    schedule: Schedule, after: datetime, count: int, data: st.DataObject
) -> None:
    found = occurrences(schedule, after, count)
    if len(found) < 2:
        return
    cut = data.draw(st.integers(1, len(found) - 1))
    assert found[cut:] == occurrences(schedule, found[cut - 1][0], count - cut)


@settings(max_examples=500, deadline=None)
@given(schedules(), afters, st.integers(1, 6))
def test_meetings_match_a_plain_walk_through_the_calendar_from_the_first_date(
    schedule: Schedule, after: datetime, count: int
) -> None:
    expected = []
    for day in _calendar_walk(schedule):
        start = datetime.combine(day, schedule.local_start, tzinfo=LONDON).astimezone(UTC)
        if start > after:
            expected.append((start, start + timedelta(minutes=schedule.minutes)))
        if len(expected) == count:
            break
    assert occurrences(schedule, after, count) == expected


def _calendar_walk(schedule: Schedule) -> Iterator[date]:
    """Every meeting day from the first, found the slow and obvious way."""
    day = schedule.first_date
    if schedule.rule == "one_off":
        yield day
        return
    if schedule.rule in recurrence.WEEKS_APART:
        while schedule.weekday is not None and day.weekday() != schedule.weekday:
            day += timedelta(days=1)
        while True:
            yield day
            day += timedelta(weeks=recurrence.WEEKS_APART[schedule.rule])
    year, month = day.year, day.month
    while True:
        in_month = [
            d
            for d in (date(year, month, n) for n in range(1, 32) if n <= _days_in(year, month))
            if d.weekday() == schedule.weekday
        ]
        assert schedule.nth is not None
        chosen = in_month[-1] if schedule.nth == -1 else in_month[schedule.nth - 1]
        if chosen >= schedule.first_date:
            yield chosen
        month += schedule.interval
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


# The 2027 clock changes: forward on Sunday 28 March, back on Sunday 31 October.


def test_a_sunday_morning_group_keeps_its_10_oclock_start_when_the_clocks_go_forward() -> None:
    schedule = weekly(date(2027, 3, 14), time(10, 0))
    starts = [start for start, _ in occurrences(schedule, utc(2027, 3, 1), 4)]
    assert starts == [
        utc(2027, 3, 14, 10),
        utc(2027, 3, 21, 10),
        utc(2027, 3, 28, 9),
        utc(2027, 4, 4, 9),
    ]


def test_an_evening_group_keeps_its_19_00_start_when_the_clocks_go_back() -> None:
    schedule = weekly(date(2027, 10, 24), time(19, 0))
    starts = [start for start, _ in occurrences(schedule, utc(2027, 10, 1), 2)]
    assert starts == [utc(2027, 10, 24, 18), utc(2027, 10, 31, 19)]


def test_a_start_time_the_clocks_skip_moves_forward_to_02_00() -> None:
    schedule = weekly(date(2027, 3, 21), time(1, 30))
    found = occurrences(schedule, utc(2027, 3, 1), 3)
    assert [start for start, _ in found] == [
        utc(2027, 3, 21, 1, 30),
        utc(2027, 3, 28, 1, 0),
        utc(2027, 4, 4, 0, 30),
    ]
    start, end = found[1]
    assert start.astimezone(LONDON).time() == time(2, 0)
    assert end - start == timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "day", "wanted", "starts"),
    [
        ("Europe/London", date(2027, 3, 28), time(1, 30), time(2, 0)),
        ("America/New_York", date(2027, 3, 14), time(2, 30), time(3, 0)),
        # Lord Howe Island moves its clocks by half an hour, Chatham at 02:45.
        ("Australia/Lord_Howe", date(2027, 10, 3), time(2, 15), time(2, 30)),
        ("Pacific/Chatham", date(2027, 9, 26), time(3, 0), time(3, 45)),
    ],
)
def test_a_start_time_the_clocks_skip_moves_to_when_they_change_wherever_the_group_is(
    zone: str, day: date, wanted: time, starts: time
) -> None:
    schedule = Schedule("one_off", day, wanted, 60, zone)
    [(start, _)] = occurrences(schedule, utc(2027, 1, 1), 1)
    local = start.astimezone(ZoneInfo(zone))
    assert (local.date(), local.time()) == (day, starts)
    just_before = (start - timedelta(seconds=1)).astimezone(ZoneInfo(zone))
    assert just_before.time() < wanted


def test_a_start_time_that_happens_twice_takes_the_first_one() -> None:
    schedule = weekly(date(2027, 10, 31), time(1, 30))
    [(start, end)] = occurrences(schedule, utc(2027, 10, 1), 1)
    assert start == utc(2027, 10, 31, 0, 30)
    assert start.astimezone(LONDON).strftime("%H:%M %Z") == "01:30 BST"
    # An hour of real time later the clocks read 01:30 again.
    assert end.astimezone(LONDON).strftime("%H:%M %Z") == "01:30 GMT"


def test_a_meeting_across_the_change_lasts_its_real_length_not_its_wall_clock_length() -> None:
    schedule = weekly(date(2027, 10, 31), time(0, 30), minutes=90)
    [(start, end)] = occurrences(schedule, utc(2027, 10, 1), 1)
    assert (start, end) == (utc(2027, 10, 30, 23, 30), utc(2027, 10, 31, 1, 0))
    assert end.astimezone(LONDON).time() == time(1, 0)


def test_the_last_friday_of_the_month_follows_the_uk_clock_through_march() -> None:
    schedule = Schedule(
        "monthly_nth_weekday", date(2027, 1, 1), time(13, 0), 60, "Europe/London", weekday=4, nth=-1
    )
    starts = [start for start, _ in occurrences(schedule, utc(2027, 1, 1), 4)]
    assert starts == [
        utc(2027, 1, 29, 13),
        utc(2027, 2, 26, 13),
        utc(2027, 3, 26, 13),
        utc(2027, 4, 30, 12),
    ]


def test_an_every_2_weeks_group_first_meets_on_the_first_chosen_weekday() -> None:
    # 1 January 2027 is a Friday; the group meets on Tuesdays.
    schedule = Schedule(
        "every_2_weeks", date(2027, 1, 1), time(19, 0), 90, "Europe/London", weekday=1
    )
    starts = [start for start, _ in occurrences(schedule, utc(2026, 12, 1), 3)]
    assert [s.date() for s in starts] == [date(2027, 1, 5), date(2027, 1, 19), date(2027, 2, 2)]


def test_a_one_off_meeting_happens_once_and_not_after_it_has_started() -> None:
    schedule = Schedule("one_off", date(2027, 1, 5), time(14, 0), 60, "Europe/London")
    assert occurrences(schedule, utc(2027, 1, 1), 5) == [(utc(2027, 1, 5, 14), utc(2027, 1, 5, 15))]
    assert occurrences(schedule, utc(2027, 1, 5, 14), 5) == []


def test_counting_from_a_moment_with_no_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(weekly(date(2027, 1, 5), time(19, 0)), datetime(2027, 1, 1), 1)


# Describing


@pytest.mark.parametrize(
    ("schedule", "sentence"),
    [
        (
            Schedule("every_2_weeks", date(2027, 1, 5), time(19, 0), 60, "Europe/London"),
            "Every 2 weeks on Tuesday at 19:00",
        ),
        (
            Schedule("weekly", date(2027, 1, 5), time(9, 5), 60, "Europe/London"),
            "Every week on Tuesday at 09:05",
        ),
        (
            Schedule(
                "monthly_nth_weekday",
                date(2027, 1, 1),
                time(10, 30),
                60,
                "Europe/London",
                weekday=3,
                nth=1,
            ),
            "Monthly on the first Thursday at 10:30",
        ),
        (
            Schedule(
                "monthly_nth_weekday",
                date(2027, 1, 1),
                time(13, 0),
                60,
                "Europe/London",
                weekday=4,
                nth=-1,
            ),
            "Monthly on the last Friday at 13:00",
        ),
        (
            Schedule(
                "monthly_nth_weekday",
                date(2027, 1, 1),
                time(13, 0),
                60,
                "Europe/London",
                interval=3,
                weekday=0,
                nth=2,
            ),
            "Every 3 months on the second Monday at 13:00",
        ),
        (
            Schedule("one_off", date(2027, 1, 5), time(14, 0), 60, "Europe/London"),
            "Once, on Tuesday 5 January 2027 at 14:00",
        ),
    ],
)
def test_a_schedule_reads_as_a_sentence(schedule: Schedule, sentence: str) -> None:
    assert describe(schedule) == sentence


# Validating what people type


def test_a_well_filled_form_gives_a_schedule() -> None:
    schedule, errors = validate_schedule(
        {
            "rule": "monthly_nth_weekday",
            "first_date": "2027-01-01",
            "local_start": "10:30",
            "minutes": "90",
            "timezone": "Europe/London",
            "weekday": "3",
            "nth": "-1",
        }
    )
    assert errors == {}
    assert schedule == Schedule(
        "monthly_nth_weekday",
        date(2027, 1, 1),
        time(10, 30),
        90,
        "Europe/London",
        weekday=3,
        nth=-1,
    )


def test_a_weekly_schedule_takes_its_day_from_the_first_date_and_london_by_default() -> None:
    schedule, errors = validate_schedule(
        {
            "rule": "weekly",
            "first_date": "2027-01-05",
            "local_start": "19:00",
            "minutes": "60",
            "weekday": "6",
            "nth": "2",
        }
    )
    assert errors == {}
    assert schedule is not None
    assert (schedule.timezone, schedule.weekday, schedule.nth) == ("Europe/London", None, None)
    assert describe(schedule) == "Every week on Tuesday at 19:00"


def test_every_bad_field_is_explained_at_once() -> None:
    schedule, errors = validate_schedule(
        {
            "rule": "monthly_nth_weekday",
            "first_date": "31/01/2027",
            "local_start": "7pm",
            "minutes": "10",
            "timezone": "Europe/Londres",
            "weekday": "Thursday",
            "nth": "5",
            "interval": "0",
        }
    )
    assert schedule is None
    assert set(errors) == {
        "first_date",
        "local_start",
        "minutes",
        "timezone",
        "weekday",
        "nth",
        "interval",
    }
    assert errors["timezone"] == "Choose a time zone from the list, such as Europe/London."
    assert errors["local_start"] == "Enter the start time on the 24-hour clock, like 19:00."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rule", "fortnightly"),
        ("first_date", ""),
        ("first_date", "2027-02-30"),
        ("first_date", "1027-01-05"),
        ("local_start", "24:00"),
        ("local_start", "19:60"),
        ("minutes", "14"),
        ("minutes", "481"),
        ("minutes", "-30"),
        ("timezone", "../../etc/passwd"),
    ],
)
def test_a_value_out_of_bounds_is_refused_beside_its_field(field: str, value: str) -> None:
    raw = {"rule": "weekly", "first_date": "2027-01-05", "local_start": "19:00", "minutes": "60"}
    schedule, errors = validate_schedule({**raw, field: value})
    assert schedule is None
    assert list(errors) == [field]


def test_the_limits_of_a_meetings_length_are_allowed() -> None:
    raw = {"rule": "one_off", "first_date": "2027-01-05", "local_start": "00:00"}
    for minutes in ("15", "480"):
        assert validate_schedule({**raw, "minutes": minutes})[1] == {}


def test_a_schedule_built_in_code_cannot_contradict_itself() -> None:
    with pytest.raises(ValueError, match="weekly rules name their own spacing"):
        Schedule("every_2_weeks", date(2027, 1, 5), time(19, 0), 60, "Europe/London", interval=2)
    with pytest.raises(ValueError, match="monthly rule needs"):
        Schedule("monthly_nth_weekday", date(2027, 1, 5), time(19, 0), 60, "Europe/London")
    with pytest.raises(ValueError, match="Unknown rule"):
        Schedule("daily", date(2027, 1, 5), time(19, 0), 60, "Europe/London")
