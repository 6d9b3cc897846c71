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

How rule 2 is checked. The figures not shown are the unknowns and each family is one
equation, with the shown figures moved to the constant side. A figure that can be worked
out by adding and subtracting is one whose unit vector lies in the row space of those
equations, found exactly (reduced row echelon form over fractions). For sizes: when every
figure is in at most two families (tables with margins, groups within kinds within a
total), the families form a flow network, in which a figure can change exactly when it
lies on a cycle that every figure on it can follow by one (up, or down, within its
bounds); that test is exact. Other shapes (a figure in three families, as in a
three-way table) are checked more cautiously, and may hide more than strictly needed.

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

    def _count(self, key: Hashable) -> int:
        return int(self._figures[key].value or 0)

    def settle(self) -> Disclosure:
        """What may be shown. The ledger is left as it was; settling twice gives the same."""
        states = _Settlement(self._figures, self._families).run()
        shown: dict[Hashable, Shown] = {}
        for (key, figure), state in zip(self._figures.items(), states, strict=True):
            value = figure.value if state == "shown" else None
            shown[key] = Shown(value, state, figure.fmt)
        return Disclosure(shown)


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
        self.cache: dict[tuple[tuple[int, ...], tuple[int, ...], tuple[str, ...]], list[int]] = {}

    def run(self) -> list[State]:
        stuck: set[int] = set()
        changed = True
        while changed:
            changed = self._unbounded_in_every_family()
            touched: set[int] = set()
            for at_risk, families in self._audit(stuck):
                # A fix reshapes the component it touches: its other figures wait for the
                # next audit rather than being judged on a stale one.
                if touched.intersection(families):
                    continue
                chosen = self._protect(at_risk, families)
                if chosen is None:
                    stuck.add(at_risk)
                    continue
                changed = True
                touched.update(families)
                touched.update(self.families_of.get(chosen, ()))
        return self.states

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
                self.states[chosen] = "hidden"
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
        self.states[chosen] = "hidden"
        return chosen

    def _audit(self, stuck: set[int]) -> list[tuple[int, list[int]]]:
        """Rule 2b: the first figure at risk in each tangle of families, with its families."""
        involved = [
            f
            for f in range(len(self.totals))
            if any(self._suppressed(m) for m in (self.totals[f], *self.parts[f]))
        ]
        parent = {f: f for f in involved}

        def root(f: int) -> int:
            while parent[f] != f:
                parent[f] = parent[parent[f]]
                f = parent[f]
            return f

        first_family: dict[int, int] = {}
        for f in involved:
            for m in (self.totals[f], *self.parts[f]):
                if self._suppressed(m):
                    g = first_family.setdefault(m, f)
                    a, b = root(f), root(g)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        components: dict[int, list[int]] = {}
        for f in involved:
            components.setdefault(root(f), []).append(f)
        found: list[tuple[int, list[int]]] = []
        for families in components.values():
            unknowns = sorted(
                {
                    m
                    for f in families
                    for m in (self.totals[f], *self.parts[f])
                    if self._suppressed(m)
                }
            )
            signature = (tuple(families), tuple(unknowns), tuple(self.states[u] for u in unknowns))
            at_risk = self.cache.get(signature)
            if at_risk is None:
                at_risk = self._at_risk(families, unknowns)
                self.cache[signature] = at_risk
            for n in at_risk:
                if n not in stuck:
                    found.append((n, families))
                    break
        return found

    def _bounds(self, n: int) -> tuple[float, float]:
        value = self.values[n]
        if self.states[n] == "small":
            # What a reader takes "fewer than 5" to mean, widened to hold the true value
            # when a count is not itself a number of people (meetings about a theme).
            return min(1, value), max(SUPPRESS_BELOW - 1, value)
        return 0, math.inf

    def _at_risk(self, families: list[int], unknowns: list[int]) -> list[int]:
        equations = []
        for f in families:
            row = {p: 1 for p in self.parts[f] if self._suppressed(p)}
            if self._suppressed(self.totals[f]):
                row[self.totals[f]] = -1
            equations.append(row)
        pivots = _rref(equations)
        determined = {col for col, row in pivots.items() if len(row) == 1}
        room = {u: self._room(u) for u in unknowns}
        network = _Network.build(equations, room)
        pinned = [
            u
            for u in unknowns
            if u not in determined
            and not (
                network.can_move(u, *room[u])
                if network is not None
                else self._kernel_moves(u, pivots, unknowns)
            )
        ]
        # Worst first: a figure that is the only one hidden in a family can be read off
        # it, and hiding a second there usually frees the figures worked out through it;
        # then those that adding and subtracting give away; then those pinned by bounds.
        alone = {u for row in equations if len(row) == 1 for u in row}
        return sorted(alone) + sorted(determined - alone) + pinned

    def _room(self, n: int) -> tuple[bool, bool]:
        lo, hi = self._bounds(n)
        return self.values[n] + 1 <= hi, self.values[n] - 1 >= lo

    def _kernel_moves(
        self, u: int, pivots: dict[int, dict[int, Fraction]], unknowns: list[int]
    ) -> bool:
        """A cautious test for shapes that are not networks: try each basic null move."""
        for free in unknowns:
            if free in pivots:
                continue
            move: dict[int, Fraction] = {free: Fraction(1)}
            for col, row in pivots.items():
                if free in row:
                    move[col] = -row[free]
            if u not in move:
                continue
            scale = math.lcm(*(c.denominator for c in move.values()))
            steps = {n: int(c * scale) for n, c in move.items()}
            for sign in (1, -1):
                if all(
                    lo <= self.values[n] + sign * step <= hi
                    for n, step in steps.items()
                    for lo, hi in [self._bounds(n)]
                ):
                    return True
        return False


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


class _Network:
    """Families as nodes and hidden figures as edges, when the shape allows it.

    Each family, read with a sign, says flow in = flow out: its total flows in and its
    parts flow out, or the other way round. A figure in two families must flow out of
    one and into the other, which fixes the signs; a figure in one family only runs to
    a shared outside node, where nothing needs to balance. Moves that keep every sum
    are then exactly circulations, and the matrix is totally unimodular: a figure can
    take another whole value exactly when one unit can go round a cycle through it that
    every other figure on the cycle can follow, up or down, within its bounds.
    """

    def __init__(
        self,
        ends: dict[int, tuple[int, int]],
        residual: dict[int, list[tuple[int, int]]],
    ) -> None:
        self.ends = ends
        self.residual = residual

    @classmethod
    def build(
        cls,
        equations: list[dict[int, int]],
        room: dict[int, tuple[bool, bool]],
    ) -> _Network | None:
        """`room` says, for each unknown, whether it can go up and whether it can go down."""
        appears: dict[int, list[tuple[int, int]]] = {u: [] for u in room}
        for node, row in enumerate(equations):
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
        for start in range(len(equations)):
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
        outside = len(equations)
        ends: dict[int, tuple[int, int]] = {}
        residual: dict[int, list[tuple[int, int]]] = {}
        for u, places in appears.items():
            tail, head = outside, outside
            for node, coefficient in places:
                if sign[node] * coefficient > 0:
                    tail = node
                else:
                    head = node
            ends[u] = (tail, head)
            up, down = room[u]
            if up:
                residual.setdefault(tail, []).append((head, u))
            if down:
                residual.setdefault(head, []).append((tail, u))
        return cls(ends, residual)

    def can_move(self, u: int, up: bool, down: bool) -> bool:
        """Whether one unit can go round a cycle through `u`, `u` itself going up or down."""
        tail, head = self.ends[u]
        return (up and self._reaches(head, tail, u)) or (down and self._reaches(tail, head, u))

    def _reaches(self, start: int, goal: int, without: int) -> bool:
        seen = {start}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for following, edge in self.residual.get(node, ()):
                if edge == without or following in seen:
                    continue
                if following == goal:
                    return True
                seen.add(following)
                queue.append(following)
        return False
