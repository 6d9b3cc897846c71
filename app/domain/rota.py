"""Who facilitates a group's upcoming meetings, so that leadership is shared fairly.

Pure: members, meetings, past turns and who is away are all passed in; nothing here
reads a clock or a database. The same input always gives the same rota, whatever order
the members and past turns arrive in. Meetings are planned, and returned, in date order.

Who may take part in a meeting: a member who has joined and not left by that day, has
not opted out, and has not said they are away that day. Opted-out members are given no
role at all.

Nobody leads for the first time alone. A member who has never led must first shadow an
experienced lead (someone who has led before); after one shadow turn they may lead. If
nobody who may lead is free, the meeting has no facilitator yet (`lead` is None).

Fairness, in order of what decides the lead:

1. Turns within this run. Each member's count starts at 0 for those free at the first
   meeting. Someone who becomes free part-way through (a newcomer who has just shadowed,
   or a member back from being away) starts at the current average of those already in
   the rota, or keeps their own count if it is higher: they neither jump the queue nor
   are punished for joining late, and being away does not build up a backlog of turns.
   This is what keeps the fairness bound: among members free for every meeting of a run
   who could already lead when it started, and whose give-back ledger was square, the
   number of times each leads differs by at most 1.
2. Owing a give-back (see below): a debtor goes first among equals.
3. Leads against fair share. At every meeting that had a lead, each member who could
   have led is given a fair share of 1 / (how many could have led). A member's standing
   is leads minus fair share over the time they have been in the rota, so time away,
   or before joining, neither counts for nor against them, and a newcomer starts at 0:
   the group's average.
4. Who led least recently, then the lowest id.

Cover and give back. A past turn with origin "cover" and `covered_for` set records that
the member covered for someone: the covered member owes the coverer one give-back. A
debtor's next lead settles their oldest outstanding debt, and covering for someone you
owe (directly, or along a chain that comes back to you) settles that loop instead. The
rota repays debts two ways: debtors go first among equals (rule 2), and when it would
choose a creditor while one of their debtors is free to lead, the debtor leads instead
and the creditor skips the turn. "Settles" therefore means precisely: in "rotating" and
"panel" modes, a creditor never leads at a meeting where a member who still owes them is
free to lead.

Modes:

- "rotating": one lead a meeting, as above, plus a shadow when a newcomer is waiting.
- "fixed": the fixed facilitator leads whenever they are free and may lead, and the
  rotation covers the other meetings. The fixed facilitator is not made to give way to
  their debtors.
- "panel" (reflective forums): a lead chosen as in "rotating", then two further panel
  members who have taken fewest panel places in this run, then fewest turns of any kind
  before it, then lowest id. A waiting newcomer takes the third place as the shadow when
  the lead is experienced. `panel` lists the three, or fewer if fewer are free.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from itertools import pairwise
from typing import Literal

Role = Literal["lead", "co", "shadow"]
Origin = Literal["rota", "swap", "cover", "override"]
Mode = Literal["rotating", "fixed", "panel"]
MODES: tuple[Mode, ...] = ("rotating", "fixed", "panel")
PANEL_SIZE = 3


@dataclass(frozen=True)
class Member:
    id: int
    joined: date
    left: date | None = None
    opted_out: bool = False

    def active_on(self, day: date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)


@dataclass(frozen=True)
class Meeting:
    id: int
    day: date


@dataclass(frozen=True)
class Turn:
    meeting_id: int
    day: date
    member: int
    role: Role
    origin: Origin = "rota"
    covered_for: int | None = None


@dataclass(frozen=True)
class Assignment:
    meeting_id: int
    lead: int | None
    co: int | None = None
    shadow: int | None = None
    panel: tuple[int, ...] = ()


@dataclass(frozen=True)
class Standing:
    led: int
    co: int
    shadowed: int
    last_led: date | None
    balance: float  # leads minus the average leads of members still on the rota
    owed: int = 0  # give-backs others still owe this member
    owes: int = 0  # give-backs this member still owes others


Away = AbstractSet[tuple[int, date]]


@dataclass
class _Book:
    """Where everyone stands, replayed from past turns and then from this run."""

    led: Counter[int] = field(default_factory=Counter)
    co: Counter[int] = field(default_factory=Counter)
    shadowed: Counter[int] = field(default_factory=Counter)
    last_led: dict[int, date] = field(default_factory=dict)
    share: defaultdict[int, Fraction] = field(default_factory=lambda: defaultdict(Fraction))
    debts: defaultdict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def may_lead(self, member: int) -> bool:
        return bool(self.led[member] or self.shadowed[member])

    def standing(self, member: int) -> Fraction:
        return self.led[member] - self.share[member]

    def record_lead(self, member: int, day: date, settles: bool = True) -> None:
        self.led[member] += 1
        self.last_led[member] = max(day, self.last_led.get(member, day))
        if settles and self.debts[member]:
            self.debts[member].pop(0)

    def owe(self, debtor: int, creditor: int) -> bool:
        """Record a give-back owed; True if it instead closed a loop of debts.

        If the creditor already owes the debtor, directly or along a chain, the new
        debt and that chain cancel: everyone on the loop has given one and is owed one.
        Without this, mutual debts could leave nobody free to lead who is owed nothing.
        """
        chain = self._chain(creditor, debtor)
        if chain is None:
            self.debts[debtor].append(creditor)
            return False
        for owing, owed in pairwise(chain):
            self.debts[owing].remove(owed)
        return True

    def _chain(self, start: int, goal: int) -> list[int] | None:
        """The shortest chain start owes ... owes goal, lowest ids first, or None."""
        came_from: dict[int, int] = {start: start}
        frontier = [start]
        while frontier:
            following: list[int] = []
            for member in frontier:
                for creditor in sorted(set(self.debts[member])):
                    if creditor in came_from:
                        continue
                    came_from[creditor] = member
                    if creditor == goal:
                        chain = [goal]
                        while chain[-1] != start:
                            chain.append(came_from[chain[-1]])
                        return chain[::-1]
                    following.append(creditor)
            frontier = following
        return None

    def record(self, turn: Turn) -> None:
        closed = False
        if turn.origin == "cover" and turn.covered_for not in (None, turn.member):
            # Covering for someone you owe is itself the give-back.
            closed = self.owe(turn.covered_for, turn.member)
        if turn.role == "lead":
            self.record_lead(turn.member, turn.day, settles=not closed)
        elif turn.role == "co":
            self.co[turn.member] += 1
        else:
            self.shadowed[turn.member] += 1

    def give_fair_shares(self, could_lead: Collection[int]) -> None:
        for member in could_lead:
            self.share[member] += Fraction(1, len(could_lead))


def _free(member: Member, day: date, away: Away) -> bool:
    return member.active_on(day) and not member.opted_out and (member.id, day) not in away


def _in_order(turns: Iterable[Turn]) -> list[Turn]:
    # Leads before other roles within a meeting, so replaying never depends on the order
    # the turns arrived in.
    roles = {"lead": 0, "co": 1, "shadow": 2}
    return sorted(
        turns,
        key=lambda t: (t.day, t.meeting_id, roles[t.role], t.member, t.origin, t.covered_for or 0),
    )


def _replay(members: Sequence[Member], history: Iterable[Turn], away: Away) -> _Book:
    book = _Book()
    by_meeting: dict[tuple[date, int], list[Turn]] = defaultdict(list)
    for turn in _in_order(history):
        by_meeting[turn.day, turn.meeting_id].append(turn)
    for (day, _), turns in by_meeting.items():
        if any(turn.role == "lead" for turn in turns):
            book.give_fair_shares(
                [m.id for m in members if _free(m, day, away) and book.may_lead(m.id)]
            )
        for turn in turns:
            book.record(turn)
    return book


def assign(
    members: Sequence[Member],
    meetings: Sequence[Meeting],
    history: Iterable[Turn],
    away: Away,
    mode: Mode = "rotating",
    fixed_facilitator: int | None = None,
) -> list[Assignment]:
    """Facilitators for `meetings`, in date order, following the rules at the top."""
    if mode not in MODES:
        raise ValueError(f"The rota modes are {', '.join(MODES)}, not {mode!r}.")
    if mode == "fixed" and fixed_facilitator is None:
        raise ValueError("A fixed rota needs a fixed facilitator.")
    members = sorted(members, key=lambda m: m.id)
    book = _replay(members, history, away)
    in_run: dict[int, Fraction] = {}  # rule 1's count, for members in the rota
    panel_places: Counter[int] = Counter()
    turns_before = book.led + book.co + book.shadowed
    previous: set[int] = set()
    plan: list[Assignment] = []
    for meeting in sorted(meetings, key=lambda m: (m.day, m.id)):
        free = [m for m in members if _free(m, meeting.day, away)]
        could_lead = [m.id for m in free if book.may_lead(m.id)]
        _welcome(in_run, could_lead, previous)
        previous = set(could_lead)
        lead = _choose_lead(book, in_run, could_lead, mode, fixed_facilitator)
        experienced = lead is not None and book.led[lead] > 0
        waiting = sorted((m for m in free if not book.may_lead(m.id)), key=lambda m: m.joined)
        shadow = waiting[0].id if experienced and waiting else None
        co = None
        panel: tuple[int, ...] = ()
        if mode == "panel" and lead is not None:
            others = sorted(
                (m for m in could_lead if m != lead),
                key=lambda m: (panel_places[m], turns_before[m], m),
            )
            co = others[0] if others else None
            third = shadow if shadow is not None else (others[1] if len(others) > 1 else None)
            panel = tuple(m for m in (lead, co, third) if m is not None)
            panel_places.update(panel)
        if lead is not None:
            book.give_fair_shares(could_lead)
            book.record_lead(lead, meeting.day)
            in_run[lead] += 1
        if shadow is not None:
            book.shadowed[shadow] += 1
        plan.append(Assignment(meeting.id, lead, co, shadow, panel))
    return plan


def _welcome(in_run: dict[int, Fraction], could_lead: list[int], previous: set[int]) -> None:
    """Rule 1: someone new to the rota, or back, starts at the average of those in it."""
    staying = [in_run[m] for m in could_lead if m in previous]
    average = sum(staying, Fraction(0)) / len(staying) if staying else Fraction(0)
    for member in could_lead:
        if member not in previous:
            in_run[member] = max(in_run.get(member, average), average)


def _choose_lead(
    book: _Book,
    in_run: dict[int, Fraction],
    could_lead: list[int],
    mode: Mode,
    fixed_facilitator: int | None,
) -> int | None:
    if not could_lead:
        return None
    if mode == "fixed" and fixed_facilitator in could_lead:
        return fixed_facilitator
    chosen = min(
        could_lead,
        key=lambda m: (
            in_run[m],
            not book.debts[m],
            book.standing(m),
            book.last_led.get(m, date.min),
            m,
        ),
    )
    # The give-back: a debtor who is free takes their creditor's turn, oldest debt first.
    for debtor in sorted(could_lead, key=lambda m: (book.debts[m][:1] != [chosen], m)):
        if chosen in book.debts[debtor]:
            return debtor
    return chosen


def ledger(members: Sequence[Member], history: Iterable[Turn]) -> dict[int, Standing]:
    """Each member's turns so far and their balance against the group's average.

    The average is over members who have not left and have not opted out, the people
    the rota actually shares leading between.
    """
    book = _Book()
    for turn in _in_order(history):
        book.record(turn)
    on_rota = [m.id for m in members if m.left is None and not m.opted_out]
    average = sum(book.led[m] for m in on_rota) / len(on_rota) if on_rota else 0.0
    owed = Counter(creditor for debts in book.debts.values() for creditor in debts)
    return {
        m.id: Standing(
            led=book.led[m.id],
            co=book.co[m.id],
            shadowed=book.shadowed[m.id],
            last_led=book.last_led.get(m.id),
            balance=book.led[m.id] - average,
            owed=owed[m.id],
            owes=len(book.debts[m.id]),
        )
        for m in sorted(members, key=lambda m: m.id)
    }


def who_has_not_led(members: Sequence[Member], history: Iterable[Turn], on: date) -> list[int]:
    """Members active on `on`, not opted out, with no lead on or before that day."""
    have_led = {t.member for t in history if t.role == "lead" and t.day <= on}
    return sorted(
        m.id for m in members if m.active_on(on) and not m.opted_out and m.id not in have_led
    )
