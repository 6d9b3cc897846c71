"""When a group meets: repeating schedules, the dates they give, and how to say them.

Pure: no I/O and no clock; the caller says which moment to count from. A schedule is
kept as a wall-clock time in the group's own time zone, and dates are worked out on the
local calendar before anything becomes a UTC instant. That is what keeps a 19:00 group at
19:00 when the clocks change, instead of drifting to 18:00 or 20:00 for half the year.

Two nights a year the local clock is awkward, and the rule is the same for every group:

- When the clocks go forward, some times never happen (01:00 to 01:59 in the UK). A
  meeting set in that gap starts at the first moment after it: 01:30 becomes 02:00.
- When the clocks go back, some times happen twice (01:00 to 01:59 in the UK). A meeting
  set then starts the first time round, before the clocks go back.

A meeting always lasts its full number of minutes of real time, so one that spans a
change ends at a different wall-clock time from the usual one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekdays

RULES = {
    "weekly": "Every week",
    "every_2_weeks": "Every 2 weeks",
    "every_3_weeks": "Every 3 weeks",
    "every_4_weeks": "Every 4 weeks",
    "monthly_nth_weekday": "Once a month on a set day, such as the first Thursday",
    "one_off": "Once only",
}
WEEKS_APART = {"weekly": 1, "every_2_weeks": 2, "every_3_weeks": 3, "every_4_weeks": 4}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MINUTES_RANGE = (15, 480)
MONTHS_APART_MAX = 12
YEARS = (2000, 2100)
DEFAULT_TIMEZONE = "Europe/London"

# Far enough back to catch any meeting that starts after `after` once the clocks have moved,
# whatever the zone; anything too early is filtered out on the real instant.
_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class Schedule:
    """How a group meets.

    Weekly rules meet on `weekday` (0 = Monday) from `first_date`, or on `first_date`'s own
    weekday when `weekday` is None; their spacing is in the rule's name, so `interval`
    stays 1. A monthly rule meets on the `nth` `weekday` (nth 1 to 4, or -1 for the last)
    every `interval` months, counting months from `first_date`'s month. A one-off meets
    once, on `first_date`.
    """

    rule: str
    first_date: date
    local_start: time
    minutes: int
    timezone: str
    interval: int = 1
    weekday: int | None = None
    nth: int | None = None

    def __post_init__(self) -> None:
        problem = _problem_with(self)
        if problem:
            raise ValueError(problem)


def _problem_with(s: Schedule) -> str | None:
    # Guards code that builds a Schedule directly; people's typing goes through
    # validate_schedule, which explains itself field by field.
    if s.rule not in RULES:
        return f"Unknown rule {s.rule!r}."
    if not MINUTES_RANGE[0] <= s.minutes <= MINUTES_RANGE[1]:
        return f"A meeting lasts {MINUTES_RANGE[0]} to {MINUTES_RANGE[1]} minutes."
    if s.local_start.tzinfo is not None:
        return "local_start is a wall-clock time; the zone goes in timezone."
    if s.weekday is not None and not 0 <= s.weekday <= 6:
        return "weekday runs from 0 (Monday) to 6 (Sunday)."
    if s.rule == "monthly_nth_weekday":
        if s.weekday is None or s.nth not in NTH:
            return "A monthly rule needs a weekday and nth of 1 to 4, or -1 for the last."
        if not 1 <= s.interval <= MONTHS_APART_MAX:
            return f"A monthly rule repeats every 1 to {MONTHS_APART_MAX} months."
        return None
    if s.nth is not None:
        return "Only a monthly rule has an nth weekday."
    if s.interval != 1:
        return "Only a monthly rule has an interval; the weekly rules name their own spacing."
    if s.rule == "one_off" and s.weekday not in (None, s.first_date.weekday()):
        return "A one-off meeting's weekday is its date's weekday."
    return None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_schedule(raw: dict[str, str]) -> tuple[Schedule | None, dict[str, str]]:
    """Turn what a person typed into a schedule, or say what is wrong beside each field.

    Weekly rules take their weekday from the first date; only the monthly rule reads
    `weekday`, `nth` and (optionally) `interval`. An empty time zone means Europe/London.
    """
    errors: dict[str, str] = {}
    rule = raw.get("rule", "").strip()
    if rule not in RULES:
        errors["rule"] = "Choose how often the group meets."

    first_date = _parse_date(raw.get("first_date", ""))
    if isinstance(first_date, str):
        errors["first_date"] = first_date

    local_start = _parse_time(raw.get("local_start", ""))
    if local_start is None:
        errors["local_start"] = "Enter the start time on the 24-hour clock, like 19:00."

    minutes = _whole_number(raw.get("minutes", ""))
    if minutes is None or not MINUTES_RANGE[0] <= minutes <= MINUTES_RANGE[1]:
        errors["minutes"] = (
            f"Enter how long the meeting lasts in minutes, from {MINUTES_RANGE[0]} "
            f"to {MINUTES_RANGE[1]} (8 hours)."
        )

    timezone = raw.get("timezone", "").strip() or DEFAULT_TIMEZONE
    if timezone not in _zones():
        errors["timezone"] = "Choose a time zone from the list, such as Europe/London."

    weekday = nth = None
    interval = 1
    if rule == "monthly_nth_weekday":
        weekday = _whole_number(raw.get("weekday", ""))
        if weekday is None or not 0 <= weekday <= 6:
            errors["weekday"] = "Choose the day of the week the group meets."
        nth_text = raw.get("nth", "").strip()
        nth = int(nth_text) if nth_text in {"1", "2", "3", "4", "-1"} else None
        if nth is None:
            errors["nth"] = "Choose which one in the month: first, second, third, fourth or last."
        interval_text = raw.get("interval", "").strip()
        months = _whole_number(interval_text) if interval_text else 1
        if months is None or not 1 <= months <= MONTHS_APART_MAX:
            errors["interval"] = (
                f"Enter how many months apart the meetings are, from 1 to {MONTHS_APART_MAX}."
            )
        else:
            interval = months

    if errors:
        return None, errors
    assert isinstance(first_date, date) and local_start is not None and minutes is not None
    schedule = Schedule(
        rule=rule,
        first_date=first_date,
        local_start=local_start,
        minutes=minutes,
        timezone=timezone,
        interval=interval,
        weekday=weekday,
        nth=nth,
    )
    return schedule, {}


def _parse_date(text: str) -> date | str:
    text = text.strip()
    if not text:
        return "Enter the date of the first meeting, like 2027-01-31."
    # fromisoformat alone would also take week dates and compact forms nobody types.
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "Enter a date like 2027-01-31."
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return "That date doesn't exist. Enter a date like 2027-01-31."
    if not YEARS[0] <= day.year <= YEARS[1]:
        return f"Enter a date between {YEARS[0]} and {YEARS[1]}, like 2027-01-31."
    return day


def _parse_time(text: str) -> time | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _whole_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 6 else None


def occurrences(schedule: Schedule, after: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The next `count` meetings starting strictly after `after`, as (start, end) in UTC.

    Ends are exactly `schedule.minutes` of real time after starts. A one-off gives its one
    meeting, or nothing once it has started.
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be timezone-aware.")
    if count < 0:
        raise ValueError("count cannot be negative.")
    if count == 0:
        return []
    zone = ZoneInfo(schedule.timezone)
    length = timedelta(minutes=schedule.minutes)
    earliest = after.astimezone(zone).replace(tzinfo=None) - _SLACK
    found: list[tuple[datetime, datetime]] = []
    for wall in _wall_clock_starts(schedule, earliest):
        start = _instant(wall, zone)
        if start <= after:
            continue
        found.append((start, start + length))
        if len(found) == count:
            break
    return found


def _wall_clock_starts(schedule: Schedule, earliest: datetime) -> Iterator[datetime]:
    # Recurrence runs on naive local datetimes on purpose: rrule then steps calendar days,
    # so the wall-clock time is the same on every date whatever the offset does.
    if schedule.rule == "one_off":
        yield datetime.combine(schedule.first_date, schedule.local_start)
        return
    # rrule walks from its start, so start it at the last whole period before `earliest`
    # rather than at first_date: a group that has met for years costs no more to ask about.
    if schedule.rule == "monthly_nth_weekday":
        assert schedule.weekday is not None and schedule.nth is not None
        first = schedule.first_date
        months_on = (earliest.year - first.year) * 12 + earliest.month - first.month
        periods = max(0, months_on // schedule.interval)
        from_day = first if periods == 0 else _month_start(first, periods * schedule.interval)
        rule = rrule(
            MONTHLY,
            interval=schedule.interval,
            byweekday=weekdays[schedule.weekday](schedule.nth),
            dtstart=datetime.combine(from_day, schedule.local_start),
        )
    else:
        first = _first_meeting_day(schedule)
        period = timedelta(weeks=WEEKS_APART[schedule.rule])
        periods = max(0, (earliest.date() - first) // period)
        rule = rrule(
            WEEKLY,
            interval=WEEKS_APART[schedule.rule],
            dtstart=datetime.combine(first + periods * period, schedule.local_start),
        )
    yield from rule.xafter(earliest, inc=True)


def _month_start(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def _first_meeting_day(schedule: Schedule) -> date:
    # Starting the count on the first real meeting day, rather than letting rrule count
    # weeks from first_date, stops an every-2-weeks group skipping its first fortnight.
    if schedule.weekday is None:
        return schedule.first_date
    ahead = (schedule.weekday - schedule.first_date.weekday()) % 7
    return schedule.first_date + timedelta(days=ahead)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a local wall-clock time names, by the rules in the module docstring."""
    # fold=0 is the first of the two instants when the clocks go back.
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _local(first, zone) == wall:
        return first
    # The clocks skipped this time. For a skipped time fold=0 reads it with the offset
    # from before the jump and fold=1 with the offset after, which brackets the jump;
    # search the bracket for the first instant whose wall-clock time is past `wall`.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = 0, int((first - low).total_seconds())
    while lo < hi:
        mid = (lo + hi) // 2
        if _local(low + timedelta(seconds=mid), zone) > wall:
            hi = mid
        else:
            lo = mid + 1
    return low + timedelta(seconds=lo)


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def describe(schedule: Schedule) -> str:
    """The schedule in a sentence, e.g. "Monthly on the last Friday at 13:00"."""
    at = f"{schedule.local_start.hour:02d}:{schedule.local_start.minute:02d}"
    if schedule.rule == "one_off":
        day = schedule.first_date
        return (
            f"Once, on {WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} "
            f"{day.year} at {at}"
        )
    if schedule.rule == "monthly_nth_weekday":
        assert schedule.weekday is not None and schedule.nth is not None
        every = "Monthly" if schedule.interval == 1 else f"Every {schedule.interval} months"
        return f"{every} on the {NTH[schedule.nth]} {WEEKDAYS[schedule.weekday]} at {at}"
    weeks = WEEKS_APART[schedule.rule]
    every = "Every week" if weeks == 1 else f"Every {weeks} weeks"
    return f"{every} on {WEEKDAYS[_first_meeting_day(schedule).weekday()]} at {at}"
