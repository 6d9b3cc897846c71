from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import disclosure
from app.domain.disclosure import Disclosure, Ledger, Shown
from app.domain.groups import SUPPRESS_BELOW

SUPPRESSED = ("small", "hidden")


@dataclass
class Table:
    """Counts of people, with the sums a reader of the page can see."""

    values: dict[Hashable, int]
    families: list[tuple[Hashable, list[Hashable]]]
    # For counts that are not themselves numbers of people (swaps, pooled over groups).
    people: dict[Hashable, int] = field(default_factory=dict)

    def ledger(self) -> Ledger:
        ledger = Ledger()
        for key, value in self.values.items():
            ledger.add(key, value, self.people.get(key, value))
        for total, parts in self.families:
            ledger.family(total, parts)
        return ledger


def column(values: Sequence[int]) -> Table:
    cells = {("cell", i): v for i, v in enumerate(values)}
    return Table({**cells, "total": sum(values)}, [("total", list(cells))])


def cross_tab(rows: Sequence[Sequence[int]]) -> Table:
    """Cells, row totals, column totals and a grand total: each cell is in two sums."""
    r, c = len(rows), len(rows[0])
    values: dict[Hashable, int] = {("cell", i, j): rows[i][j] for i in range(r) for j in range(c)}
    families: list[tuple[Hashable, list[Hashable]]] = []
    for i in range(r):
        values[("row", i)] = sum(rows[i])
        families.append((("row", i), [("cell", i, j) for j in range(c)]))
    for j in range(c):
        values[("col", j)] = sum(rows[i][j] for i in range(r))
        families.append((("col", j), [("cell", i, j) for i in range(r)]))
    values["all"] = sum(map(sum, rows))
    families.append(("all", [("row", i) for i in range(r)]))
    families.append(("all", [("col", j) for j in range(c)]))
    return Table(values, families)


def cube(values: Sequence[int]) -> Table:
    """A 2 x 2 x 2 table with its line totals: each cell is in three sums, not two."""
    cells = [(i, j, k) for i in range(2) for j in range(2) for k in range(2)]
    table: dict[Hashable, int] = {("cell", *c): v for c, v in zip(cells, values, strict=True)}
    families: list[tuple[Hashable, list[Hashable]]] = []
    for axis in range(3):
        for a in range(2):
            for b in range(2):
                line = [
                    ("cell", *c)
                    for c in cells
                    if [x for n, x in enumerate(c) if n != axis] == [a, b]
                ]
                table[("line", axis, a, b)] = sum(table[key] for key in line)
                families.append((("line", axis, a, b), line))
    return Table(table, families)


KINDS = ("peer", "network", "forum", "learning", "mentoring")
ADDITIVE = ("joined", "left", "first", "shadowed", "not_shadowed", "swaps", "covers")


def split_places(values: Sequence[Sequence[int]], kinds: int) -> Table:
    """First leads = shadowed + not shadowed, for each group, each kind and the total.

    A kind's figures are each in three families (its own groups, the kinds, its split),
    as on the insights page, so this is not a flow network as declared.
    """
    table = Table({}, [])
    groups = [(g, g % kinds) for g in range(len(values))]
    places: list[tuple[Hashable, list[int]]] = [(g, [g]) for g, _ in groups]
    places += [(f"kind {k}", [g for g, kind in groups if kind == k]) for k in range(kinds)]
    places.append(("all", [g for g, _ in groups]))
    for place, members in places:
        shadowed = sum(values[g][0] for g in members)
        not_shadowed = sum(values[g][1] for g in members)
        table.values[("first", place)] = shadowed + not_shadowed
        table.values[("shadowed", place)] = shadowed
        table.values[("not_shadowed", place)] = not_shadowed
        table.families.append((("first", place), [("shadowed", place), ("not_shadowed", place)]))
    for figure in ("first", "shadowed", "not_shadowed"):
        for k in range(kinds):
            table.families.append(
                ((figure, f"kind {k}"), [(figure, g) for g, kind in groups if kind == k])
            )
        table.families.append(((figure, "all"), [(figure, f"kind {k}") for k in range(kinds)]))
    return table


def page_like(groups: int, seed: int) -> Table:
    """The shapes of the organiser's insights page, with made-up figures of its sizes."""
    rng = random.Random(seed)

    def count() -> int:
        # About one figure in ten is about 1 to 4 people.
        roll = rng.random()
        if roll < 0.3:
            return 0
        if roll < 0.42:
            return rng.randint(1, 4)
        return rng.randint(5, 40)

    def spread(total: int, parts: int) -> list[int]:
        # Uneven, so that some months and quarters are small.
        weights = [rng.random() ** 3 for _ in range(parts)]
        cuts = [math.floor(total * sum(weights[:i]) / sum(weights)) for i in range(parts)]
        return [b - a for a, b in zip(cuts, [*cuts[1:], total], strict=True)]

    table = Table({}, [])
    kind_of = {g: KINDS[rng.randrange(len(KINDS))] for g in range(groups)}
    members = {k: [g for g in range(groups) if kind_of[g] == k] for k in KINDS}
    kinds = [k for k in KINDS if members[k]]
    places: list[tuple[Hashable, list[int]]] = [(g, [g]) for g in range(groups)]
    places += [(k, members[k]) for k in kinds]
    places.append((None, list(range(groups))))
    per_group = {figure: {g: count() for g in range(groups)} for figure in ADDITIVE}
    per_group["first"] = {
        g: per_group["shadowed"][g] + per_group["not_shadowed"][g] for g in kind_of
    }
    for figure in ADDITIVE:
        for place, ids in places:
            table.values[(figure, place)] = sum(per_group[figure][g] for g in ids)
            if figure in ("swaps", "covers"):
                # A swap is between people: a pooled figure is floored by its largest group.
                table.people[(figure, place)] = max(min(per_group[figure][g], 6) for g in ids)
        for kind in kinds:
            table.families.append(((figure, kind), [(figure, g) for g in members[kind]]))
        table.families.append(((figure, None), [(figure, k) for k in kinds]))
    for place, _ in places:
        table.families.append((("first", place), [("shadowed", place), ("not_shadowed", place)]))
    for figure, labels in (("joined", 12), ("left", 12), ("first", 5)):
        parts: list[Hashable] = [(figure, f"period {i}") for i in range(labels)]
        for key, value in zip(parts, spread(table.values[(figure, None)], labels), strict=True):
            table.values[key] = value
        table.families.append(((figure, None), parts))
    for theme in range(18):
        quarters: list[Hashable] = []
        for quarter in range(5):
            cells: list[Hashable] = [("theme", theme, quarter, kind) for kind in kinds]
            for cell in cells:
                table.values[cell] = count()
            table.values[("theme", theme, quarter, "")] = sum(table.values[c] for c in cells)
            table.families.append((("theme", theme, quarter, ""), cells))
            quarters.append(("theme", theme, quarter, ""))
        table.values[("theme", theme, None, "")] = sum(table.values[q] for q in quarters)
        table.families.append((("theme", theme, None, ""), quarters))
    states = ("done", "carried_over", "open", "dropped")
    sets = members.get("learning", [])
    for g in sets:
        for state in states:
            table.values[(state, g)] = count()
        table.values[("actions", g)] = sum(table.values[(s, g)] for s in states)
        table.families.append((("actions", g), [(s, g) for s in states]))
    for state in states:
        table.values[(state, "sets")] = sum(table.values[(state, g)] for g in sets)
        table.families.append(((state, "sets"), [(state, g) for g in sets]))
    table.values[("actions", "sets")] = sum(table.values[(s, "sets")] for s in states)
    table.families.append((("actions", "sets"), [(s, "sets") for s in states]))
    table.families.append((("actions", "sets"), [("actions", g) for g in sets]))
    return table


def states(shown: Disclosure) -> dict[Hashable, str]:
    return {key: s.state for key, s in shown.items()}


# An oracle that knows nothing of the ledger's algebra: it searches whole numbers.


def other_values_exist(table: Table, shown: Disclosure) -> dict[Hashable, bool]:
    """For each figure not shown: can it take a second value that fits everything visible?

    A reader knows every shown figure, that the families add up, that "fewer than 5"
    means 1 to 4 and that "not shown" means 0 or more. The ceiling on "not shown" keeps
    the search finite; it is above every true value, so the true figures always fit.
    """
    ceiling = max(table.values.values()) + 5
    bounds = {
        key: (1, SUPPRESS_BELOW - 1) if s.state == "small" else (0, ceiling)
        for key, s in shown.items()
        if s.state in SUPPRESSED
    }
    known = {key: s.value for key, s in shown.items() if s.state == "shown"}
    signed = [[(total, -1)] + [(p, 1) for p in parts] for total, parts in table.families]

    def fits(fixed: dict[Hashable, int]) -> bool:
        fixed = dict(fixed)
        while True:
            forced = False
            for members in signed:
                sum_known = 0
                free: list[tuple[Hashable, int]] = []
                for key, sign in members:
                    if key in known:
                        sum_known += sign * int(known[key] or 0)
                    elif key in fixed:
                        sum_known += sign * fixed[key]
                    else:
                        free.append((key, sign))
                low = sum(sign * bounds[k][0 if sign > 0 else 1] for k, sign in free)
                high = sum(sign * bounds[k][1 if sign > 0 else 0] for k, sign in free)
                if not low <= -sum_known <= high:
                    return False
                if len(free) == 1:
                    key, sign = free[0]
                    fixed[key] = -sum_known * sign
                    forced = True
            if not forced:
                break
        open_keys = [k for k in bounds if k not in fixed]
        if not open_keys:
            return True
        key = min(open_keys, key=lambda k: bounds[k][1] - bounds[k][0])
        low, high = bounds[key]
        # Near the true value first: a second answer, if there is one, is usually close.
        true = table.values[key]
        for value in sorted(range(low, high + 1), key=lambda v: abs(v - true)):
            if fits({**fixed, key: value}):
                return True
        return False

    answer = {}
    for key, (low, high) in bounds.items():
        true = table.values[key]
        others = sorted((v for v in range(low, high + 1) if v != true), key=lambda v: abs(v - true))
        answer[key] = any(fits({key: v}) for v in others)
    return answer


def assert_nothing_can_be_worked_out(table: Table, shown: Disclosure) -> None:
    for key, s in shown.items():
        people = table.values[key]
        if s.state == "shown":
            assert not 1 <= people < SUPPRESS_BELOW, f"{key} shows {people} people"
            assert s.value == people
    pinned = [key for key, free in other_values_exist(table, shown).items() if not free]
    assert not pinned, f"{pinned} can be worked out from {states(shown)}"


# A column with its total.


def test_one_small_cell_in_a_column_with_a_shown_total_hides_a_second_cell() -> None:
    shown = column([3, 12, 7, 20]).ledger().settle()
    # The smallest shown part goes: it gives away least about everything else.
    assert states(shown) == {
        ("cell", 0): "small",
        ("cell", 1): "shown",
        ("cell", 2): "hidden",
        ("cell", 3): "shown",
        "total": "shown",
    }
    assert shown[("cell", 0)].text == "fewer than 5"
    assert shown[("cell", 2)].text == "not shown"


def test_two_small_cells_in_a_column_still_hide_a_third_cell() -> None:
    # 4 + 4 = 8, and two figures of 1 to 4 that add to 8 can only be 4 and 4.
    table = column([4, 4, 9, 11])
    shown = table.ledger().settle()
    assert [shown[("cell", i)].state for i in range(4)] == ["small", "small", "hidden", "shown"]
    assert_nothing_can_be_worked_out(table, shown)


def test_a_small_part_whose_family_is_otherwise_zeros_hides_the_total() -> None:
    # Turns led: 3 turns by 2 people in one group, none in the other two; 15 members.
    ledger = Ledger()
    for group, (turns, people) in enumerate([(3, 2), (0, 6), (0, 7)]):
        ledger.add(("turns", group), turns, people)
    ledger.add("turns", 3, 15)
    ledger.family("turns", [("turns", g) for g in range(3)])
    shown = ledger.settle()
    assert [shown[("turns", g)].state for g in range(3)] == ["small", "shown", "shown"]
    assert shown["turns"].state == "hidden"


def test_a_column_with_nothing_small_shows_everything() -> None:
    shown = column([5, 0, 12]).ledger().settle()
    assert set(states(shown).values()) == {"shown"}


def test_a_zero_is_shown_because_it_is_about_nobody() -> None:
    ledger = Ledger()
    ledger.add("joined", 0, 0)
    assert ledger.settle()["joined"] == Shown(0, "shown")


def test_a_figure_not_about_people_is_never_small() -> None:
    ledger = Ledger()
    ledger.add("meetings held", 3, None)
    assert ledger.settle()["meetings held"] == Shown(3, "shown")


def test_a_figure_without_a_value_has_no_data_even_with_few_people() -> None:
    ledger = Ledger()
    ledger.add("rate", None, 2, fmt="percent")
    assert ledger.settle()["rate"] == Shown(None, "none", "percent")
    assert ledger.settle()["rate"].text == "no data"


def test_a_rate_from_few_people_is_suppressed_on_its_own() -> None:
    ledger = Ledger()
    ledger.add("rate", 0.75, 4, fmt="percent")
    ledger.add("average", 2.25, 4, fmt="decimal")
    ledger.add("gini", 0.5, 5, fmt="gini")
    shown = ledger.settle()
    assert shown["rate"].text == "fewer than 5 people"
    assert shown["average"].text == "fewer than 5 people"
    assert shown["gini"].text == "0.50"


def test_the_labels_alone_can_pin_a_total_split_into_four_single_people() -> None:
    # 4 parts of at least 1 in a total below 5: all must be 1, so the total stops saying
    # "fewer than 5".
    table = column([1, 1, 1, 1])
    shown = table.ledger().settle()
    assert [shown[("cell", i)].state for i in range(4)] == ["small"] * 4
    assert shown["total"].state == "hidden"
    assert_nothing_can_be_worked_out(table, shown)


# Cross-tabulations: a figure in two families.


def test_a_small_cell_in_a_cross_tab_is_safe_across_rows_and_columns() -> None:
    table = cross_tab([[3, 12, 9], [8, 15, 6], [10, 7, 11]])
    shown = table.ledger().settle()
    assert shown[("cell", 0, 0)].state == "small"
    suppressed = {k for k, s in shown.items() if s.state in SUPPRESSED}
    # A cell alone in its row or its column could be worked out from the margins.
    for i in range(3):
        row = [k for k in suppressed if k[0] == "cell" and k[1] == i]
        col = [k for k in suppressed if k[0] == "cell" and k[2] == i]
        assert len(row) != 1 and len(col) != 1
    assert_nothing_can_be_worked_out(table, shown)


def test_two_small_cells_on_a_diagonal_cannot_be_pinned_by_their_difference() -> None:
    # Hiding one more cell per row and column leaves 4 - 1 = 3 known, and two figures of
    # 1 to 4 that differ by 3 can only be 4 and 1: a margin has to go too.
    table = cross_tab([[4, 9], [8, 1]])
    shown = table.ledger().settle()
    assert shown[("cell", 0, 1)].state == shown[("cell", 1, 0)].state == "hidden"
    assert any(shown[k].state == "hidden" for k in [("row", 0), ("row", 1), ("col", 0), ("col", 1)])
    assert_nothing_can_be_worked_out(table, shown)


def test_a_kind_made_only_of_small_groups_hides_the_kind_and_a_second_kind() -> None:
    ledger = Ledger()
    groups = {"a": ("x", 2), "b": ("x", 3), "c": ("y", 6), "d": ("y", 7), "e": ("z", 8)}
    for name, (_, joined) in groups.items():
        ledger.add(name, joined, joined)
    for kind in "xyz":
        members = [g for g, (k, _) in groups.items() if k == kind]
        value = sum(groups[g][1] for g in members)
        ledger.add(kind, value, value)
        ledger.family(kind, members)
    ledger.add("all", 26, 26)
    ledger.family("all", list("xyz"))
    shown = ledger.settle()
    # Kind x has nothing shown left to hide but its own count. Once that goes, the total
    # less the other kinds would give it back, so the smallest other kind goes too; and
    # as kind z is its one group, that group goes with it.
    assert states(shown) == {
        "a": "small",
        "b": "small",
        "x": "hidden",
        "c": "shown",
        "d": "shown",
        "y": "shown",
        "e": "hidden",
        "z": "hidden",
        "all": "shown",
    }


# A split repeated at every level: kinds' figures in three families, as declared.


def test_a_split_repeated_at_every_level_is_checked_exactly() -> None:
    # Groups 0 and 2 make kind 0, group 1 is kind 1. Each kind's split follows from its
    # groups', so the shape is a network once that is left out, and sizes are checked
    # exactly: trying basic moves alone, cautiously, hid six of the seven figures shown
    # here, the three totals among them.
    table = split_places([(0, 1), (6, 1), (8, 9)], kinds=2)
    shown = table.ledger().settle()
    assert {k: s for k, s in states(shown).items() if s == "shown"} == {
        ("shadowed", 0): "shown",
        ("first", 1): "shown",
        ("first", "kind 0"): "shown",
        ("first", "kind 1"): "shown",
        ("first", "all"): "shown",
        ("shadowed", "all"): "shown",
        ("not_shadowed", "all"): "shown",
    }
    assert_nothing_can_be_worked_out(table, shown)


# The ledger's own rules.


def test_adding_the_same_figure_twice_is_allowed_only_when_it_is_identical() -> None:
    ledger = Ledger()
    ledger.add("held", 12, None)
    ledger.add("held", 12, None)
    with pytest.raises(ValueError, match="twice"):
        ledger.add("held", 13, None)
    with pytest.raises(ValueError, match="twice"):
        ledger.add("held", 12, 12)


def test_a_family_must_add_up() -> None:
    ledger = Ledger()
    ledger.add("a", 2, 2)
    ledger.add("b", 3, 3)
    ledger.add("total", 6, 6)
    with pytest.raises(ValueError, match="add to 5"):
        ledger.family("total", ["a", "b"])


def test_a_family_is_made_of_counts_already_added() -> None:
    ledger = Ledger()
    ledger.add("a", 2, 2)
    ledger.add("rate", 0.5, 9, fmt="percent")
    with pytest.raises(KeyError):
        ledger.family("missing", ["a"])
    with pytest.raises(ValueError, match="only counts"):
        ledger.family("a", ["rate"])
    with pytest.raises(ValueError, match="twice"):
        ledger.family("a", ["a"])


def test_a_family_of_no_parts_is_a_total_of_zero() -> None:
    # No action learning sets in scope: the sets' total adds up over nothing.
    ledger = Ledger()
    ledger.add("done", 0, 0)
    ledger.family("done", [])
    assert ledger.settle()["done"] == Shown(0, "shown")
    ledger.add("open", 2, 2)
    with pytest.raises(ValueError, match="add to 0"):
        ledger.family("open", [])


@pytest.mark.parametrize(
    ("value", "people", "fmt"),
    [
        (-1, 3, "count"),
        (2.5, 3, "count"),
        (1, -1, "count"),
        (math.nan, 3, "percent"),
        (1, 3, "pie"),
    ],
)
def test_a_figure_that_cannot_be_a_figure_is_refused(value: float, people: int, fmt: str) -> None:
    with pytest.raises(ValueError):
        Ledger().add("x", value, people, fmt=fmt)  # type: ignore[arg-type]


def test_settling_leaves_the_ledger_as_it_was() -> None:
    ledger = column([3, 12, 7, 20]).ledger()
    assert dict(ledger.settle()) == dict(ledger.settle())


# What people read.


@pytest.mark.parametrize(
    ("shown", "text"),
    [
        (Shown(1234, "shown"), "1,234"),
        (Shown(0, "shown"), "0"),
        (Shown(0.634, "shown", "percent"), "63%"),
        (Shown(0.125, "shown", "percent"), "13%"),
        (Shown(0.0, "shown", "percent"), "0%"),
        (Shown(0.004, "shown", "percent"), "under 1%"),
        (Shown(0.996, "shown", "percent"), "over 99%"),
        (Shown(1.0, "shown", "percent"), "100%"),
        (Shown(2.25, "shown", "decimal"), "2.2"),
        (Shown(1234.56, "shown", "decimal"), "1,234.6"),
        (Shown(0.18, "shown", "gini"), "0.18"),
        (Shown(None, "small"), "fewer than 5"),
        (Shown(None, "small", "percent"), "fewer than 5 people"),
        (Shown(None, "hidden"), "not shown"),
        (Shown(None, "none", "percent"), "no data"),
    ],
)
def test_each_figure_reads_as_people_expect(shown: Shown, text: str) -> None:
    assert shown.text == text


def test_only_shown_figures_sort_by_their_value() -> None:
    assert Shown(7, "shown").sortable == 7.0
    assert Shown(None, "small").sortable is None
    assert Shown(None, "hidden").sortable is None


def test_a_figure_not_shown_carries_no_value() -> None:
    with pytest.raises(ValueError):
        Shown(3, "small")
    with pytest.raises(ValueError):
        Shown(None, "shown")


# Properties, against the oracle.

counts = st.integers(0, 20)
columns = st.lists(counts, min_size=1, max_size=5).map(column)
grids = st.integers(1, 3).flatmap(
    lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=1, max_size=3)
)
tables = st.one_of(columns, grids.map(cross_tab))
# Small counts come up often enough to need protecting, and to need it together.
smallish = st.integers(0, 6)
crowded = st.one_of(
    st.lists(smallish, min_size=1, max_size=5).map(column),
    st.integers(1, 3)
    .flatmap(lambda c: st.lists(st.lists(smallish, min_size=c, max_size=c), min_size=1, max_size=3))
    .map(cross_tab),
)


@settings(max_examples=200)
@given(st.one_of(tables, crowded))
def test_no_figure_that_is_not_shown_can_be_worked_out(table: Table) -> None:
    assert_nothing_can_be_worked_out(table, table.ledger().settle())


@settings(max_examples=100)
@given(tables)
def test_the_same_figures_always_give_the_same_page(table: Table) -> None:
    first = table.ledger().settle()
    again = table.ledger().settle()
    assert dict(first) == dict(again)
    assert list(first) == list(table.values)


@settings(max_examples=50)
@given(st.lists(st.integers(0, 8), min_size=8, max_size=8).map(cube))
def test_a_three_way_table_is_protected_too(table: Table) -> None:
    # Not a flow network, so the ledger falls back to a more cautious check.
    assert_nothing_can_be_worked_out(table, table.ledger().settle())


splits = st.integers(2, 4).flatmap(
    lambda groups: st.lists(
        st.tuples(smallish, st.integers(0, 9)), min_size=groups, max_size=groups
    )
)


# The oracle's search, not the ledger, can take most of a second on a split made only
# of small figures.
@settings(max_examples=100, deadline=None)
@given(splits, st.integers(1, 2))
def test_a_split_repeated_at_every_level_is_protected(
    values: list[tuple[int, int]], kinds: int
) -> None:
    table = split_places(values, kinds)
    assert_nothing_can_be_worked_out(table, table.ledger().settle())


# A page the size of the demo organisation's. The oracle cannot search one this big;
# time is not asserted (CI machines vary), but the work is: an audit of a whole tangle
# per fix, or elimination over fractions for a shape the page really has, took minutes.


@pytest.mark.timeout(60)
def test_a_page_of_three_hundred_groups_settles_without_redoing_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = page_like(groups=300, seed=20240601)
    ledger = table.ledger()
    work = {"eliminations": 0, "audits": 0}
    rref, at_risk = disclosure._rref, disclosure._Settlement._at_risk

    def counted_rref(equations: list[dict[int, int]]) -> object:
        work["eliminations"] += 1
        return rref(equations)

    def counted_at_risk(self: disclosure._Settlement, tangle: disclosure._Tangle) -> list[int]:
        work["audits"] += 1
        return at_risk(self, tangle)

    monkeypatch.setattr(disclosure, "_rref", counted_rref)
    monkeypatch.setattr(disclosure._Settlement, "_at_risk", counted_at_risk)
    shown = ledger.settle()

    small = [k for k, s in shown.items() if s.state == "small"]
    hidden = [k for k, s in shown.items() if s.state == "hidden"]
    # About one figure in ten is about 1 to 4 people, and protecting them hides more.
    assert 0.05 < len(small) / len(shown) < 0.2
    assert hidden
    # Every shape on the page is a network, once kinds' splits are left out.
    assert work["eliminations"] == 0
    # Hundreds of figures are hidden, but whole tangles are audited only now and then:
    # about once for each to start with, and again when a fix leaves no figure alone.
    assert work["audits"] < 150
    for key, s in shown.items():
        people = table.people.get(key, table.values[key])
        assert s.state != "shown" or not 1 <= people < SUPPRESS_BELOW, key
    for total, parts in table.families:
        if any(shown[p].state in SUPPRESSED for p in parts):
            assert shown[total].state in SUPPRESSED or any(
                shown[p].state == "hidden" for p in parts
            ), total
    monkeypatch.undo()
    assert dict(ledger.settle()) == dict(shown)


def test_a_count_of_different_people_that_pins_its_small_groups_is_not_shown() -> None:
    ledger = Ledger()
    ledger.add("network a", 4, 4)
    ledger.add("network b", 4, 4)
    ledger.add("both", 8, 8)
    ledger.at_most("both", ["network a", "network b"])
    shown = ledger.settle()
    # No more than 4 + 4 people, and 8 of them: both would have to be 4.
    assert shown["both"].state == "hidden"
    assert shown["network a"].state == shown["network b"].state == "small"


def test_a_count_of_different_people_that_leaves_room_is_shown() -> None:
    ledger = Ledger()
    ledger.add("network a", 3, 3)
    ledger.add("network b", 4, 4)
    ledger.add("both", 6, 6)
    ledger.at_most("both", ["network a", "network b"])
    assert ledger.settle()["both"].state == "shown"


def test_a_combined_rate_at_an_extreme_is_not_shown_beside_a_suppressed_part() -> None:
    ledger = Ledger()
    ledger.add("small network", 1.0, 3, fmt="percent")
    ledger.add("big group", 1.0, 12, fmt="percent")
    ledger.add("all", 1.0, 15, fmt="percent")
    ledger.mixture("all", ["small network", "big group"])
    shown = ledger.settle()
    # 100% overall says the small network came to everything too.
    assert shown["all"].state == "hidden"
    assert shown["big group"].state == "shown"


def test_a_combined_rate_between_the_extremes_is_shown() -> None:
    ledger = Ledger()
    ledger.add("small network", 0.5, 3, fmt="percent")
    ledger.add("big group", 0.8, 12, fmt="percent")
    ledger.add("all", 0.75, 15, fmt="percent")
    ledger.mixture("all", ["small network", "big group"])
    assert ledger.settle()["all"].state == "shown"
