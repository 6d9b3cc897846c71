"""What an insights page is asked about: a date range, a kind of group and one group.

Pure: "today" is passed in. Periods are whole days in UTC, and months and quarters are
calendar ones, so the same link always shows the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from app.domain.groups import KINDS, add_months

# Long enough for three years of history and a year on either side; a longer range would
# mostly be empty months.
MAX_DAYS = 5 * 366
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class InsightFilters:
    first_day: date
    last_day: date
    kind: str = ""
    group_id: int | None = None

    def query(self, **changes: str) -> str:
        """The filters as a query string, so a view can be shared or exported."""
        values = {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "kind": self.kind,
            "group": "" if self.group_id is None else str(self.group_id),
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})

    def starts(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=UTC)

    def stops(self, now: datetime) -> datetime:
        """The end of the period, never later than now: figures are about what happened."""
        end = datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=UTC)
        return min(end, now)

    def months(self) -> list[str]:
        """Every calendar month the period touches, as "YYYY-MM"."""
        month = self.first_day.replace(day=1)
        months = []
        while month <= self.last_day:
            months.append(month.strftime("%Y-%m"))
            month = add_months(month, 1)
        return months

    def quarters(self) -> list[str]:
        seen: list[str] = []
        for month in self.months():
            q = quarter_of(month)
            if q not in seen:
                seen.append(q)
        return seen

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, "")


def quarter_of(month: str) -> str:
    """ "2026-05" -> "2026-2", the same key the database queries produce."""
    year, number = month.split("-")
    return f"{year}-{(int(number) + 2) // 3}"


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def quarter_label(quarter: str) -> str:
    year, number = quarter.split("-")
    first = (int(number) - 1) * 3
    return f"{MONTH_NAMES[first]}\N{EN DASH}{MONTH_NAMES[first + 2]} {year}"


def default_filters(today: date) -> InsightFilters:
    """The last twelve calendar months, this one included."""
    return InsightFilters(first_day=add_months(today.replace(day=1), -11), last_day=today)


def parse_filters(
    values: Mapping[str, str], today: date, group_ids: set[int]
) -> tuple[InsightFilters, dict[str, str]]:
    """The filters asked for, or the defaults for any part that can't be used, with why.

    `group_ids` are the groups this person may filter by; any other number is an error
    that says no more than "choose a group from the list".
    """
    defaults = default_filters(today)
    errors: dict[str, str] = {}
    first = _day(values.get("from", ""), defaults.first_day, "from", errors)
    last = _day(values.get("to", ""), defaults.last_day, "to", errors)
    if "from" not in errors and "to" not in errors:
        if first > last:
            errors["to"] = "The end date must be on or after the start date."
        elif (last - first).days > MAX_DAYS:
            errors["to"] = "Choose a period of five years or less."
        elif first > today:
            errors["from"] = "Choose a start date on or before today."
    kind = values.get("kind", "")
    if kind and kind not in KINDS:
        errors["kind"] = "Choose a kind of group from the list."
        kind = ""
    group_id: int | None = None
    raw_group = values.get("group", "")
    if raw_group:
        if raw_group.isdigit() and int(raw_group) in group_ids:
            group_id = int(raw_group)
        else:
            errors["group"] = "Choose a group from the list."
    if errors:
        return (
            InsightFilters(
                first_day=defaults.first_day if {"from", "to"} & errors.keys() else first,
                last_day=defaults.last_day if {"from", "to"} & errors.keys() else last,
                kind=kind,
                group_id=group_id,
            ),
            errors,
        )
    return InsightFilters(first, last, kind, group_id), errors


def _day(raw: str, default: date, name: str, errors: dict[str, str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a date like 2026-04-30."
        return default
