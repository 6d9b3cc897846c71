"""Insights pages built from random small organisations: nothing about 1 to 4 people shows.

Pure: no database. Each organisation is generated as people doing things (coming to
meetings, joining, leading, setting actions), and every figure the database queries would
return is counted from those people, so that distinct counts agree with each other as a
real organisation's must (the ledger refuses sums that don't add up). The figures then go
through the page builder exactly as `_insights()` sends them.

The domain tests check the ledger on tables it is handed. These check the page: that the
builder declared every sum a reader can see, by judging the finished tables with an
oracle that knows only what the page says and how its rows and columns add up.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain.disclosure import HIDDEN_TEXT, SMALL_TEXT, Disclosure, Fmt, Ledger, Shown
from app.domain.groups import KINDS, SUPPRESS_BELOW, add_months
from app.domain.insight_filters import InsightFilters, month_label, quarter_label, quarter_of
from app.services import insight_figures as figures
from app.services.insight_figures import ACTION_STATES, GroupRow
from app.services.insights import ACTION_LABELS, PARTICIPATION_COLUMNS, Insights, _Builder
from app.web.insights import _csv

# Few enough people that groups overlap and small counts are common; enough that kinds
# and totals often reach 5 and are shown beside suppressed parts.
PEOPLE = tuple(range(10))
THEMES = ("Belonging", "Rotas", "Wellbeing", "Workload")
FIRST_MONTH = date(2025, 10, 1)


# An organisation, as what its people did.


@dataclass(frozen=True)
class Meeting:
    recorded: bool
    came: frozenset[int]
    going: frozenset[int]
    themes: frozenset[str]


@dataclass(frozen=True)
class Group:
    row: GroupRow
    members: frozenset[int]
    held: dict[str, tuple[Meeting, ...]]
    cancelled: dict[str, int]
    joins: tuple[tuple[int, str], ...]  # (person, month); a person may rejoin
    leaves: tuple[tuple[int, str], ...]
    turns: dict[int, int]  # turns led, for each member who led
    first_leads: tuple[tuple[int, str, bool], ...]  # (person, quarter, shadowed first)
    swaps: tuple[tuple[int, int], ...]  # (requester, taker)
    covers: tuple[tuple[int, int], ...]
    actions: tuple[tuple[int, str], ...]  # (owner, state)
    questions: dict[int, int]


@dataclass(frozen=True)
class Organisation:
    filters: InsightFilters
    groups: tuple[Group, ...]
    one_group: bool

    @property
    def rows(self) -> list[GroupRow]:
        return [g.row for g in self.groups]


def _some(people: Iterable[int], at_most: int = len(PEOPLE)) -> st.SearchStrategy[list[int]]:
    """Some of these people, any number of them equally likely.

    Hypothesis draws short collections and small integers far more often than others; a
    figure about 5 or more people beside one about fewer is what needs protecting, so sizes
    are sampled evenly.
    """
    pool = sorted(people)
    return st.sampled_from(range(min(at_most, len(pool)) + 1)).flatmap(
        lambda n: (
            st.lists(st.sampled_from(pool), min_size=n, max_size=n, unique=True)
            if n
            else st.just([])
        )
    )


@st.composite
def _events(draw: st.DrawFn, people: list[int], when: list[str]) -> tuple[tuple[int, str], ...]:
    """What these people did, and when; a few did it twice (left and came back, say)."""
    again = draw(st.lists(st.sampled_from(people), max_size=2)) if people else []
    return tuple((p, draw(st.sampled_from(when))) for p in [*people, *again])


@st.composite
def _pairs(draw: st.DrawFn, members: list[int]) -> tuple[tuple[int, int], ...]:
    if not members:
        return ()
    person = st.sampled_from(members)
    n = draw(st.integers(0, 8))
    return tuple(draw(st.lists(st.tuples(person, person), min_size=n, max_size=n)))


@st.composite
def _meetings(draw: st.DrawFn, members: list[int]) -> Meeting:
    recorded = draw(st.sampled_from((True, True, True, False)))
    # Attendance and answers exist only where attendance was recorded.
    came = frozenset(draw(_some(members))) if recorded else frozenset()
    going = frozenset(draw(_some(members))) if recorded else frozenset()
    themes = draw(st.frozensets(st.sampled_from(THEMES), max_size=2))
    return Meeting(recorded, came, going, themes)


@st.composite
def _groups(draw: st.DrawFn, gid: int, kind: str, months: list[str], quarters: list[str]) -> Group:
    pool = sorted(draw(_some(PEOPLE, at_most=8)))
    held = {mo: tuple(draw(st.lists(_meetings(pool), max_size=2))) for mo in months}
    cancelled = {mo: draw(st.integers(0, 1)) for mo in months}
    # Those who led for the first time in the period, and some who had led before it.
    first_time = draw(_some(pool))
    shadowed = set(draw(_some(first_time)))
    firsts = [(p, draw(st.sampled_from(quarters)), p in shadowed) for p in first_time]
    turns = {p: draw(st.integers(1, 3)) for p in sorted({*first_time, *draw(_some(pool))})}
    actions: list[tuple[int, str]] = []
    if kind == "action_learning":
        for state in ACTION_STATES:
            actions += [(p, state) for p, _ in draw(_events(draw(_some(pool)), months))]
    return Group(
        row=GroupRow(gid, f"Group {gid}", kind),
        members=frozenset(pool),
        held=held,
        cancelled=cancelled,
        joins=draw(_events(draw(_some(pool)), months)),
        leaves=draw(_events(draw(_some(pool)), months)),
        turns=turns,
        first_leads=tuple(firsts),
        swaps=draw(_pairs(pool)),
        covers=draw(_pairs(pool)),
        actions=tuple(actions),
        questions=draw(st.dictionaries(st.integers(1, 20), st.integers(1, 3), max_size=4)),
    )


@st.composite
def organisations(draw: st.DrawFn) -> Organisation:
    # From October 2025, so that periods cross quarters and a year end.
    first = add_months(FIRST_MONTH, draw(st.integers(0, 8)))
    last = add_months(first, draw(st.integers(2, 4))) - timedelta(days=1)
    filters = InsightFilters(first_day=first, last_day=last)
    months, quarters = filters.months(), filters.quarters()
    kinds = draw(st.permutations(list(KINDS)))[: draw(st.sampled_from((1, 2, 3)))]
    groups: list[Group] = []
    for kind in sorted(kinds):
        for _ in range(draw(st.sampled_from((1, 2, 3)))):
            groups.append(draw(_groups(len(groups) + 1, kind, months, quarters)))
    # A convenor's view: one group, with no rows for groups and kinds to add up.
    one_group = draw(st.sampled_from((False, False, False, True)))
    return Organisation(filters, tuple(groups[:1] if one_group else groups), one_group)


# Hand-made organisations: February to April 2026, two quarters.
HAND_MADE = InsightFilters(first_day=date(2026, 2, 1), last_day=date(2026, 4, 30))


def _group(gid: int, kind: str, members: Iterable[int], **done: object) -> Group:
    """A hand-made group: nothing happened in it but what is given."""
    months = HAND_MADE.months()
    empty: dict[str, object] = {
        "held": {mo: () for mo in months},
        "cancelled": dict.fromkeys(months, 0),
        "joins": (),
        "leaves": (),
        "turns": {},
        "first_leads": (),
        "swaps": (),
        "covers": (),
        "actions": (),
        "questions": {},
    }
    fields = {**empty, **done}
    return Group(GroupRow(gid, f"Group {gid}", kind), frozenset(members), **fields)  # type: ignore[arg-type]


def _firsts(people: range, quarter: str, shadowed: range) -> dict[str, object]:
    return {
        "first_leads": tuple((p, quarter, p in shadowed) for p in people),
        "turns": dict.fromkeys(people, 1),
    }


def _actions(**owners: range) -> tuple[tuple[int, str], ...]:
    return tuple((p, state) for state, people in owners.items() for p in people)


# Each puts one small figure beside shown ones in every kind of sum the page has, so that
# each sum is tried on every run, not only when the random organisations happen to need it.
ONE_SMALL_IN_EACH_SUM = Organisation(
    HAND_MADE,
    (
        _group(
            1,
            "peer_support",
            range(8),
            joins=tuple((p, "2026-02") for p in range(6)),
            leaves=tuple((p, "2026-02") for p in range(6)),
            **_firsts(range(8), "2026-1", shadowed=range(5)),
        ),
        _group(
            2,
            "peer_support",
            range(4),
            joins=((0, "2026-03"),),
            **_firsts(range(1), "2026-2", shadowed=range(0)),
        ),
        _group(
            3,
            "staff_network",
            range(2, 10),
            joins=tuple((p, "2026-04") for p in range(2, 8)),
            leaves=((2, "2026-03"), (3, "2026-03")),
            swaps=((2, 3),),
            covers=tuple((p, p + 1) for p in range(2, 8)),
        ),
        _group(
            4,
            "action_learning",
            range(6),
            actions=_actions(done=range(6), carried_over=range(5), open=range(1)),
        ),
        _group(
            5,
            "action_learning",
            range(6),
            actions=_actions(done=range(5), carried_over=range(5), dropped=range(6)),
        ),
    ),
    one_group=False,
)
A_CONVENORS_SET = Organisation(
    HAND_MADE,
    (
        _group(
            4,
            "action_learning",
            range(8),
            joins=(*((p, "2026-02") for p in range(6)), (7, "2026-03")),
            actions=_actions(done=range(6), carried_over=range(5), open=range(1)),
            **_firsts(range(7), "2026-1", shadowed=range(5)),
        ),
    ),
    one_group=True,
)

# Person 0 led for the first time in both groups, so 5 first leads in January to March, and
# 6 in all, are about 4 people. The builder took the count for the number of people, and
# showed "5" and "6".
ONE_PERSON_FIRST_IN_TWO_GROUPS = Organisation(
    HAND_MADE,
    (
        _group(1, "action_learning", range(4), **_firsts(range(4), "2026-1", shadowed=range(0))),
        _group(
            2,
            "peer_support",
            range(2),
            first_leads=((0, "2026-1", False), (1, "2026-2", False)),
            turns={0: 1, 1: 1},
        ),
    ),
    one_group=False,
)


def _came(months: dict[str, Iterable[int]]) -> dict[str, tuple[Meeting, ...]]:
    """One recorded meeting in each month given, and who came to it."""
    held: dict[str, tuple[Meeting, ...]] = {mo: () for mo in HAND_MADE.months()}
    for mo, came in months.items():
        held[mo] = (Meeting(True, frozenset(came), frozenset(), frozenset()),)
    return held


# Two staff networks of 4 different people each, and a peer group that 8 people came to.
TWO_NETWORKS_OF_FOUR = Organisation(
    HAND_MADE,
    (
        _group(1, "staff_network", range(4), held=_came({"2026-02": range(4)})),
        _group(2, "staff_network", range(4, 8), held=_came({"2026-03": range(4, 8)})),
        _group(3, "peer_support", range(8), held=_came({"2026-02": range(8)})),
    ),
    one_group=False,
)


def relabel(org: Organisation, order: list[int]) -> Organisation:
    """The same organisation with every person known by another number."""
    new = dict(zip(PEOPLE, order, strict=True))

    def people(ps: Iterable[int]) -> frozenset[int]:
        return frozenset(new[p] for p in ps)

    def meeting(m: Meeting) -> Meeting:
        return replace(m, came=people(m.came), going=people(m.going))

    def group(g: Group) -> Group:
        return replace(
            g,
            members=people(g.members),
            held={mo: tuple(map(meeting, ms)) for mo, ms in g.held.items()},
            joins=tuple((new[p], mo) for p, mo in g.joins),
            leaves=tuple((new[p], mo) for p, mo in g.leaves),
            turns={new[p]: n for p, n in g.turns.items()},
            first_leads=tuple((new[p], q, s) for p, q, s in g.first_leads),
            swaps=tuple((new[a], new[b]) for a, b in g.swaps),
            covers=tuple((new[a], new[b]) for a, b in g.covers),
            actions=tuple((new[p], s) for p, s in g.actions),
        )

    return replace(org, groups=tuple(map(group, org.groups)))


# What the database queries would answer, counted from the people.


def _places(org: Organisation) -> list[tuple[int | str | None, list[Group]]]:
    kinds = sorted({g.row.kind for g in org.groups})
    return [
        *((g.row.id, [g]) for g in org.groups),
        *((k, [g for g in org.groups if g.row.kind == k]) for k in kinds),
        (None, list(org.groups)),
    ]


def _recorded(groups: Iterable[Group], months: Iterable[str] | None = None) -> list[Meeting]:
    return [
        m
        for g in groups
        for mo, ms in g.held.items()
        if months is None or mo in months
        for m in ms
        if m.recorded
    ]


def _union(sets: Iterable[Iterable[int]]) -> set[int]:
    return set(itertools.chain.from_iterable(sets))


def participation(org: Organisation) -> figures.Participation:
    p = figures.Participation()
    for g in org.groups:
        for mo in org.filters.months():
            key, held, recorded = (g.row.id, mo), g.held[mo], _recorded([g], [mo])
            if held or g.cancelled[mo]:
                p.held[key], p.cancelled[key] = len(held), g.cancelled[mo]
                p.recorded[key] = len(recorded)
            if recorded:
                p.attendances[key] = sum(len(m.came) for m in recorded)
                # Everyone in the group could have come, so attendance never exceeds it.
                p.expected[key] = len(g.members) * len(recorded)
    for place, groups in _places(org):
        if came := _union(m.came for m in _recorded(groups)):
            p.attendees[place] = len(came)
    for mo in org.filters.months():
        if came := _union(m.came for m in _recorded(org.groups, [mo])):
            p.attendees_by_month[mo] = len(came)
    return p


def membership(org: Organisation) -> figures.Membership:
    m = figures.Membership()
    for g in org.groups:
        gid = g.row.id
        m.joined[gid], m.joiners[gid] = len(g.joins), len({p for p, _ in g.joins})
        m.left[gid], m.leavers[gid] = len(g.leaves), len({p for p, _ in g.leaves})
        m.members[gid] = len(g.members)
    for mo in org.filters.months():
        joins = [p for g in org.groups for p, when in g.joins if when == mo]
        leaves = [p for g in org.groups for p, when in g.leaves if when == mo]
        if joins:
            m.joined_by_month[mo], m.joiners_by[f"month:{mo}"] = len(joins), len(set(joins))
        if leaves:
            m.left_by_month[mo], m.leavers_by[f"month:{mo}"] = len(leaves), len(set(leaves))
    for place, groups in _places(org):
        if isinstance(place, int):
            continue
        m.joiners_by[place] = len({p for g in groups for p, _ in g.joins})
        m.leavers_by[place] = len({p for g in groups for p, _ in g.leaves})
    return m


def no_shows(org: Organisation) -> figures.NoShows:
    r = figures.NoShows()
    for place, groups in _places(org):
        recorded = _recorded(groups)
        r.going[place] = sum(len(m.going) for m in recorded)
        r.missed[place] = sum(len(m.going - m.came) for m in recorded)
        r.people[place] = len(_union(m.going for m in recorded))
    return r


def leadership(org: Organisation) -> figures.Leadership:
    lead = figures.Leadership()
    for g in org.groups:
        gid = g.row.id
        if g.turns:
            # In the order of the people's numbers, so that relabelling reorders the turns.
            lead.leads[gid] = [g.turns[p] for p in sorted(g.turns)]
        lead.first_leads += [(gid, q, shadowed, person) for person, q, shadowed in g.first_leads]
        if g.swaps:
            lead.swaps[gid] = list(g.swaps)
        if g.covers:
            lead.covers[gid] = list(g.covers)
    return lead


def _held_in(groups: Iterable[Group], quarter: str | None) -> list[Meeting]:
    return [
        m
        for g in groups
        for mo, ms in g.held.items()
        if quarter is None or quarter_of(mo) == quarter
        for m in ms
    ]


def themes(org: Organisation) -> list[figures.ThemeCount]:
    out: list[figures.ThemeCount] = []
    kinds = sorted({g.row.kind for g in org.groups})
    for kind in ("", *kinds):
        groups = [g for g in org.groups if kind in ("", g.row.kind)]
        for quarter in org.filters.quarters():
            for theme in THEMES:
                about = [m for m in _held_in(groups, quarter) if theme in m.themes]
                if about:
                    people = len(_union(m.came for m in about))
                    out.append(figures.ThemeCount(theme, quarter, kind, len(about), people))
    return out


def theme_pairs(org: Organisation) -> list[figures.ThemePair]:
    out: list[figures.ThemePair] = []
    for first, second in itertools.combinations(THEMES, 2):
        both = [m for m in _held_in(org.groups, None) if {first, second} <= m.themes]
        if both:
            people = len(_union(m.came for m in both))
            out.append(figures.ThemePair(first, second, len(both), people))
    return out


def actions(org: Organisation) -> dict[int, figures.ActionCounts]:
    out: dict[int, figures.ActionCounts] = {}
    for g in org.groups:
        if g.row.kind != "action_learning" or not g.actions:
            continue
        out[g.row.id] = figures.ActionCounts(
            counts={s: sum(1 for _, t in g.actions if t == s) for s in ACTION_STATES},
            owners={s: len({p for p, t in g.actions if t == s}) for s in ACTION_STATES},
            total_owners=len({p for p, _ in g.actions}),
        )
    return out


# The page.


class RecordingLedger(Ledger):
    """A ledger that remembers how many people each figure was worked out from."""

    def __init__(self) -> None:
        super().__init__()
        self.people: dict[Hashable, int | None] = {}

    def add(
        self, key: Hashable, value: int | float | None, people: int | None, *, fmt: Fmt = "count"
    ) -> None:
        super().add(key, value, people, fmt=fmt)
        self.people[key] = people


@dataclass
class Built:
    page: Insights
    shown: Disclosure
    people: dict[Hashable, int | None] = field(default_factory=dict)


def build(org: Organisation) -> Built:
    """As `_insights()` does, with the database's answers counted from the people."""
    builder = _Builder(org.filters, org.rows, org.one_group)
    # Swapped in before anything is added, so every figure's people are on record.
    ledger = builder.ledger = RecordingLedger()
    builder.participation(participation(org), membership(org), no_shows(org))
    builder.leadership(leadership(org), membership(org))
    builder.themes(themes(org), theme_pairs(org))
    builder.actions(actions(org))
    shown = ledger.settle()
    page = Insights(filters=org.filters, one_group=org.one_group)
    builder.write(page, shown, {g.row.id: g.questions for g in org.groups})
    return Built(page, shown, ledger.people)


# Columns that name a row rather than give a figure; every other cell is a figure.
LABEL_COLUMNS = {
    "Group",
    "Kind",
    "Kind of group",
    "Month",
    "Quarter",
    "Rank",
    "Theme",
    "With",
    "Set",
    "Figure",
    "What it means",
}
# Tool 3 questions used: about meetings' agendas, not people, and never a ledger figure.
NOT_ABOUT_PEOPLE = {"coverage"}


def displayed(page: Insights) -> list[object]:
    """Everything a person reads on the page, as text."""
    return [
        sorted((t.id, t.columns, t.texts()) for t in page.tables.values()),
        [(r.label, r.figure.text, r.sentence) for r in (*page.glance, *page.leadership)],
        sorted((c.id, c.summary, c.message, c.rows) for c in page.charts.values()),
        page.rising,
        page.falling,
    ]


# The reader's oracle. It sees the page's tables and nothing else: the ledger's figures
# and families are not consulted, so a sum the builder forgot to declare shows up here.

Var = tuple[str, ...]
Sum = tuple[Var, list[Var]]  # a total and its parts

ADDING_UP = ("New members", "Members leaving")
LEADING = ("First-time leads", "Shadowed before first lead", "Swaps", "Covers")
# The all-groups figures that also appear in the "at a glance" readings.
READING = {
    "New members": ("glance", "New members"),
    "Members leaving": ("glance", "Members leaving"),
    "First-time leads": ("leadership", "First-time leads"),
    "Shadowed before first lead": ("leadership", "Shadowed before their first lead"),
    "Swaps": ("leadership", "Swaps and covers"),
}
NOT_SHADOWED = "not shadowed"


@dataclass
class ReaderView:
    """The count cells a reader can tie together, and the sums that tie them."""

    texts: dict[Var, str] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)
    # Unknowns a reader knows exist, though the page never shows them.
    unseen: set[Var] = field(default_factory=set)


def reader_view(page: Insights) -> ReaderView:
    view = ReaderView()
    tables = page.tables

    def rows(table_id: str) -> list[str]:
        return [r[0] for r in tables[table_id].texts()]

    def cell(table_id: str, row: str, column: str) -> Var:
        table = tables[table_id]
        (found,) = [r for r in table.texts() if r[0] == row]
        view.texts[(table_id, row, column)] = found[table.columns.index(column)]
        return (table_id, row, column)

    def overall(column: str) -> Var:
        table_id, label = READING[column]
        return cell(table_id, label, "Value")

    if not page.one_group:
        for group_table, kind_table, columns in (
            ("by_group", "by_kind", ADDING_UP),
            ("leadership_by_group", "leadership_by_kind", LEADING),
        ):
            kinds = [k for k in rows(kind_table) if k != "All groups"]
            for column in columns:
                for kind in kinds:
                    in_kind = [r[0] for r in tables[group_table].texts() if r[1] == kind]
                    view.sums.append(
                        (
                            cell(kind_table, kind, column),
                            [cell(group_table, g, column) for g in in_kind],
                        )
                    )
                everything = cell(kind_table, "All groups", column)
                view.sums.append((everything, [cell(kind_table, k, column) for k in kinds]))
                if column in READING:
                    # The same figure twice on the page.
                    view.sums.append((overall(column), [everything]))
        for table_id in ("leadership_by_group", "leadership_by_kind"):
            for row in rows(table_id):
                first = cell(table_id, row, "First-time leads")
                shadowed = cell(table_id, row, "Shadowed before first lead")
                view.sums.append((first, [shadowed, _not_shadowed(view, table_id, row)]))
    else:
        first, shadowed = overall("First-time leads"), overall("Shadowed before first lead")
        view.sums.append((first, [shadowed, _not_shadowed(view, "leadership", "")]))
    for column in ADDING_UP:
        view.sums.append(
            (overall(column), [cell("by_month", mo, column) for mo in rows("by_month")])
        )
    view.sums.append(
        (
            overall("First-time leads"),
            [cell("first_leads", q, "First-time leads") for q in rows("first_leads")],
        )
    )
    if "actions" in tables:
        sets = [s for s in rows("actions") if s != "All sets"]
        labels = [ACTION_LABELS[s] for s in ACTION_STATES]
        for s in rows("actions"):
            view.sums.append(
                (cell("actions", s, "Actions set"), [cell("actions", s, c) for c in labels])
            )
        if "All sets" in rows("actions"):
            for c in ("Actions set", *labels):
                view.sums.append(
                    (cell("actions", "All sets", c), [cell("actions", s, c) for s in sets])
                )
    return view


def _not_shadowed(view: ReaderView, table_id: str, row: str) -> Var:
    """First-time leads who didn't shadow first.

    Never shown, so a reader can't bound it; it only tells them that those who shadowed
    are no more than the first-time leads.
    """
    unseen = (NOT_SHADOWED, table_id, row)
    view.texts[unseen] = HIDDEN_TEXT
    view.unseen.add(unseen)
    return unseen


def truth(org: Organisation, var: Var) -> int:
    """What a cell is about, counted from the people: the oracle's answer key."""
    if var[0] == NOT_SHADOWED:
        _, table_id, row = var
        if table_id == "leadership":
            first = (table_id, "First-time leads", "Value")
            shadowed = (table_id, "Shadowed before their first lead", "Value")
        else:
            first = (table_id, row, "First-time leads")
            shadowed = (table_id, row, "Shadowed before first lead")
        return truth(org, first) - truth(org, shadowed)
    return len(_behind(org, var))


def people_behind(org: Organisation, var: Var) -> int:
    """How many different people a cell was worked out from."""
    return len(set(itertools.chain.from_iterable(_behind(org, var))))


def _behind(org: Organisation, var: Var) -> list[tuple[int, ...]]:
    """Whoever is behind each thing a cell counts: one joiner, one pair who swapped."""
    table_id, row, column = var
    groups = list(org.groups)
    month = quarter = None
    if table_id in ("by_group", "leadership_by_group", "actions") and row != "All sets":
        groups = [g for g in groups if g.row.name == row]
    elif table_id in ("by_kind", "leadership_by_kind") and row != "All groups":
        groups = [g for g in groups if KINDS[g.row.kind] == row]
    elif table_id == "by_month":
        (month,) = [mo for mo in org.filters.months() if month_label(mo) == row]
    elif table_id == "first_leads":
        (quarter,) = [q for q in org.filters.quarters() if quarter_label(q) == row]
    elif table_id in ("glance", "leadership"):
        column = {label: c for c, (_, label) in READING.items()}[row]
    firsts = [f for g in groups for f in g.first_leads if quarter in (None, f[1])]
    if column == "New members":
        return [(p,) for g in groups for p, mo in g.joins if month in (None, mo)]
    if column == "Members leaving":
        return [(p,) for g in groups for p, mo in g.leaves if month in (None, mo)]
    if column == "First-time leads":
        return [(p,) for p, _, _ in firsts]
    if column == "Shadowed before first lead":
        return [(p,) for p, _, shadowed in firsts if shadowed]
    if column == "Swaps":
        return [pair for g in groups for pair in g.swaps]
    if column == "Covers":
        return [pair for g in groups for pair in g.covers]
    states = {ACTION_LABELS[s]: s for s in ACTION_STATES}
    return [
        (p,) for g in groups for p, s in g.actions if column == "Actions set" or states[column] == s
    ]


Domains = dict[Var, tuple[int, int]]
Equation = tuple[dict[Var, int], int]  # coefficients of the unknowns, and the constant


def _propagate(domains: Domains, equations: list[Equation]) -> Domains | None:
    """Narrow every unknown to what its sums allow, until nothing changes; None if none fit."""
    domains = dict(domains)
    changed = True
    while changed:
        changed = False
        for coefficients, constant in equations:
            ranges = {
                v: sorted((a * domains[v][0], a * domains[v][1])) for v, a in coefficients.items()
            }
            low = sum(r[0] for r in ranges.values())
            high = sum(r[1] for r in ranges.values())
            if not low <= constant <= high:
                return None
            for v, a in coefficients.items():
                rest_low, rest_high = low - ranges[v][0], high - ranges[v][1]
                ends = sorted(((constant - rest_high) * a, (constant - rest_low) * a))
                lo, hi = max(domains[v][0], ends[0]), min(domains[v][1], ends[1])
                if lo > hi:
                    return None
                if (lo, hi) != domains[v]:
                    domains[v] = (lo, hi)
                    changed = True
    return domains


def _solution(
    domains: Domains, equations: list[Equation], near: dict[Var, int]
) -> dict[Var, int] | None:
    """Whole numbers within the domains that make every sum hold, if there are any."""
    narrowed = _propagate(domains, equations)
    if narrowed is None:
        return None
    open_vars = [v for v, (lo, hi) in narrowed.items() if lo < hi]
    if not open_vars:
        return {v: lo for v, (lo, _) in narrowed.items()}
    v = min(open_vars, key=lambda u: narrowed[u][1] - narrowed[u][0])
    lo, hi = narrowed[v]
    # Near the true value first: a second answer, if there is one, is usually close by.
    for x in sorted(range(lo, hi + 1), key=lambda x: abs(x - near[v])):
        found = _solution({**narrowed, v: (x, x)}, equations, near)
        if found is not None:
            return found
    return None


def pinned(org: Organisation, view: ReaderView) -> list[tuple[Var, str, int]]:
    """Every cell not shown that the reader can work out from the page, with its value."""
    true = {v: truth(org, v) for v in view.texts}
    known: dict[Var, int] = {}
    domains: Domains = {}
    ceiling = max(true.values(), default=0) + SUPPRESS_BELOW
    for v, text in view.texts.items():
        if text == SMALL_TEXT:
            # A count of actions or swaps can exceed the people it is about; the range
            # holds the true value, as the ledger's own bounds do.
            domains[v] = (min(1, true[v]), max(SUPPRESS_BELOW - 1, true[v]))
        elif text == HIDDEN_TEXT:
            domains[v] = (0, ceiling)
        else:
            known[v] = int(text.replace(",", ""))
            assert known[v] == true[v], f"{v} shows {text}, but it is {true[v]}"
            people = people_behind(org, v)
            assert not 1 <= people < SUPPRESS_BELOW, f"{v} shows {text}, about {people} people"
    equations: list[Equation] = []
    for total, parts in view.sums:
        assert true[total] == sum(true[p] for p in parts), f"{total} is not the sum of {parts}"
        coefficients: dict[Var, int] = {}
        constant = 0
        for v, a in ((total, -1), *((p, 1) for p in parts)):
            if v in known:
                constant -= a * known[v]
            else:
                coefficients[v] = coefficients.get(v, 0) + a
        if coefficients:
            equations.append((coefficients, constant))
        else:
            assert constant == 0
    # Sums that share no unknown can't help each other: search each tangle on its own.
    tangles: list[tuple[set[Var], list[Equation]]] = []
    for equation in equations:
        joined = [t for t in tangles if t[0] & equation[0].keys()]
        merged: tuple[set[Var], list[Equation]] = (set(equation[0]), [equation])
        for t in joined:
            tangles.remove(t)
            merged[0].update(t[0])
            merged[1].extend(t[1])
        tangles.append(merged)
    found: list[tuple[Var, str, int]] = []
    for variables, tangle in tangles:
        local = {v: domains[v] for v in variables}
        # Any second answer frees every figure it changes, not only the one asked about.
        moved: set[Var] = set()
        for v in sorted(variables):
            if v in moved:
                continue
            if v in view.unseen and not 1 <= true[v] < SUPPRESS_BELOW:
                # Never on the page, and not about 1 to 4 people: nothing to protect.
                continue
            (lo, hi), value = local[v], true[v]
            for below_or_above in ((lo, value - 1), (value + 1, hi)):
                if below_or_above[0] > below_or_above[1]:
                    continue
                other = _solution({**local, v: below_or_above}, tangle, true)
                if other is not None:
                    moved.update(w for w, x in other.items() if x != true[w])
                    break
            else:
                found.append((v, view.texts[v], value))
    return found


# Properties.


@settings(max_examples=100)
@given(organisations())
def test_no_figure_about_one_to_four_people_is_shown(org: Organisation) -> None:
    built = build(org)
    for key, people in built.people.items():
        if people is not None and 1 <= people < SUPPRESS_BELOW:
            assert built.shown[key].state != "shown", f"{key} about {people} people is shown"
    # A cell that is not one of the settled figures would have skipped the ledger.
    settled = {id(s) for s in built.shown.values()}
    for table in built.page.tables.values():
        for row in table.rows:
            for column, c in zip(table.columns, row, strict=True):
                if column in LABEL_COLUMNS or table.id in NOT_ABOUT_PEOPLE:
                    assert isinstance(c, str), f"{table.id} {column}: {c!r}"
                else:
                    assert isinstance(c, Shown) and id(c) in settled, f"{table.id} {column}: {c!r}"
    for reading in (*built.page.glance, *built.page.leadership):
        assert id(reading.figure) in settled, reading


@settings(max_examples=150)
@given(organisations())
@example(ONE_SMALL_IN_EACH_SUM)
@example(A_CONVENORS_SET)
@example(ONE_PERSON_FIRST_IN_TWO_GROUPS)
def test_no_count_that_is_not_shown_can_be_worked_out_from_the_page(org: Organisation) -> None:
    page = build(org).page
    view = reader_view(page)
    assert not pinned(org, view), _page_text(page)


@settings(max_examples=50)
@given(organisations())
def test_every_csv_export_says_exactly_what_the_page_shows(org: Organisation) -> None:
    page = build(org).page
    for table in page.tables.values():
        body = _csv(page, table.id).content
        assert isinstance(body, bytes)
        exported = list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))
        on_page = [[c if isinstance(c, str) else c.text for c in row] for row in table.rows]
        assert exported == [list(table.columns), *on_page]


@settings(max_examples=50)
@given(organisations(), st.permutations(PEOPLE))
def test_who_the_people_are_changes_nothing_on_the_page(
    org: Organisation, order: list[int]
) -> None:
    assert displayed(build(relabel(org, order)).page) == displayed(build(org).page)


def _page_text(page: Insights) -> str:
    return "\n".join(
        f"{t.id}: {t.columns}\n" + "\n".join(f"  {row}" for row in t.texts())
        for t in page.tables.values()
        if t.id != "coverage"
    )


def _at_least_each(total: str, parts: list[str]) -> int | None:
    """The fewest people each "fewer than 5" part can be about, or None if unbounded.

    Different people in a total are no more than the parts' people added up, so the parts
    must make up at least the total between them.
    """
    if total in (SMALL_TEXT, HIDDEN_TEXT) or HIDDEN_TEXT in parts or SMALL_TEXT not in parts:
        return None
    shown = sum(int(p.replace(",", "")) for p in parts if p != SMALL_TEXT)
    others_at_most = (SUPPRESS_BELOW - 1) * (parts.count(SMALL_TEXT) - 1)
    return int(total.replace(",", "")) - shown - others_at_most


def test_different_people_in_a_kind_do_not_give_away_how_many_came_to_each_group() -> None:
    tables = {t.id: t.texts() for t in build(TWO_NETWORKS_OF_FOUR).page.tables.values()}
    column = "Active members"
    by_group, by_kind = tables["by_group"], tables["by_kind"]
    group_at = 2 + PARTICIPATION_COLUMNS.index(column)
    kind_at = 1 + PARTICIPATION_COLUMNS.index(column)
    for kind in by_kind:
        parts = [g[group_at] for g in by_group if g[1] == kind[0]]
        if kind[0] == "All groups":
            parts = [k[kind_at] for k in by_kind if k[0] != "All groups"]
        fewest = _at_least_each(kind[kind_at], parts)
        # "8" beside two "fewer than 5" can only be 4 and 4.
        assert fewest is None or fewest < SUPPRESS_BELOW - 1, (kind, parts)
