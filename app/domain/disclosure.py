"""What a page of figures may show, so that nobody can be picked out of a total.

Pure: the figures are passed in; nothing here reads a clock or a database. Every figure
a page, a chart or an export shows goes through one `Ledger`, and they show only what
`Ledger.settle` gives back: privacy is decided here and nowhere else.

The rule, in plain words:

1. A figure worked out from fewer than 5 people shows "fewer than 5" (primary
   suppression). A figure about nobody (0 people) is shown: a zero picks out no one. A
   figure that is not about people (meetings held) is never suppressed for its own sake.
   A figure with no value at all (a rate when there were no meetings) shows "no data".
2. Figures that add up (the groups of a kind to the kind, the kinds to the total, a
   table's cells to its row and column totals) are declared as families. No figure that
   is not shown may be worked out from the figures that are, either by adding and
   subtracting or by reasoning about sizes. A reader knows that "fewer than 5" means 1
   to 4 and that a shown 0 is 0, so two "fewer than 5" figures that must add up to 8 can
   only be 4 and 4. Hence:

   a. Wherever a family has a figure that is not shown, it must also have one marked
      "not shown", whose size a reader cannot bound (it may be 5 or more), unless the
      family's own total is not shown either. So when one cell in a column says "fewer
      than 5", a second cell is not shown, even when another cell of the column already
      says "fewer than 5".
   b. Then every figure that is not shown is checked: there must be another set of whole
      numbers that fits everything shown, every family and every bound, in which that
      figure is different.

3. The figure hidden to protect another (complementary suppression) is, in the families
   of the figure at risk, the shown part with the smallest value above zero (the first
   added, on a tie), or else a shown total; failing that, the same choice in families
   linked to those through figures already hidden. It shows "not shown", never "fewer
   than 5", because its true value may well be 5 or more. This repeats until nothing
   changes, and the same figures always give the same page.
4. Last resort: when nothing shown is left to hide but zeros, and the "fewer than 5"
   labels alone still pin a figure (a total of fewer than 5 split into four non-empty
   parts can only be 1 + 1 + 1 + 1), the largest such figure shows "not shown" instead
   of "fewer than 5"; failing that, a zero is hidden.

Rates, averages and the Gini coefficient are never in a family; each is suppressed for
its own people only.

5. Two weaker ties are declared too, and checked last. A count of different people
   across groups is at most the sum of the groups' counts (`at_most`): when the small
   ones would all have to be 4 to reach it, the total is not shown. A combined rate or
   average lies between its parts' (`mixture`): at 0, or at 100%, it says every part is
   the same, so then it is not shown when any part is suppressed.

How rule 2 is checked. The figures not shown are the unknowns and each family is one
equation, with the shown figures moved to the constant side. When every figure is in at
most two families (tables with margins, groups within kinds within a total), the families
form a flow network, in which a figure can change exactly when it lies on a cycle that
every figure on it can follow by one (up, or down, within its bounds), and adding and
subtracting give a figure away exactly when it lies on no cycle at all; both tests are
exact. A family that follows from the others is left out first when that makes a network
(a split repeated at every level, as first leads = shadowed + not shadowed for each
group, each kind and the total, puts a kind's figures in three families, but each kind's
split follows from its groups'), and only once it is shown to be a sum of multiples of
the families kept. Other shapes (a figure in three families, as in a three-way table)
are checked more cautiously: adding and subtracting exactly, by reduced row echelon form
over fractions, but sizes only by trying each basic move of that form, so they may hide
more than strictly needed.

Hiding a figure only widens what fits, so a figure that could take another value before
still can: after each fix, only the figures at risk before it, and those just hidden,
are looked at again.

Not guarded against: a reader who knows rule 3 can tell that a part hidden to protect
another is no bigger than the smallest part still shown beside it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from app.domain.groups import SUPPRESS_BELOW

State = Literal["shown", "small", "hidden", "none"]
Fmt = Literal["count", "percent", "decimal", "gini"]
FMTS: tuple[Fmt, ...] = ("count", "percent", "decimal", "gini")
SMALL_TEXT = f"fewer than {SUPPRESS_BELOW}"
HIDDEN_TEXT = "not shown"
NONE_TEXT = "no data"


@dataclass(frozen=True)
class Shown:
    """One figure as a page may show it.

    `value` is None unless `state` is "shown". `text` is what people read:

    - "shown": by `fmt`. "count": a whole number with thousands separators ("1,234").
      "percent": a value from 0 to 1 as a whole percentage ("63%"); a value above 0 but
      under 1% reads "under 1%" and one above 99% but under 100% reads "over 99%", so a
      rounded figure never claims "none" or "everyone" when that is not so. "decimal":
      one decimal place ("2.5", "1,234.0"), for averages. "gini": two decimal places
      ("0.18").
    - "small": "fewer than 5" for a count; "fewer than 5 people" for a rate, an average
      or a Gini coefficient, whose value is not itself a number of people.
    - "hidden": "not shown".
    - "none": "no data".
    """

    value: int | float | None
    state: State
    fmt: Fmt = "count"

    def __post_init__(self) -> None:
        if (self.state == "shown") != (self.value is not None):
            raise ValueError("A figure has a value exactly when it is shown.")

    @property
    def text(self) -> str:
        if self.state == "small":
            return SMALL_TEXT if self.fmt == "count" else f"{SMALL_TEXT} people"
        if self.state == "hidden":
            return HIDDEN_TEXT
        if self.value is None:
            return NONE_TEXT
        if self.fmt == "count":
            return f"{int(self.value):,}"
        if self.fmt == "percent":
            return _percent(self.value)
        if self.fmt == "decimal":
            return f"{self.value:,.1f}"
        return f"{self.value:.2f}"

    @property
    def sortable(self) -> float | None:
        """The value to sort by, or None for anything not shown.

        Figures not shown all sort alike, wherever the caller puts None, so a sorted
        column cannot give away where a hidden value would fall.
        """
        return float(self.value) if self.value is not None else None


def whole_percent(fraction: float) -> int:
    """A share from 0 to 1 as a whole percentage, rounded half up as people round.

    Python's round() would make 12.5% read "12%".
    """
    return math.floor(fraction * 100 + 0.5)


def _percent(fraction: float) -> str:
    percent = fraction * 100
    if 0 < percent < 1:
        return "under 1%"
    if 99 < percent < 100:
        return "over 99%"
    return f"{whole_percent(fraction):,}%"


class Disclosure(Mapping[Hashable, Shown]):
    """What a page may show: every figure added to the ledger, settled."""

    def __init__(self, shown: dict[Hashable, Shown]) -> None:
        self._shown = shown

    def __getitem__(self, key: Hashable) -> Shown:
        return self._shown[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._shown)

    def __len__(self) -> int:
        return len(self._shown)

    def __repr__(self) -> str:
        return f"Disclosure({self._shown!r})"


@dataclass(frozen=True)
class _Figure:
    value: int | float | None
    people: int | None
    fmt: Fmt


class Ledger:
    """Every figure on one page, and the sums that tie them together."""

    def __init__(self) -> None:
        self._figures: dict[Hashable, _Figure] = {}
        self._families: list[tuple[Hashable, tuple[Hashable, ...]]] = []
        self._declared: set[tuple[Hashable, frozenset[Hashable]]] = set()
        self._at_most: list[tuple[Hashable, tuple[Hashable, ...]]] = []
        self._mixtures: list[tuple[Hashable, tuple[Hashable, ...]]] = []

    def add(
        self,
        key: Hashable,
        value: int | float | None,
        people: int | None,
        *,
        fmt: Fmt = "count",
    ) -> None:
        """Add one figure.

        `people` is how many distinct people the figure was worked out from, or None for
        a figure that is not about people (meetings held), which is never suppressed for
        its own sake. `value` None means there is no figure (a rate with nothing to
        divide by). The same figure may appear in two tables of a page; it is one key,
        and adding it again is allowed only with exactly the same value, people and fmt.
        """
        if fmt not in FMTS:
            raise ValueError(f"Unknown format {fmt!r}; expected one of {', '.join(FMTS)}.")
        if people is not None and (isinstance(people, bool) or people < 0):
            raise ValueError(f"{key!r}: people must be a whole number, 0 or more.")
        if value is not None:
            if isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"{key!r}: {value!r} is not a figure.")
            if fmt == "count" and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{key!r}: a count must be a whole number, 0 or more.")
        figure = _Figure(value, people, fmt)
        earlier = self._figures.get(key)
        if earlier is not None and earlier != figure:
            raise ValueError(f"{key!r} was added twice with different figures.")
        self._figures[key] = figure

    def family(self, total: Hashable, parts: Sequence[Hashable]) -> None:
        """Declare that the parts add up to the total, as a reader of the page can tell.

        All must be counts already added. A figure may be in several families: a part
        in one and the total of another, or a part of both a row and a column. With no
        parts at all, the total must be 0.
        """
        keys = (total, *parts)
        for key in keys:
            figure = self._figures.get(key)
            if figure is None:
                raise KeyError(f"{key!r} must be added before it joins a family.")
            if figure.fmt != "count" or figure.value is None:
                raise ValueError(f"{key!r}: only counts with a value add up.")
        if len(set(keys)) != len(keys):
            raise ValueError(f"{total!r}: a figure appears twice in one family.")
        added = sum(self._count(p) for p in parts)
        if added != self._count(total):
            # Reasoning about a sum that does not hold would protect the wrong figures.
            raise ValueError(f"{total!r} is {self._count(total)}, but its parts add to {added}.")
        declared = (total, frozenset(parts))
        if declared not in self._declared:
            self._declared.add(declared)
            self._families.append((total, tuple(parts)))

    def at_most(self, total: Hashable, parts: Sequence[Hashable]) -> None:
        """Declare a count of different people across parts: never more than their sum.

        Two networks of fewer than 5 beside a kind total of 8 can only be 4 and 4: where
        the small parts are pinned like that, the total is not shown.
        """
        self._bound(self._at_most, total, parts, ("count",))

    def mixture(self, total: Hashable, parts: Sequence[Hashable]) -> None:
        """Declare a rate or an average made of the parts' own (a weighted mean of them).

        A combined 100% (or 0) says every part is 100% (or 0), suppressed or not: then
        the combined figure is not shown.
        """
        self._bound(self._mixtures, total, parts, ("percent", "decimal"))

    def _bound(
        self,
        into: list[tuple[Hashable, tuple[Hashable, ...]]],
        total: Hashable,
        parts: Sequence[Hashable],
        fmts: tuple[str, ...],
    ) -> None:
        for key in (total, *parts):
            figure = self._figures.get(key)
            if figure is None:
                raise KeyError(f"{key!r} must be added before it is tied to others.")
            if figure.fmt not in fmts:
                raise ValueError(f"{key!r}: expected a figure formatted as {' or '.join(fmts)}.")
        into.append((total, tuple(parts)))

    def _count(self, key: Hashable) -> int:
        return int(self._figures[key].value or 0)

    def _bounded(self, states: list[State]) -> None:
        """Hide totals whose bounds would give away their small parts, until none would."""
        number = {key: n for n, key in enumerate(self._figures)}
        figures = list(self._figures.values())

        def value(n: int) -> float:
            return figures[n].value or 0

        changed = True
        while changed:
            changed = False
            for total, parts in self._at_most:
                t, ps = number[total], [number[p] for p in parts]
                smalls = [p for p in ps if states[p] == "small"]
                if states[t] != "shown" or not smalls or any(states[p] == "hidden" for p in ps):
                    continue
                seen = sum(value(p) for p in ps if states[p] == "shown")
                # The small parts hold at least total - seen between them, and at most 4
                # each: when that is all they can hold, every one of them is 4.
                if value(t) - seen >= (SUPPRESS_BELOW - 1) * len(smalls):
                    states[t] = "hidden"
                    changed = True
            for total, parts in self._mixtures:
                t, ps = number[total], [number[p] for p in parts]
                extreme = value(t) == 0 or (figures[t].fmt == "percent" and value(t) == 1)
                if (
                    states[t] == "shown"
                    and extreme
                    and any(states[p] in ("small", "hidden") for p in ps)
                ):
                    states[t] = "hidden"
                    changed = True

    def settle(self) -> Disclosure:
        """What may be shown. The ledger is left as it was; settling twice gives the same."""
        states = _Settlement(self._figures, self._families).run()
        self._bounded(states)
        shown: dict[Hashable, Shown] = {}
        for (key, figure), state in zip(self._figures.items(), states, strict=True):
            value = figure.value if state == "shown" else None
            shown[key] = Shown(value, state, figure.fmt)
        return Disclosure(shown)


@dataclass
class _Tangle:
    """Families tied together through figures not shown, audited together."""

    families: list[int]
    # A sorted superset of the figures at risk: any other is known to be safe.
    suspects: list[int]
    # The figures at risk, worst first, once audited since the tangle last changed.
    order: list[int] | None = None
    # Nothing at risk that is not stuck, and nothing has changed since.
    clean: bool = False


class _Settlement:
    """Works on figure numbers (their order of adding) rather than keys."""

    def __init__(
        self,
        figures: dict[Hashable, _Figure],
        families: list[tuple[Hashable, tuple[Hashable, ...]]],
    ) -> None:
        number = {key: n for n, key in enumerate(figures)}
        self.values = [
            int(f.value) if f.fmt == "count" and f.value is not None else 0
            for f in figures.values()
        ]
        self.states: list[State] = [_primary(f) for f in figures.values()]
        self.totals = [number[total] for total, _ in families]
        self.parts = [tuple(number[p] for p in parts) for _, parts in families]
        self.families_of: dict[int, list[int]] = {}
        for f in range(len(families)):
            for member in (self.totals[f], *self.parts[f]):
                self.families_of.setdefault(member, []).append(f)
        # How many members of each family are not shown: one alone can be read off it.
        self.unknown_in = [
            sum(1 for m in (self.totals[f], *self.parts[f]) if self._suppressed(m))
            for f in range(len(families))
        ]
        self.tangle_of: dict[int, int] = {}
        self.tangles: dict[int, _Tangle] = {}

    def run(self) -> list[State]:
        # Rule 2a's hidings never leave a family needing another (a hidden figure is itself
        # the unbounded member of each family it is in), so after one sweep every later
        # sweep would find nothing; the first sweep still earns one more audit, as a stuck
        # figure's tangle may have another at risk.
        again = self._unbounded_in_every_family()
        self._tangle_up()
        stuck: set[int] = set()
        while self._audit(stuck) or again:
            again = False
        return self.states

    def _audit(self, stuck: set[int]) -> bool:
        """Rule 2b, once round: protect the first figure at risk in each tangle of families.

        A fix reshapes the tangle it touches: its other figures wait for the next round
        rather than being judged on a stale audit. Tangles are taken in the order of their
        first family; the same figures always give the same page.
        """
        touched: set[int] = set()
        hidden: list[int] = []
        for root in sorted(self.tangles):
            tangle = self.tangles[root]
            if not touched.isdisjoint(tangle.families):
                continue
            at_risk = self._first_at_risk(tangle, stuck)
            if at_risk is None:
                continue
            chosen = self._protect(at_risk, tangle.families)
            if chosen is None:
                stuck.add(at_risk)
                continue
            hidden.append(chosen)
            touched.update(tangle.families)
            touched.update(self.families_of.get(chosen, ()))
        for chosen in hidden:
            self._entangle(chosen)
        return bool(hidden)

    def _suppressed(self, n: int) -> bool:
        return self.states[n] in ("small", "hidden")

    def _unbounded_in_every_family(self) -> bool:
        """Rule 2a: a suppressed member implies an unbounded one (hidden, or the total)."""
        changed = False
        for f, total in enumerate(self.totals):
            parts = self.parts[f]
            if self._suppressed(total) or any(self.states[p] == "hidden" for p in parts):
                continue
            if not any(self._suppressed(p) for p in parts):
                continue
            # The total is shown here, so there is always something to choose.
            chosen = self._choose([f])
            if chosen is not None:
                self._hide(chosen)
                changed = True
        return changed

    def _choose(self, start: list[int]) -> int | None:
        """Rule 3: the figure to hide, nearest first, through figures already hidden."""
        seen = set(start)
        layer = start
        while layer:
            best: tuple[int, int] | None = None
            for f in layer:
                for p in self.parts[f]:
                    candidate = (self.values[p], p)
                    if self.states[p] == "shown" and candidate[0] > 0:
                        best = candidate if best is None else min(best, candidate)
            if best is not None:
                return best[1]
            for f in layer:
                if self.states[self.totals[f]] == "shown":
                    return self.totals[f]
            following: list[int] = []
            for f in layer:
                for member in (self.totals[f], *self.parts[f]):
                    if self._suppressed(member):
                        for g in self.families_of[member]:
                            if g not in seen:
                                seen.add(g)
                                following.append(g)
            layer = following
        return None

    def _protect(self, at_risk: int, families: list[int]) -> int | None:
        chosen = self._choose(self.families_of[at_risk])
        if chosen is None:
            # Rule 4. Nothing shown is left around it but zeros, so the "fewer than 5"
            # labels themselves give it away: the largest loses its upper bound.
            members = sorted({m for f in families for m in (self.totals[f], *self.parts[f])})
            smalls = [m for m in members if self.states[m] == "small"]
            zeros = [m for m in members if self.states[m] == "shown"]
            if smalls:
                chosen = min(smalls, key=lambda m: (-self.values[m], m))
            elif zeros:
                chosen = zeros[0]
            else:
                # Every figure around it is hidden already: nothing is left to change.
                return None
        self._hide(chosen)
        return chosen

    def _hide(self, n: int) -> None:
        if not self._suppressed(n):
            for f in self.families_of.get(n, ()):
                self.unknown_in[f] += 1
        self.states[n] = "hidden"

    def _root(self, f: int) -> int:
        while self.tangle_of[f] != f:
            self.tangle_of[f] = self.tangle_of[self.tangle_of[f]]
            f = self.tangle_of[f]
        return f

    def _tangle_up(self) -> None:
        """Families with a figure not shown, tied into tangles by the figures they share."""
        for f, count in enumerate(self.unknown_in):
            if count:
                self.tangle_of[f] = f
                self.tangles[f] = _Tangle([f], [])
        for n, families in self.families_of.items():
            if self._suppressed(n):
                self._join(families, [n])

    def _entangle(self, n: int) -> None:
        """`n` is newly hidden: its families join its tangle, and it may now be at risk."""
        for f in self.families_of[n]:
            if f not in self.tangle_of:
                self.tangle_of[f] = f
                self.tangles[f] = _Tangle([f], [])
        self._join(self.families_of[n], [n])

    def _join(self, families: list[int], suspects: list[int]) -> None:
        roots = sorted({self._root(f) for f in families})
        root = roots[0]
        tangle = self.tangles[root]
        merged = set(tangle.suspects).union(suspects)
        for other in roots[1:]:
            joining = self.tangles.pop(other)
            self.tangle_of[other] = root
            tangle.families += joining.families
            merged.update(joining.suspects)
        if len(roots) > 1:
            tangle.families.sort()
        tangle.suspects = sorted(merged)
        tangle.order = None
        tangle.clean = False

    def _first_at_risk(self, tangle: _Tangle, stuck: set[int]) -> int | None:
        """The first figure at risk and not stuck, in the order `_at_risk` gives.

        Protecting a figure only widens what fits, so whatever could change before still
        can: only suspects (those at risk at the last audit, and figures hidden since)
        need looking at again. One the sums leave alone in a family comes first, and that
        is told from the counts, without the costlier audit of the whole tangle.
        """
        if tangle.clean:
            return None
        for u in tangle.suspects:
            if u not in stuck and any(self.unknown_in[f] == 1 for f in self.families_of[u]):
                return u
        if tangle.order is None:
            tangle.order = self._at_risk(tangle)
            tangle.suspects = sorted(set(tangle.order))
        for u in tangle.order:
            if u not in stuck:
                return u
        tangle.clean = True
        return None

    def _bounds(self, n: int) -> tuple[float, float]:
        value = self.values[n]
        if self.states[n] == "small":
            # What a reader takes "fewer than 5" to mean, widened to hold the true value
            # when a count is not itself a number of people (meetings about a theme).
            return min(1, value), max(SUPPRESS_BELOW - 1, value)
        return 0, math.inf

    def _at_risk(self, tangle: _Tangle) -> list[int]:
        """The tangle's figures at risk, worst first."""
        equations = []
        for f in tangle.families:
            row = {p: 1 for p in self.parts[f] if self._suppressed(p)}
            if self._suppressed(self.totals[f]):
                row[self.totals[f]] = -1
            equations.append(row)
        unknowns = sorted({u for row in equations for u in row})
        alone = {u for row in equations if len(row) == 1 for u in row}
        room = {u: self._room(u) for u in unknowns}
        network = _Network.build(equations, room)
        if network is not None:
            # Exact: a figure that is no suspect could change at an earlier audit and
            # still can, so only suspects need a search.
            determined = network.bridges()
            movable = network.movable(determined, tangle.suspects)
            pinned = [u for u in tangle.suspects if u not in determined and u not in movable]
        else:
            pivots = _rref(equations)
            determined = {col for col, row in pivots.items() if len(row) == 1}
            movable = self._kernel_moves(pivots, unknowns)
            pinned = [u for u in unknowns if u not in determined and u not in movable]
        # Worst first: a figure that is the only one hidden in a family can be read off
        # it, and hiding a second there usually frees the figures worked out through it;
        # then those that adding and subtracting give away; then those pinned by bounds.
        return sorted(alone) + sorted(determined - alone) + pinned

    def _room(self, n: int) -> tuple[bool, bool]:
        lo, hi = self._bounds(n)
        return self.values[n] + 1 <= hi, self.values[n] - 1 >= lo

    def _kernel_moves(
        self, pivots: dict[int, dict[int, Fraction]], unknowns: list[int]
    ) -> set[int]:
        """A cautious test for shapes that are not networks: try each basic null move.

        Gives the figures that some basic move can shift within every bound. Whether a
        move fits does not depend on which figure it is asked for, so each move is tried
        once rather than once for every figure it touches.
        """
        through: dict[int, list[tuple[int, Fraction]]] = {}
        for col, row in pivots.items():
            for c, a in row.items():
                if c != col:
                    through.setdefault(c, []).append((col, a))
        movable: set[int] = set()
        for free in unknowns:
            if free in pivots:
                continue
            move: dict[int, Fraction] = {free: Fraction(1)}
            for col, a in through.get(free, ()):
                move[col] = -a
            if movable.issuperset(move):
                continue
            scale = math.lcm(*(c.denominator for c in move.values()))
            steps = {n: int(c * scale) for n, c in move.items()}
            for sign in (1, -1):
                if all(
                    lo <= self.values[n] + sign * step <= hi
                    for n, step in steps.items()
                    for lo, hi in [self._bounds(n)]
                ):
                    movable.update(move)
                    break
        return movable


def _primary(figure: _Figure) -> State:
    if figure.value is None:
        return "none"
    if figure.people is not None and 1 <= figure.people < SUPPRESS_BELOW:
        return "small"
    return "shown"


def _rref(equations: list[dict[int, int]]) -> dict[int, dict[int, Fraction]]:
    """Reduced row echelon form, kept sparse: pivot column -> its row, pivot scaled to 1."""
    pivots: dict[int, dict[int, Fraction]] = {}
    for equation in equations:
        row = {col: Fraction(a) for col, a in equation.items()}
        for col in [c for c in row if c in pivots]:
            factor = row[col]
            for c, a in pivots[col].items():
                value = row.get(c, 0) - factor * a
                if value:
                    row[c] = value
                else:
                    row.pop(c, None)
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {c: a / scale for c, a in row.items()}
        for other in pivots.values():
            above = other.get(pivot)
            if above:
                for c, a in row.items():
                    value = other.get(c, 0) - above * a
                    if value:
                        other[c] = value
                    else:
                        other.pop(c, None)
        pivots[pivot] = row
    return pivots


def _implied_candidates(equations: list[dict[int, int]], keep: set[int]) -> list[int]:
    """Families to leave out so that each figure is in at most two, if that can be done.

    A kind's split (first leads = shadowed + not shadowed) follows from its groups' splits
    and its three lists of groups, so it says nothing more; without it, the kind's figures
    are in two families again. Greedy, the most crowded family first, and only a guess:
    `_Network.build` checks that what is left out follows from what is kept.
    """
    count: dict[int, int] = {}
    for row in equations:
        for u in row:
            count[u] = count.get(u, 0) + 1
    left_out: list[int] = []
    dropped: set[int] = set()
    while True:
        crowded = {u for u, c in count.items() if c > 2}
        if not crowded:
            return left_out
        best: tuple[int, int, int] | None = None
        for i, row in enumerate(equations):
            # A figure in no family kept would be free to take any value: never that.
            if i in keep or i in dropped or any(count[u] < 2 for u in row):
                continue
            crowding = sum(1 for u in row if u in crowded)
            if crowding:
                candidate = (-crowding, len(row), i)
                best = candidate if best is None else min(best, candidate)
        if best is None:
            return left_out
        left_out.append(best[2])
        dropped.add(best[2])
        for u in equations[best[2]]:
            count[u] -= 1


class _Network:
    """Families as nodes and hidden figures as edges, when the shape allows it.

    Each family, read with a sign, says flow in = flow out: its total flows in and its
    parts flow out, or the other way round. A figure in two families must flow out of
    one and into the other, which fixes the signs; a figure in one family only runs to
    a shared outside node, where nothing needs to balance. Moves that keep every sum
    are then exactly circulations, and the matrix is totally unimodular: a figure can
    take another whole value exactly when one unit can go round a cycle through it that
    every other figure on the cycle can follow, up or down, within its bounds.

    Families that follow from the others may be left out first (they change no answer,
    as every set of figures that fits the rest fits them too). The sums then pin a
    figure by adding and subtracting exactly when it lies on no cycle at all, a bridge:
    the families' rows span the graph's cuts, and a single edge is a cut just when it is
    a bridge. So no elimination over fractions is needed for a network.
    """

    def __init__(
        self,
        nodes: int,
        ends: dict[int, tuple[int, int]],
        room: dict[int, tuple[bool, bool]],
    ) -> None:
        self.nodes = nodes
        self.outside = nodes - 1
        self.ends = ends
        self.room = room
        self.incident: list[list[int]] = [[] for _ in range(nodes)]
        self.residual: list[list[tuple[int, int]]] = [[] for _ in range(nodes)]
        for u, (tail, head) in ends.items():
            self.incident[tail].append(u)
            if head != tail:
                self.incident[head].append(u)
            up, down = room[u]
            if up:
                self.residual[tail].append((head, u))
            if down:
                self.residual[head].append((tail, u))

    @classmethod
    def build(
        cls,
        equations: list[dict[int, int]],
        room: dict[int, tuple[bool, bool]],
    ) -> _Network | None:
        """`room` says, for each unknown, whether it can go up and whether it can go down."""
        keep: set[int] = set()
        while True:
            left_out = _implied_candidates(equations, keep)
            network = cls._assemble(equations, set(left_out), room)
            if network is None:
                return None
            wrong = [i for i in left_out if not network._spans(equations[i])]
            if not wrong:
                return network
            # The latest choice was made with the least room: try again without it. Each
            # round keeps one more family, so this ends.
            keep.add(wrong[-1])

    @classmethod
    def _assemble(
        cls,
        equations: list[dict[int, int]],
        left_out: set[int],
        room: dict[int, tuple[bool, bool]],
    ) -> _Network | None:
        rows = [row for i, row in enumerate(equations) if i not in left_out]
        appears: dict[int, list[tuple[int, int]]] = {u: [] for u in room}
        for node, row in enumerate(rows):
            for u, coefficient in row.items():
                appears[u].append((node, coefficient))
        if any(len(places) > 2 for places in appears.values()):
            return None
        # Each family's sign, so that every shared figure leaves one and enters the other.
        links: dict[int, list[tuple[int, int]]] = {}
        for places in appears.values():
            if len(places) == 2:
                (f, a), (g, b) = places
                links.setdefault(f, []).append((g, -a * b))
                links.setdefault(g, []).append((f, -a * b))
        sign: dict[int, int] = {}
        for start in range(len(rows)):
            if start in sign:
                continue
            sign[start] = 1
            queue = deque([start])
            while queue:
                f = queue.popleft()
                for g, relation in links.get(f, ()):
                    wanted = sign[f] * relation
                    if g not in sign:
                        sign[g] = wanted
                        queue.append(g)
                    elif sign[g] != wanted:
                        return None
        outside = len(rows)
        ends: dict[int, tuple[int, int]] = {}
        for u, places in appears.items():
            tail, head = outside, outside
            for node, coefficient in places:
                if sign[node] * coefficient > 0:
                    tail = node
                else:
                    head = node
            ends[u] = (tail, head)
        return cls(outside + 1, ends, room)

    def _spans(self, row: dict[int, int]) -> bool:
        """Whether a family left out is a sum of multiples of those kept.

        A sum of multiples of the nodes' rows puts, on each edge, the multiple at its
        tail less the multiple at its head (none at the outside node, which has no row):
        so look for multiples that give the family's own coefficient on every edge.
        """
        multiple: dict[int, int] = {}
        for root in (self.outside, *range(self.nodes)):
            if root in multiple:
                continue
            multiple[root] = 0
            stack = [root]
            while stack:
                node = stack.pop()
                for u in self.incident[node]:
                    tail, head = self.ends[u]
                    wanted = row.get(u, 0)
                    if tail == node:
                        other, value = head, multiple[node] - wanted
                    else:
                        other, value = tail, multiple[node] + wanted
                    if other not in multiple:
                        multiple[other] = value
                        stack.append(other)
                    elif multiple[other] != value:
                        return False
        return True

    def bridges(self) -> set[int]:
        """The figures on no cycle: those the sums alone pin, whatever the bounds."""
        return self._bridges(self.incident)

    def _bridges(self, incident: list[list[int]]) -> set[int]:
        """The edges on no cycle of the graph that `incident` gives (Tarjan's lowlinks)."""
        order: dict[int, int] = {}
        low: dict[int, int] = {}
        found: set[int] = set()
        for root in range(self.nodes):
            if root in order:
                continue
            order[root] = low[root] = len(order)
            stack = [(root, -1, iter(incident[root]))]
            while stack:
                node, via, edges = stack[-1]
                for u in edges:
                    if u == via:
                        continue
                    tail, head = self.ends[u]
                    other = head if tail == node else tail
                    if other in order:
                        low[node] = min(low[node], order[other])
                    else:
                        order[other] = low[other] = len(order)
                        stack.append((other, u, iter(incident[other])))
                        break
                else:
                    stack.pop()
                    if stack:
                        parent = stack[-1][0]
                        low[parent] = min(low[parent], low[node])
                        if low[node] > order[parent]:
                            found.add(via)
        return found

    def movable(self, bridges: set[int], among: list[int]) -> set[int]:
        """Of `among` (and others on the way), those one unit round a cycle can shift."""
        # A cycle of figures that can each go either way can be followed in either
        # direction, so every figure on one moves: most do, and need no search of their own.
        both_ways: list[list[int]] = [[] for _ in range(self.nodes)]
        for u, (tail, head) in self.ends.items():
            if self.room[u] == (True, True):
                both_ways[tail].append(u)
                if head != tail:
                    both_ways[head].append(u)
        moved = {u for edges in both_ways for u in edges} - self._bridges(both_ways)
        strong = self._strong_components()
        for u in among:
            tail, head = self.ends[u]
            if u in bridges or u in moved or strong[tail] != strong[head]:
                continue
            up, down = self.room[u]
            if up != down:
                # `u` can go one way only, so no simple path back between its ends can use
                # `u` itself: sharing a strong component is enough.
                moved.add(u)
                continue
            if not up:
                continue
            cycle = self._path(head, tail, u, strong) or self._path(tail, head, u, strong)
            if cycle:
                # Every figure on that cycle can follow the same unit round it.
                moved.add(u)
                moved.update(cycle)
        return moved

    def _path(self, start: int, goal: int, without: int, strong: list[int]) -> list[int]:
        """The figures on a shortest path from start to goal not using `without`, if any."""
        within = strong[start]
        came: dict[int, tuple[int, int]] = {start: (start, without)}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for following, edge in self.residual[node]:
                if edge == without or following in came or strong[following] != within:
                    continue
                came[following] = (node, edge)
                if following == goal:
                    path: list[int] = []
                    while following != start:
                        following, edge = came[following]
                        path.append(edge)
                    return path
                queue.append(following)
        return []

    def _strong_components(self) -> list[int]:
        """Each node's strongly connected component in the residual graph (Tarjan's)."""
        index: list[int] = [-1] * self.nodes
        low: list[int] = [0] * self.nodes
        component: list[int] = [-1] * self.nodes
        on_stack: list[bool] = [False] * self.nodes
        stack: list[int] = []
        counter = 0
        components = 0
        for root in range(self.nodes):
            if index[root] >= 0:
                continue
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack[root] = True
            work = [(root, iter(self.residual[root]))]
            while work:
                node, edges = work[-1]
                for following, _ in edges:
                    if index[following] < 0:
                        index[following] = low[following] = counter
                        counter += 1
                        stack.append(following)
                        on_stack[following] = True
                        work.append((following, iter(self.residual[following])))
                        break
                    if on_stack[following]:
                        low[node] = min(low[node], index[following])
                else:
                    work.pop()
                    if work:
                        parent = work[-1][0]
                        low[parent] = min(low[parent], low[node])
                    if low[node] == index[node]:
                        while True:
                            member = stack.pop()
                            on_stack[member] = False
                            component[member] = components
                            if member == node:
                                break
                        components += 1
        return component
