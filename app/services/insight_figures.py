"""The raw numbers behind the insights pages, aggregated in the database.

Every function is one statement whatever the amount of data, and returns counts only:
never a name, a note or a post. The caller decides what may be shown (app/domain/disclosure).

Each query covers meetings in [start, stop) in the groups the scope allows. Statements are
hand-written because they group by month, quarter and kind, which the query builder can't
express on both databases; values are always parameters, and only the fixed fragments
below are formatted into the text.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from app.db.tables import Meeting


@dataclass(frozen=True)
class Scope:
    """Which groups the figures cover.

    Organisers see listed groups that anyone may ask to join, optionally narrowed to a
    kind or a group; a private group's existence reaches only its members. A convenor's
    view is one group, whatever its visibility.
    """

    group_id: int | None = None
    kind: str = ""
    one_group: bool = False

    def where(self) -> tuple[str, list[Any]]:
        if self.one_group:
            return "g.id = {}", [self.group_id]
        clauses = ["g.visibility = 'listed'", "g.join_policy <> 'invitation'"]
        args: list[Any] = []
        if self.kind:
            clauses.append("g.kind = {}")
            args.append(self.kind)
        if self.group_id is not None:
            clauses.append("g.id = {}")
            args.append(self.group_id)
        return " AND ".join(clauses), args


@dataclass(frozen=True)
class Period:
    start: datetime
    stop: datetime


def _sqlite() -> bool:
    return isinstance(Meeting._meta.db, SQLiteEngine)


def _month(column: str) -> str:
    # Stored in UTC on both: SQLite keeps "YYYY-MM-DD HH:MM:SS+00:00" text.
    if _sqlite():
        return f"substr({column}, 1, 7)"
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


def _quarter(column: str) -> str:
    if _sqlite():
        return (
            f"(substr({column}, 1, 4) || '-' || "
            f"((CAST(substr({column}, 6, 2) AS INTEGER) + 2) / 3))"
        )
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-Q')"


# Meetings that happened: not cancelled, and already started.
_HELD = "m.status <> 'cancelled' AND m.starts_at >= {} AND m.starts_at < {}"
_RECORDED = _HELD + " AND m.attendance_recorded"


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await Meeting.raw(sql, *args))


def _scoped(scope: Scope, period: Period, condition: str) -> tuple[str, list[Any]]:
    where, args = scope.where()
    return f"{condition} AND {where}", [period.start, period.stop, *args]


def _int(value: Any) -> int:
    return int(value or 0)


# Groups.


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    kind: str


async def groups_in(scope: Scope) -> list[GroupRow]:
    """The groups a scope covers, for row labels and the filter's choices."""
    where, args = scope.where()
    rows = await _rows(
        f"SELECT g.id AS id, g.name AS name, g.kind AS kind FROM rt_group g WHERE {where} "  # noqa: S608
        "ORDER BY g.kind, g.name, g.id",
        *args,
    )
    return [GroupRow(int(r["id"]), str(r["name"]), str(r["kind"])) for r in rows]


# Participation.


@dataclass
class Participation:
    """Counts by group and month; distinct people by group, month, kind and overall."""

    held: dict[tuple[int, str], int] = field(default_factory=dict)
    cancelled: dict[tuple[int, str], int] = field(default_factory=dict)
    recorded: dict[tuple[int, str], int] = field(default_factory=dict)
    attendances: dict[tuple[int, str], int] = field(default_factory=dict)
    expected: dict[tuple[int, str], int] = field(default_factory=dict)
    # Distinct attendees, keyed by group id, by month, by kind, and None for everyone.
    attendees: dict[int | str | None, int] = field(default_factory=dict)
    attendees_by_month: dict[str, int] = field(default_factory=dict)


async def participation(scope: Scope, period: Period) -> Participation:
    out = Participation()
    month = _month("m.starts_at")
    every, every_args = _scoped(scope, period, "m.starts_at >= {} AND m.starts_at < {}")
    where, args = _scoped(scope, period, _RECORDED)
    attended = (
        "FROM rt_attendance a JOIN rt_meeting m ON m.id = a.meeting "
        f'JOIN rt_group g ON g.id = m."group" WHERE {where}'
    )
    distinct = 'COUNT(DISTINCT a."user") AS n'
    # Independent reads, run at once so they overlap in the database.
    meetings, came, could, by_group, by_kind, by_month, total = await asyncio.gather(
        _rows(
            f'SELECT m."group" AS gid, {month} AS month, '  # noqa: S608
            "SUM(CASE WHEN m.status = 'cancelled' THEN 0 ELSE 1 END) AS held, "
            "SUM(CASE WHEN m.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled, "
            "SUM(CASE WHEN m.status <> 'cancelled' AND m.attendance_recorded "
            "THEN 1 ELSE 0 END) AS recorded "
            'FROM rt_meeting m JOIN rt_group g ON g.id = m."group" '
            f'WHERE {every} GROUP BY m."group", {month}',
            *every_args,
        ),
        _rows(
            f'SELECT m."group" AS gid, {month} AS month, COUNT(*) AS n '
            f'{attended} GROUP BY m."group", {month}',
            *args,
        ),
        # Who could have come: everyone who was a member when the meeting started.
        _rows(
            f'SELECT m."group" AS gid, {month} AS month, COUNT(*) AS n '  # noqa: S608
            'FROM rt_meeting m JOIN rt_group g ON g.id = m."group" '
            'JOIN rt_membership s ON s."group" = m."group" AND s.joined_at <= m.starts_at '
            "AND (s.left_at IS NULL OR s.left_at > m.starts_at) "
            f'WHERE {where} GROUP BY m."group", {month}',
            *args,
        ),
        _rows(f'SELECT m."group" AS k, {distinct} {attended} GROUP BY m."group"', *args),
        _rows(f"SELECT g.kind AS k, {distinct} {attended} GROUP BY g.kind", *args),
        _rows(f"SELECT {month} AS k, {distinct} {attended} GROUP BY {month}", *args),
        _rows(f"SELECT {distinct} {attended}", *args),
    )
    for r in meetings:
        key = (int(r["gid"]), str(r["month"]))
        out.held[key] = _int(r["held"])
        out.cancelled[key] = _int(r["cancelled"])
        out.recorded[key] = _int(r["recorded"])
    out.attendances = {(int(r["gid"]), str(r["month"])): _int(r["n"]) for r in came}
    out.expected = {(int(r["gid"]), str(r["month"])): _int(r["n"]) for r in could}
    out.attendees = {int(r["k"]): _int(r["n"]) for r in by_group}
    out.attendees.update({str(r["k"]): _int(r["n"]) for r in by_kind})
    out.attendees[None] = _int(total[0]["n"]) if total else 0
    out.attendees_by_month = {str(r["k"]): _int(r["n"]) for r in by_month}
    return out


@dataclass
class Membership:
    """Joins and leaves in the period, by group and by month, and who belonged at all."""

    joined: dict[int, int] = field(default_factory=dict)
    joiners: dict[int, int] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)
    leavers: dict[int, int] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)
    joined_by_month: dict[str, int] = field(default_factory=dict)
    left_by_month: dict[str, int] = field(default_factory=dict)
    # Distinct people behind those counts: by month, by kind, and None for everyone.
    joiners_by: dict[str | None, int] = field(default_factory=dict)
    leavers_by: dict[str | None, int] = field(default_factory=dict)


async def membership(scope: Scope, period: Period) -> Membership:
    out = Membership()
    where, args = scope.where()
    in_period = "s.{col} >= {{}} AND s.{col} < {{}}"
    joined, left = in_period.format(col="joined_at"), in_period.format(col="left_at")
    for r in await _rows(
        'SELECT s."group" AS gid, '  # noqa: S608
        f"SUM(CASE WHEN {joined} THEN 1 ELSE 0 END) AS joined, "
        f'COUNT(DISTINCT CASE WHEN {joined} THEN s."user" END) AS joiners, '
        f"SUM(CASE WHEN {left} THEN 1 ELSE 0 END) AS left_n, "
        f'COUNT(DISTINCT CASE WHEN {left} THEN s."user" END) AS leavers, '
        'COUNT(DISTINCT s."user") AS members '
        'FROM rt_membership s JOIN rt_group g ON g.id = s."group" '
        "WHERE s.joined_at < {} AND (s.left_at IS NULL OR s.left_at >= {}) "
        f'AND {where} GROUP BY s."group"',
        *([period.start, period.stop] * 4),
        period.stop,
        period.start,
        *args,
    ):
        gid = int(r["gid"])
        out.joined[gid], out.joiners[gid] = _int(r["joined"]), _int(r["joiners"])
        out.left[gid], out.leavers[gid] = _int(r["left_n"]), _int(r["leavers"])
        out.members[gid] = _int(r["members"])
    month_joined, month_left = _month("s.joined_at"), _month("s.left_at")
    # One statement per grouping, each counting joins and leaves side by side.
    for by_joined, by_left in ((month_joined, month_left), ("g.kind", "g.kind"), ("''", "''")):
        # PostgreSQL refuses GROUP BY a text constant: everyone is one group without it.
        group_joined = f" GROUP BY {by_joined}" if by_joined != "''" else ""
        group_left = f" GROUP BY {by_left}" if by_left != "''" else ""
        for r in await _rows(
            f"SELECT 'joined' AS what, {by_joined} AS k, COUNT(*) AS n, "  # noqa: S608
            'COUNT(DISTINCT s."user") AS people '
            'FROM rt_membership s JOIN rt_group g ON g.id = s."group" '
            f"WHERE {joined} AND {where}{group_joined} "
            f"UNION ALL SELECT 'left' AS what, {by_left} AS k, COUNT(*) AS n, "
            'COUNT(DISTINCT s."user") AS people '
            'FROM rt_membership s JOIN rt_group g ON g.id = s."group" '
            f"WHERE {left} AND {where}{group_left}",
            period.start,
            period.stop,
            *args,
            period.start,
            period.stop,
            *args,
        ):
            key: str | None = str(r["k"]) if by_joined != "''" else None
            people = out.joiners_by if r["what"] == "joined" else out.leavers_by
            if by_joined == month_joined:
                counts = out.joined_by_month if r["what"] == "joined" else out.left_by_month
                counts[str(r["k"])] = _int(r["n"])
                people[f"month:{r['k']}"] = _int(r["people"])
            else:
                people[key] = _int(r["people"])
    return out


@dataclass
class NoShows:
    """Said "going" to a meeting whose attendance was recorded, and didn't come."""

    going: dict[int | str | None, int] = field(default_factory=dict)
    missed: dict[int | str | None, int] = field(default_factory=dict)
    people: dict[int | str | None, int] = field(default_factory=dict)


async def no_shows(scope: Scope, period: Period) -> NoShows:
    """By group, then summed by kind and overall.

    Beyond one group the people behind a figure are at least as many as in its largest
    group: that floor stands in for a count of distinct people, which would cost two more
    passes over every reply. A floor can only hide more, never less.
    """
    out = NoShows()
    where, args = _scoped(scope, period, _RECORDED)
    for r in await _rows(
        'SELECT m."group" AS gid, g.kind AS kind, COUNT(*) AS going, '  # noqa: S608
        "SUM(CASE WHEN a.id IS NULL THEN 1 ELSE 0 END) AS missed, "
        'COUNT(DISTINCT r."user") AS people '
        "FROM rt_rsvp r JOIN rt_meeting m ON m.id = r.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        'LEFT JOIN rt_attendance a ON a.meeting = r.meeting AND a."user" = r."user" '
        f"WHERE r.answer = 'going' AND {where} GROUP BY m.\"group\", g.kind",
        *args,
    ):
        going, missed, people = _int(r["going"]), _int(r["missed"]), _int(r["people"])
        for key in (int(r["gid"]), str(r["kind"]), None):
            out.going[key] = out.going.get(key, 0) + going
            out.missed[key] = out.missed.get(key, 0) + missed
            out.people[key] = max(out.people.get(key, 0), people)
    return out


# Leadership.


@dataclass
class Leadership:
    # Turns led in the period, per (group, member): members are numbers here, never names,
    # and the numbers leave this module only as counts.
    leads: dict[int, list[int]] = field(default_factory=dict)
    # Members whose first lead in a group fell in the period: (group, quarter, shadowed
    # first, member). The member number only lets totals count people once.
    first_leads: list[tuple[int, str, bool, int]] = field(default_factory=list)
    # Taken exchanges and covers per group, as (asked, took) member numbers: one row per
    # swap, so totals count the people involved once however many groups they swap in.
    swaps: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    covers: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


async def leadership(scope: Scope, period: Period) -> Leadership:
    out = Leadership()
    where, args = _scoped(scope, period, _HELD)
    by_group: dict[int, list[int]] = defaultdict(list)
    for r in await _rows(
        'SELECT m."group" AS gid, COUNT(*) AS n '  # noqa: S608
        "FROM rt_facilitation_turn t JOIN rt_meeting m ON m.id = t.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        f"WHERE t.role = 'lead' AND {where} GROUP BY m.\"group\", t.member",
        *args,
    ):
        by_group[int(r["gid"])].append(_int(r["n"]))
    out.leads = dict(by_group)

    # First turns are over all time, so "first" means first ever in that group.
    scope_where, scope_args = scope.where()
    for r in await _rows(
        'SELECT m."group" AS gid, t.member AS member, '  # noqa: S608
        "MIN(CASE WHEN t.role = 'lead' THEN m.starts_at END) AS first_lead, "
        "MIN(CASE WHEN t.role IN ('shadow', 'co') THEN m.starts_at END) AS first_shadow "
        "FROM rt_facilitation_turn t JOIN rt_meeting m ON m.id = t.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        "WHERE m.status <> 'cancelled' AND m.starts_at < {} "
        f'AND {scope_where} GROUP BY m."group", t.member',
        period.stop,
        *scope_args,
    ):
        first_lead = _moment(r["first_lead"])
        if first_lead is None or not (period.start <= first_lead < period.stop):
            continue
        shadow = _moment(r["first_shadow"])
        out.first_leads.append(
            (
                int(r["gid"]),
                f"{first_lead.year}-{(first_lead.month + 2) // 3}",
                shadow is not None and shadow < first_lead,
                int(r["member"]),
            )
        )

    for r in await _rows(
        'SELECT m."group" AS gid, w.kind AS kind, w.requester AS asked, '  # noqa: S608
        "w.taken_by AS took "
        "FROM rt_swap_request w JOIN rt_meeting m ON m.id = w.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        f"WHERE w.status = 'taken' AND {where} ORDER BY w.id",
        *args,
    ):
        into = out.swaps if r["kind"] == "exchange" else out.covers
        into.setdefault(int(r["gid"]), []).append((_int(r["asked"]), _int(r["took"])))
    return out


def _moment(value: Any) -> datetime | None:
    # Aggregates come back as text on SQLite, where column converters don't apply.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Themes.


@dataclass(frozen=True)
class ThemeCount:
    theme: str
    quarter: str
    kind: str  # "" across every kind
    meetings: int
    people: int


@dataclass(frozen=True)
class ThemePair:
    first: str
    second: str
    meetings: int
    people: int


async def themes(scope: Scope, period: Period) -> list[ThemeCount]:
    """Meetings that came back to each theme, by quarter, overall and by kind.

    The number of people is everyone who attended those meetings: a theme from a small
    group is a figure about few people.
    """
    where, args = _scoped(scope, period, _HELD)
    quarter = _quarter("m.starts_at")
    out: list[ThemeCount] = []
    overall: dict[tuple[str, str], tuple[int, int]] = {}
    for r in await _rows(
        f"SELECT th.name AS theme, {quarter} AS quarter, g.kind AS kind, "  # noqa: S608
        'COUNT(DISTINCT m.id) AS meetings, COUNT(DISTINCT a."user") AS people '
        "FROM rt_meeting_theme mt JOIN rt_meeting m ON m.id = mt.meeting "
        'JOIN rt_group g ON g.id = m."group" JOIN rt_theme th ON th.id = mt.theme '
        f"LEFT JOIN rt_attendance a ON a.meeting = m.id WHERE {where} "
        f"GROUP BY th.name, {quarter}, g.kind",
        *args,
    ):
        count = ThemeCount(
            str(r["theme"]),
            str(r["quarter"]),
            str(r["kind"]),
            _int(r["meetings"]),
            _int(r["people"]),
        )
        out.append(count)
        # Each meeting belongs to one kind, so meetings add up across kinds; the people
        # across kinds are at least the most in any one kind (a floor, which hides more).
        meetings, people = overall.get((count.theme, count.quarter), (0, 0))
        overall[(count.theme, count.quarter)] = (
            meetings + count.meetings,
            max(people, count.people),
        )
    out += [
        ThemeCount(theme, q, "", meetings, people)
        for (theme, q), (meetings, people) in overall.items()
    ]
    return out


async def theme_pairs(scope: Scope, period: Period) -> list[ThemePair]:
    where, args = _scoped(scope, period, _HELD)
    rows = await _rows(
        "SELECT t1.name AS first, t2.name AS second, "  # noqa: S608
        'COUNT(DISTINCT m.id) AS meetings, COUNT(DISTINCT a."user") AS people '
        "FROM rt_meeting_theme p1 JOIN rt_meeting_theme p2 "
        "ON p2.meeting = p1.meeting AND p2.theme > p1.theme "
        "JOIN rt_theme t1 ON t1.id = p1.theme JOIN rt_theme t2 ON t2.id = p2.theme "
        "JOIN rt_meeting m ON m.id = p1.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        f"LEFT JOIN rt_attendance a ON a.meeting = m.id WHERE {where} "
        "GROUP BY t1.name, t2.name",
        *args,
    )
    return [
        ThemePair(str(r["first"]), str(r["second"]), _int(r["meetings"]), _int(r["people"]))
        for r in rows
    ]


# Reflective coverage and actions.


async def coverage(scope: Scope, period: Period) -> dict[int, dict[int, int]]:
    """Per group, how many held meetings used each Tool 3 question (by number)."""
    where, args = _scoped(scope, period, _HELD)
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for r in await _rows(
        'SELECT m."group" AS gid, p.number AS number, COUNT(DISTINCT m.id) AS n '  # noqa: S608
        "FROM rt_agenda_item ai JOIN rt_prompt p ON p.id = ai.prompt "
        "JOIN rt_meeting m ON m.id = ai.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        f"WHERE p.bank = 'tool3' AND {where} GROUP BY m.\"group\", p.number",
        *args,
    ):
        out[int(r["gid"])][_int(r["number"])] = _int(r["n"])
    return dict(out)


ACTION_STATES = ("done", "carried_over", "open", "dropped")


@dataclass(frozen=True)
class ActionCounts:
    # By state (ACTION_STATES), with distinct owners for each.
    counts: dict[str, int]
    owners: dict[str, int]
    total_owners: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def actions(scope: Scope, period: Period) -> dict[int, ActionCounts]:
    """Actions set at meetings in the period, per set, by where they stand now."""
    where, args = _scoped(scope, period, _HELD)
    parts = ", ".join(
        f"SUM(CASE WHEN x.status = '{s}' THEN 1 ELSE 0 END) AS n_{s}, "
        f"COUNT(DISTINCT CASE WHEN x.status = '{s}' THEN x.owner END) AS o_{s}"
        for s in ACTION_STATES
    )
    out: dict[int, ActionCounts] = {}
    for r in await _rows(
        f'SELECT m."group" AS gid, {parts}, COUNT(DISTINCT x.owner) AS owners '  # noqa: S608
        "FROM rt_action x JOIN rt_meeting m ON m.id = x.meeting "
        'JOIN rt_group g ON g.id = m."group" '
        f"WHERE g.kind = 'action_learning' AND {where} GROUP BY m.\"group\"",
        *args,
    ):
        out[int(r["gid"])] = ActionCounts(
            counts={s: _int(r[f"n_{s}"]) for s in ACTION_STATES},
            owners={s: _int(r[f"o_{s}"]) for s in ACTION_STATES},
            total_owners=_int(r["owners"]),
        )
    return out
