from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.disclosure import Disclosure, Ledger, Shown
from app.domain.groups import SUPPRESS_BELOW

SUPPRESSED = ("small", "hidden")


@dataclass
class Table:
    """Counts of people, with the sums a reader of the page can see."""

    values: dict[Hashable, int]
    families: list[tuple[Hashable, list[Hashable]]]

    def ledger(self) -> Ledger:
        ledger = Ledger()
        for key, value in self.values.items():
            ledger.add(key, value, value)
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
