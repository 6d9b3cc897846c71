"""Insights for organisers and convenors: the figures, what may be shown, and the charts.

Every figure goes through one Ledger (app/domain/disclosure), which decides what a page
and its exports may show; tables and CSV files are built from the same settled figures,
so they can't disagree. No name, note or post text is ever read here.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.domain import measures
from app.domain.charts import Chart, Point, Series, bar_chart, line_chart
from app.domain.disclosure import Disclosure, Ledger, Shown
from app.domain.groups import KINDS
from app.domain.insight_filters import (
    InsightFilters,
    month_label,
    quarter_label,
)
from app.domain.prompts import LENS_LABELS
from app.services import insight_figures as figures
from app.services.insight_figures import ACTION_STATES, GroupRow, Period, Scope

Cell = str | Shown
TOP_THEMES = 5
TOP_PAIRS = 10
# Tool 3's questions by lens: Self 1-5, Supervisor/leader 6-10, Team 11-16, Organisation 17-20.
TOOL3_LENSES = (
    ("self", range(1, 6)),
    ("supervisor", range(6, 11)),
    ("team", range(11, 17)),
    ("organisation", range(17, 21)),
)
ACTION_LABELS = {
    "done": "Done",
    "carried_over": "Carried over",
    "open": "Still open",
    "dropped": "Dropped",
}


@dataclass(frozen=True)
class Table:
    """One table of a page, exactly as shown and as exported."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def texts(self) -> list[list[str]]:
        return [[c if isinstance(c, str) else c.text for c in row] for row in self.rows]


@dataclass(frozen=True)
class Reading:
    label: str
    figure: Shown
    sentence: str


@dataclass
class Insights:
    filters: InsightFilters
    one_group: bool
    glance: list[Reading] = field(default_factory=list)
    leadership: list[Reading] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    rising: list[str] = field(default_factory=list)
    falling: list[str] = field(default_factory=list)
    has_actions: bool = False


async def organiser_insights(filters: InsightFilters, now: datetime) -> Insights:
    scope = Scope(group_id=filters.group_id, kind=filters.kind)
    return await _insights(scope, filters, now)


async def group_insights(group_id: int, filters: InsightFilters, now: datetime) -> Insights:
    """A convenor's view of their own group: the same figures, the same protection."""
    scope = Scope(group_id=group_id, one_group=True)
    return await _insights(scope, filters, now)


async def scope_groups() -> list[GroupRow]:
    """The groups an organiser may filter by."""
    return await figures.groups_in(Scope())


async def _insights(scope: Scope, filters: InsightFilters, now: datetime) -> Insights:
    period = Period(filters.starts(), filters.stops(now))
    # The reads are independent: run at once, they overlap in the database (each SQLite
    # statement has its own connection and thread; PostgreSQL takes them from the pool).
    (
        (groups, taking_part, joining, rsvps, leading, theme_counts),
        (pairs, coverage, actions),
    ) = await asyncio.gather(
        asyncio.gather(
            figures.groups_in(scope),
            figures.participation(scope, period),
            figures.membership(scope, period),
            figures.no_shows(scope, period),
            figures.leadership(scope, period),
            figures.themes(scope, period),
        ),
        asyncio.gather(
            figures.theme_pairs(scope, period),
            figures.coverage(scope, period),
            figures.actions(scope, period),
        ),
    )

    builder = _Builder(filters, groups, scope.one_group)
    builder.participation(taking_part, joining, rsvps)
    builder.leadership(leading, joining)
    builder.themes(theme_counts, pairs)
    builder.actions(actions)
    shown = builder.ledger.settle()

    page = Insights(filters=filters, one_group=scope.one_group)
    builder.write(page, shown, coverage)
    return page


# Where a figure is about: a group id, a kind, or None for everything in scope.
Place = int | str | None


def _per_group(counts: dict[tuple[int, str], int]) -> Counter[int]:
    out: Counter[int] = Counter()
    for (gid, _), n in counts.items():
        out[gid] += n
    return out


def _per_month(counts: dict[tuple[int, str], int]) -> Counter[str]:
    out: Counter[str] = Counter()
    for (_, month), n in counts.items():
        out[month] += n
    return out


# Keys in the ledger are tuples: (figure, where), where is a group id, a kind, a month,
# a quarter, or None for everything in scope.
Key = tuple[Hashable, ...]

PARTICIPATION_COLUMNS = (
    "Meetings held",
    "Cancelled",
    "Average attendance",
    "Attendance rate",
    "Active members",
    "New members",
    "Members leaving",
    "Said going but didn't come",
)
PARTICIPATION_FIGURES = (
    "held",
    "cancelled",
    "average",
    "rate",
    "active",
    "joined",
    "left",
    "no_show",
)
LEADERSHIP_COLUMNS = (
    "Members who led",
    "Spread of turns (Gini)",
    "First-time leads",
    "Shadowed before first lead",
    "Swaps",
    "Covers",
)
LEADERSHIP_FIGURES = ("share", "gini", "first", "shadowed", "swaps", "covers")


class _Builder:
    def __init__(self, filters: InsightFilters, groups: list[GroupRow], one_group: bool) -> None:
        self.filters = filters
        self.groups = groups
        self.one_group = one_group
        self.kinds = [k for k in KINDS if any(g.kind == k for g in groups)]
        self.months = filters.months()
        self.quarters = filters.quarters()
        self.ledger = Ledger()
        self.themes_seen: list[str] = []
        self.pairs: list[tuple[str, str]] = []
        self.action_groups: list[GroupRow] = []

    def _places(self) -> list[tuple[Place, list[GroupRow]]]:
        """Each group, each kind with its groups, and everything (None)."""
        places: list[tuple[Place, list[GroupRow]]] = [(g.id, [g]) for g in self.groups]
        places += [(k, [g for g in self.groups if g.kind == k]) for k in self.kinds]
        places.append((None, self.groups))
        return places

    def _additive(self, figure: str) -> None:
        """The sums a reader could use: groups add up to kinds, kinds to everything."""
        for kind in self.kinds:
            parts = [(figure, g.id) for g in self.groups if g.kind == kind]
            self.ledger.family((figure, kind), parts)
        self.ledger.family((figure, None), [(figure, k) for k in self.kinds])

    def _tied(self, figure: str, how: str) -> None:
        """Weaker ties than sums, for counts of different people and for rates."""
        declare = self.ledger.at_most if how == "at_most" else self.ledger.mixture
        for kind in self.kinds:
            declare((figure, kind), [(figure, g.id) for g in self.groups if g.kind == kind])
        declare((figure, None), [(figure, k) for k in self.kinds])
        declare((figure, None), [(figure, g.id) for g in self.groups])

    # Participation.

    def participation(
        self,
        p: figures.Participation,
        m: figures.Membership,
        r: figures.NoShows,
    ) -> None:
        add = self.ledger.add
        per_group = {
            name: _per_group(counts)
            for name, counts in (
                ("held", p.held),
                ("cancelled", p.cancelled),
                ("recorded", p.recorded),
                ("came", p.attendances),
                ("expected", p.expected),
            )
        }
        for place, members in self._places():
            ids = {g.id for g in members}
            held, cancelled, recorded, came, expected = (
                sum(per_group[name][gid] for gid in ids)
                for name in ("held", "cancelled", "recorded", "came", "expected")
            )
            people = p.attendees.get(place, 0)
            add(("held", place), held, None)
            add(("cancelled", place), cancelled, None)
            add(("average", place), measures.mean(came, recorded), people, fmt="decimal")
            add(("rate", place), _rate(came, expected), people, fmt="percent")
            add(("active", place), people, people)
            if isinstance(place, int):
                joined, joiners = m.joined.get(place, 0), m.joiners.get(place, 0)
                left, leavers = m.left.get(place, 0), m.leavers.get(place, 0)
            else:
                joined = sum(m.joined.get(g, 0) for g in ids)
                left = sum(m.left.get(g, 0) for g in ids)
                joiners, leavers = m.joiners_by.get(place, 0), m.leavers_by.get(place, 0)
            add(("joined", place), joined, joiners)
            add(("left", place), left, leavers)
            add(
                ("no_show", place),
                _rate(r.missed.get(place, 0), r.going.get(place, 0)),
                r.people.get(place, 0),
                fmt="percent",
            )
        self._additive("joined")
        self._additive("left")
        per_month = {
            name: _per_month(counts)
            for name, counts in (
                ("held", p.held),
                ("cancelled", p.cancelled),
                ("came", p.attendances),
                ("expected", p.expected),
            )
        }
        for month in self.months:
            held, cancelled, came, expected = (
                per_month[name][month] for name in ("held", "cancelled", "came", "expected")
            )
            people = p.attendees_by_month.get(month, 0)
            add(("held", month), held, None)
            add(("cancelled", month), cancelled, None)
            add(("rate", month), _rate(came, expected), people, fmt="percent")
            add(("active", month), people, people)
            add(
                ("joined", month),
                m.joined_by_month.get(month, 0),
                m.joiners_by.get(f"month:{month}", 0),
            )
            add(
                ("left", month),
                m.left_by_month.get(month, 0),
                m.leavers_by.get(f"month:{month}", 0),
            )
        for figure in ("joined", "left"):
            self.ledger.family((figure, None), [(figure, month) for month in self.months])
        self._tied("active", "at_most")
        self.ledger.at_most(("active", None), [("active", month) for month in self.months])
        for figure in ("average", "rate", "no_show"):
            self._tied(figure, "mixture")
        self.ledger.mixture(("rate", None), [("rate", month) for month in self.months])

    # Leadership.

    def leadership(self, lead: figures.Leadership, m: figures.Membership) -> None:
        add = self.ledger.add
        firsts = Counter(gid for gid, _, _, _ in lead.first_leads)
        by_quarter = Counter(q for _, q, _, _ in lead.first_leads)
        shadowed = Counter(gid for gid, _, before, _ in lead.first_leads if before)

        # Different people behind first leads: one person may lead first in two groups.
        led_first: dict[int, set[int]] = defaultdict(set)
        shadowed_first: dict[int, set[int]] = defaultdict(set)
        unshadowed_first: dict[int, set[int]] = defaultdict(set)
        in_quarter: dict[str, set[int]] = defaultdict(set)
        for gid, quarter, shadow, member in lead.first_leads:
            led_first[gid].add(member)
            (shadowed_first if shadow else unshadowed_first)[gid].add(member)
            in_quarter[quarter].add(member)

        def leaders(sets: dict[int, set[int]], gids: list[int]) -> int:
            return len(set().union(*(sets[g] for g in gids if g in sets)))

        for place, members in self._places():
            ids = [g.id for g in members]
            counts: list[int] = []
            for gid in ids:
                led = lead.leads.get(gid, [])
                # Members who didn't lead count as zeros: that's what makes a spread.
                counts += led + [0] * max(m.members.get(gid, 0) - len(led), 0)
            # A floor on the people behind a pooled figure: one group's members are distinct.
            people = max((m.members.get(gid, 0) for gid in ids), default=0)
            add(
                ("share", place),
                _rate(sum(1 for c in counts if c), len(counts)),
                people,
                fmt="percent",
            )
            add(("gini", place), measures.gini(counts), people, fmt="gini")
            first = sum(firsts[gid] for gid in ids)
            before = sum(shadowed.get(gid, 0) for gid in ids)
            add(("first", place), first, leaders(led_first, ids))
            add(("shadowed", place), before, leaders(shadowed_first, ids))
            # Never shown, but it ties the two above: 8 first leads and 5 who shadowed
            # would otherwise say that 3 people led first without shadowing.
            add(("not_shadowed", place), first - before, leaders(unshadowed_first, ids))
            self.ledger.family(("first", place), [("shadowed", place), ("not_shadowed", place)])
            for figure, taken in (("swaps", lead.swaps), ("covers", lead.covers)):
                pairs = [pair for gid in ids for pair in taken.get(gid, [])]
                add((figure, place), len(pairs), len({p for pair in pairs for p in pair}))
        for figure in ("first", "shadowed", "not_shadowed", "swaps", "covers"):
            self._additive(figure)
        self._tied("share", "mixture")
        for quarter in self.quarters:
            add(("first", quarter), by_quarter[quarter], len(in_quarter[quarter]))
        self.ledger.family(("first", None), [("first", q) for q in self.quarters])

    # Themes.

    def themes(self, counts: list[figures.ThemeCount], pairs: list[figures.ThemePair]) -> None:
        add = self.ledger.add
        by_kind: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        totals: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for c in counts:
            add(("theme", c.theme, c.quarter, c.kind), c.meetings, c.people)
            if c.kind:
                by_kind[(c.theme, c.quarter)].append((c.theme, c.kind))
            else:
                totals[c.theme].append((c.quarter, c.meetings, c.people))
        for (theme, quarter), kinds in by_kind.items():
            self.ledger.family(
                ("theme", theme, quarter, ""),
                [("theme", theme, quarter, kind) for _, kind in kinds],
            )
        for theme, quarters in totals.items():
            meetings = sum(n for _, n, _ in quarters)
            # The most people in any one quarter is a floor on the people over the period.
            add(("theme", theme, None, ""), meetings, max(p for _, _, p in quarters))
            self.ledger.family(
                ("theme", theme, None, ""), [("theme", theme, q, "") for q, _, _ in quarters]
            )
        self.themes_seen = sorted(totals)
        for pair in pairs:
            add(("pair", pair.first, pair.second), pair.meetings, pair.people)
            self.pairs.append((pair.first, pair.second))

    # Action learning.

    def actions(self, counts: dict[int, figures.ActionCounts]) -> None:
        add = self.ledger.add
        self.action_groups = [g for g in self.groups if g.kind == "action_learning"]
        ids = [g.id for g in self.action_groups]
        for gid in ids:
            c = counts.get(gid)
            add(("actions", gid), c.total if c else 0, c.total_owners if c else 0)
            for state in ACTION_STATES:
                add(
                    (state, gid),
                    c.counts[state] if c else 0,
                    c.owners[state] if c else 0,
                )
            self.ledger.family(("actions", gid), [(s, gid) for s in ACTION_STATES])
        floor = max((c.total_owners for c in counts.values()), default=0)
        add(("actions", "sets"), sum(c.total for c in counts.values()), floor)
        for state in ACTION_STATES:
            add(
                (state, "sets"),
                sum(c.counts[state] for c in counts.values()),
                max((c.owners[state] for c in counts.values()), default=0),
            )
            self.ledger.family((state, "sets"), [(state, gid) for gid in ids])
        self.ledger.family(("actions", "sets"), [(s, "sets") for s in ACTION_STATES])
        self.ledger.family(("actions", "sets"), [("actions", gid) for gid in ids])

    # The page.

    def write(self, page: Insights, shown: Disclosure, coverage: dict[int, dict[int, int]]) -> None:
        self._write_participation(page, shown)
        self._write_leadership(page, shown)
        self._write_themes(page, shown)
        self._write_coverage(page, coverage)
        self._write_actions(page, shown)

    def _kind_rows(self, shown: Disclosure, names: Sequence[str]) -> tuple[tuple[Cell, ...], ...]:
        """A row per kind of group in scope, then one for all of them."""
        places: list[tuple[str, str | None]] = [(KINDS[k], k) for k in self.kinds]
        places.append(("All groups", None))
        return tuple((label, *(shown[(name, place)] for name in names)) for label, place in places)

    def _write_participation(self, page: Insights, shown: Disclosure) -> None:
        everything = {f: shown[(f, None)] for f in PARTICIPATION_FIGURES}
        page.glance = [
            Reading("Meetings held", everything["held"], _held_sentence(everything)),
            Reading(
                "Attendance rate",
                everything["rate"],
                measures.reading_attendance_rate(everything["rate"]),
            ),
            Reading(
                "Average attendance",
                everything["average"],
                "The average number of people at a meeting whose attendance was recorded.",
            ),
            Reading(
                "Active members",
                everything["active"],
                "People who came to at least one meeting in the period.",
            ),
            Reading(
                "New members",
                everything["joined"],
                "Joins in the period; someone joining two groups counts twice.",
            ),
            Reading(
                "Members leaving",
                everything["left"],
                "People who left or were removed in the period, counted per group.",
            ),
            Reading(
                "Said going but didn't come",
                everything["no_show"],
                measures.reading_no_show(everything["no_show"]),
            ),
        ]
        page.tables["glance"] = _readings_table("glance", "Participation at a glance", page.glance)
        month_columns = (
            "Month",
            "Meetings held",
            "Cancelled",
            "Attendance rate",
            "Active members",
            "New members",
            "Members leaving",
        )
        month_figures = ("held", "cancelled", "rate", "active", "joined", "left")
        page.tables["by_month"] = Table(
            "by_month",
            "Participation by month",
            month_columns,
            tuple(
                (month_label(mo), *(shown[(f, mo)] for f in month_figures)) for mo in self.months
            ),
        )
        if not self.one_group:
            page.tables["by_kind"] = Table(
                "by_kind",
                "Participation by kind of group",
                ("Kind of group", *PARTICIPATION_COLUMNS),
                self._kind_rows(shown, PARTICIPATION_FIGURES),
            )
            page.tables["by_group"] = Table(
                "by_group",
                "Participation by group",
                ("Group", "Kind", *PARTICIPATION_COLUMNS),
                tuple(
                    (g.name, KINDS[g.kind], *(shown[(f, g.id)] for f in PARTICIPATION_FIGURES))
                    for g in self.groups
                ),
            )
        labels = [month_label(mo) for mo in self.months]
        page.charts["meetings"] = line_chart(
            id="chart-meetings",
            title="Meetings held and cancelled by month",
            category_name="Month",
            summary=_held_sentence(everything),
            series=[
                _series("Held", labels, [shown[("held", mo)] for mo in self.months]),
                _series("Cancelled", labels, [shown[("cancelled", mo)] for mo in self.months]),
            ],
        )
        rates = [shown[("rate", mo)] for mo in self.months]
        page.charts["attendance"] = line_chart(
            id="chart-attendance",
            title="Attendance rate by month",
            category_name="Month",
            summary=_trend_sentence("The attendance rate", labels, rates),
            series=[_series("Attendance rate", labels, rates, scale=100)],
            unit="%",
            max_value=100,
        )

    def _write_leadership(self, page: Insights, shown: Disclosure) -> None:
        f = {name: shown[(name, None)] for name in LEADERSHIP_FIGURES}
        page.leadership = [
            Reading(
                "Members who led at least once", f["share"], measures.reading_share_led(f["share"])
            ),
            Reading("Spread of turns leading (Gini)", f["gini"], measures.reading_gini(f["gini"])),
            Reading("First-time leads", f["first"], measures.reading_first_time(f["first"])),
            Reading(
                "Shadowed before their first lead",
                f["shadowed"],
                measures.reading_shadowed(f["shadowed"], f["first"]),
            ),
            Reading(
                "Swaps and covers", f["swaps"], measures.reading_swaps(f["swaps"], f["covers"])
            ),
        ]
        page.tables["leadership"] = _readings_table(
            "leadership", "Shared leadership at a glance", page.leadership
        )
        quarters = [quarter_label(q) for q in self.quarters]
        firsts = [shown[("first", q)] for q in self.quarters]
        page.tables["first_leads"] = Table(
            "first_leads",
            "First-time leads by quarter",
            ("Quarter", "First-time leads"),
            tuple((label, s) for label, s in zip(quarters, firsts, strict=True)),
        )
        page.charts["first_leads"] = bar_chart(
            id="chart-first-leads",
            title="First-time leads by quarter",
            category_name="Quarter",
            summary=_trend_sentence("First-time leads", quarters, firsts),
            series=[_series("First-time leads", quarters, firsts)],
            horizontal=False,
        )
        if not self.one_group:
            page.tables["leadership_by_kind"] = Table(
                "leadership_by_kind",
                "Shared leadership by kind of group",
                ("Kind of group", *LEADERSHIP_COLUMNS),
                self._kind_rows(shown, LEADERSHIP_FIGURES),
            )
            page.tables["leadership_by_group"] = Table(
                "leadership_by_group",
                "Shared leadership by group",
                ("Group", "Kind", *LEADERSHIP_COLUMNS),
                tuple(
                    (g.name, KINDS[g.kind], *(shown[(name, g.id)] for name in LEADERSHIP_FIGURES))
                    for g in self.groups
                ),
            )

    def _write_themes(self, page: Insights, shown: Disclosure) -> None:
        def top(quarter: str | None, kind: str) -> list[tuple[str, Shown]]:
            ranked = [
                (theme, shown[key])
                for theme in self.themes_seen
                if (key := ("theme", theme, quarter, kind)) in shown and shown[key].state == "shown"
            ]
            ranked.sort(key=lambda item: (-(item[1].value or 0), item[0]))
            return ranked[:TOP_THEMES]

        rows: list[tuple[Cell, ...]] = []
        for quarter in self.quarters:
            for rank, (theme, s) in enumerate(top(quarter, ""), start=1):
                rows.append((quarter_label(quarter), str(rank), theme, s))
        page.tables["themes"] = Table(
            "themes",
            "Top themes by quarter",
            ("Quarter", "Rank", "Theme", "Meetings"),
            tuple(rows),
        )
        if not self.one_group:
            kind_rows: list[tuple[Cell, ...]] = []
            for kind in self.kinds:
                for quarter in self.quarters:
                    for rank, (theme, s) in enumerate(top(quarter, kind), start=1):
                        kind_rows.append((KINDS[kind], quarter_label(quarter), str(rank), theme, s))
            page.tables["themes_by_kind"] = Table(
                "themes_by_kind",
                "Top themes by quarter within each kind of group",
                ("Kind of group", "Quarter", "Rank", "Theme", "Meetings"),
                tuple(kind_rows),
            )
        overall = top(None, "")
        page.charts["themes"] = bar_chart(
            id="chart-themes",
            title="Most frequent themes in this period",
            category_name="Theme",
            summary=(
                f"The most frequent theme was {overall[0][0]}, in {overall[0][1].text} meetings."
                if overall
                else "No theme was recorded often enough, by enough people, to show."
            ),
            series=[
                Series(
                    name="Meetings",
                    points=tuple(Point(theme, s.value, s.text) for theme, s in overall),
                )
            ],
        )
        if len(self.quarters) >= 2:
            before, after = self.quarters[-2], self.quarters[-1]
            for theme in self.themes_seen:
                a = shown.get(("theme", theme, before, ""))
                b = shown.get(("theme", theme, after, ""))
                # A direction is only stated between two figures that are both shown.
                if a is None or b is None or a.state != "shown" or b.state != "shown":
                    continue
                direction = measures.direction(int(a.value or 0), int(b.value or 0))
                if direction == "rising":
                    page.rising.append(f"{theme} ({a.text} to {b.text} meetings)")
                elif direction == "falling":
                    page.falling.append(f"{theme} ({a.text} to {b.text} meetings)")
        pairs = [
            (first, second, shown[("pair", first, second)])
            for first, second in self.pairs
            if shown[("pair", first, second)].state == "shown"
        ]
        pairs.sort(key=lambda p: (-(p[2].value or 0), p[0], p[1]))
        page.tables["theme_pairs"] = Table(
            "theme_pairs",
            "Themes that come up together",
            ("Theme", "With", "Meetings where both came up"),
            tuple((a, b, s) for a, b, s in pairs[:TOP_PAIRS]),
        )

    def _write_coverage(self, page: Insights, coverage: dict[int, dict[int, int]]) -> None:
        rows: list[tuple[Cell, ...]] = []
        for g in self.groups:
            used = coverage.get(g.id, {})
            cells: list[Cell] = [g.name]
            for _, numbers in TOOL3_LENSES:
                cells.append(f"{sum(1 for n in numbers if n in used)} of {len(numbers)}")
            cells.append(", ".join(str(n) for n in sorted(used)) or "None yet")
            rows.append(tuple(cells))
        page.tables["coverage"] = Table(
            "coverage",
            "Tool 3 questions used, by group",
            ("Group", *(LENS_LABELS[lens] for lens, _ in TOOL3_LENSES), "Questions used"),
            tuple(rows),
        )

    def _write_actions(self, page: Insights, shown: Disclosure) -> None:
        page.has_actions = bool(self.action_groups)
        if not self.action_groups:
            return
        columns = ("actions", *ACTION_STATES)
        rows: list[tuple[Cell, ...]] = [
            (g.name, *(shown[(c, g.id)] for c in columns)) for g in self.action_groups
        ]
        if not self.one_group:
            rows.append(("All sets", *(shown[(c, "sets")] for c in columns)))
        page.tables["actions"] = Table(
            "actions",
            "Actions set at action learning sets",
            ("Set", "Actions set", *(ACTION_LABELS[s] for s in ACTION_STATES)),
            tuple(rows),
        )


def _readings_table(id: str, title: str, readings: list[Reading]) -> Table:
    return Table(
        id,
        title,
        ("Figure", "Value", "What it means"),
        tuple((r.label, r.figure, r.sentence) for r in readings),
    )


def _rate(part: int, whole: int) -> float | None:
    # Attendance can't exceed who could come, but a guest or a late membership can make
    # it look so; the rate is capped rather than refused.
    return measures.rate(min(part, whole), whole)


def _series(name: str, labels: Sequence[str], values: Sequence[Shown], scale: float = 1) -> Series:
    return Series(
        name=name,
        points=tuple(
            Point(
                label,
                s.value * scale if s.state == "shown" and s.value is not None else None,
                s.text,
            )
            for label, s in zip(labels, values, strict=True)
        ),
    )


def _held_sentence(everything: dict[str, Shown]) -> str:
    held, cancelled = everything["held"], everything["cancelled"]
    return f"{held.text} meetings were held in this period and {cancelled.text} were cancelled."


def _trend_sentence(what: str, labels: Sequence[str], values: Sequence[Shown]) -> str:
    points = [(label, s) for label, s in zip(labels, values, strict=True) if s.state == "shown"]
    if not points:
        return f"{what}: nothing can be shown for this period."
    if len(points) == 1:
        return f"{what} was {points[0][1].text} in {points[0][0]}."
    (first_label, first), (last_label, last) = points[0], points[-1]
    return f"{what} was {first.text} in {first_label} and {last.text} in {last_label}."
