"""Which Tool 3 questions go on a group's next agenda, and swapping one for another.

Pure: the group's history of questions is passed in, oldest first. Two promises hold
across a group's life, so that no lens and no question is quietly neglected:

- Every one of the 20 questions is used before any question repeats. Once all 20 have
  been used a new cycle starts, under the same rules.
- Within a cycle, every lens that still has unused questions is used before any lens
  repeats. The Organisation lens has only four questions and Team has six, so the last
  few prompts of a cycle come from the lenses that have questions left.

Within those promises the rotation takes the lens used least recently, then that lens's
lowest unused question, so the same history always gives the same agenda.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

LENSES = {
    "self": "Self",
    "supervisor": "Supervisor or leader",
    "team": "Team",
    "organisation": "Organisation",
}
QUESTIONS_BY_LENS = {
    "self": (1, 2, 3, 4, 5),
    "supervisor": (6, 7, 8, 9, 10),
    "team": (11, 12, 13, 14, 15, 16),
    "organisation": (17, 18, 19, 20),
}
LENS_OF: dict[int, str] = {q: lens for lens, qs in QUESTIONS_BY_LENS.items() for q in qs}
PROMPTS_PER_AGENDA = (1, 4)

_ORDER = list(LENSES)


def _full_lenses() -> dict[str, int]:
    return {lens: len(qs) for lens, qs in QUESTIONS_BY_LENS.items()}


@dataclass
class _Rotation:
    """Where a group stands, replayed from its history one question at a time."""

    used: set[int] = field(default_factory=set)  # questions used in this cycle
    left: dict[str, int] = field(default_factory=_full_lenses)  # unused in this cycle, by lens
    had_turn: set[str] = field(default_factory=set)  # lenses used in this round of turns
    last_used: dict[str, int] = field(default_factory=dict)  # lens -> position of latest use
    position: int = 0

    def record(self, question: int) -> None:
        lens = LENS_OF[question]
        if question not in self.used:
            self.used.add(question)
            self.left[lens] -= 1
        self.last_used[lens] = self.position
        self.position += 1
        if len(self.used) == len(LENS_OF):
            self.used.clear()
            self.left = _full_lenses()
            self.had_turn.clear()
            return
        self.had_turn.add(lens)
        if self.had_turn >= self.lenses_left():
            self.had_turn.clear()

    def copy(self) -> _Rotation:
        return _Rotation(
            set(self.used), dict(self.left), set(self.had_turn), dict(self.last_used), self.position
        )

    def lenses_left(self) -> set[str]:
        return {lens for lens, count in self.left.items() if count}

    def unused(self, lens: str) -> list[int]:
        return [q for q in QUESTIONS_BY_LENS[lens] if q not in self.used]

    def lenses_due(self) -> list[str]:
        """Lenses the next prompt may come from, least recently used first."""
        return sorted(self.lenses_left() - self.had_turn, key=self.staleness)

    def staleness(self, lens: str) -> tuple[int, int]:
        return self.last_used.get(lens, -1), _ORDER.index(lens)


def _replay(history: Sequence[int]) -> _Rotation:
    rotation = _Rotation()
    for question in history:
        _check_question(question)
        rotation.record(question)
    return rotation


def _check_question(question: int) -> None:
    if question not in LENS_OF:
        raise ValueError(f"Tool 3 questions are numbered 1 to 20, not {question}.")


def next_questions(history: Sequence[int], count: int) -> list[int]:
    """The `count` questions (1 to 4) for the group's next agenda.

    Questions are chosen one at a time as if each had already been used, which also puts
    one agenda's questions in different lenses wherever the promises allow.
    """
    low, high = PROMPTS_PER_AGENDA
    if not low <= count <= high:
        raise ValueError(f"An agenda carries {low} to {high} Tool 3 prompts.")
    rotation = _replay(history)
    chosen: list[int] = []
    for _ in range(count):
        question = rotation.unused(rotation.lenses_due()[0])[0]
        chosen.append(question)
        rotation.record(question)
    return chosen


def swap(
    history: Sequence[int], current: Sequence[int], replace: int, lens: str | None = None
) -> int:
    """A question to put on this agenda in place of `replace`.

    `history` is what the group used before this agenda; `current` is this agenda's
    questions. The answer is never on this agenda and never used yet in the cycle.

    With a `lens`, it comes from that lens: the facilitator's choice, which may bend the
    lens promise but never the question promise. Without one, it keeps both promises,
    taking the same lens as `replace` where possible. Within a lens the answer is the next
    question after `replace`, wrapping round, so pressing "swap" again steps through the
    lens instead of bouncing between two questions.
    """
    if replace not in current:
        raise ValueError("That question is not on this agenda.")
    if lens is not None and lens not in LENSES:
        raise ValueError(
            "Choose one of the lenses: Self, Supervisor or leader, Team, Organisation."
        )
    for question in (*history, *current):
        _check_question(question)
    at = list(current).index(replace)
    before_agenda = _replay(history)
    # The state just before the swapped prompt: anything used up to there is off limits,
    # and so is anything already on this agenda.
    rotation = before_agenda.copy()
    for question in current[:at]:
        rotation.record(question)

    def options(from_lens: str) -> list[int]:
        return sorted(
            (q for q in rotation.unused(from_lens) if q not in current),
            key=lambda q: (q < replace, q),
        )

    if lens is not None:
        chosen = options(lens)
        if not chosen:
            raise ValueError(
                f"Every {LENSES[lens]} question has been used since the group last went "
                "through all 20, or is on this agenda already. Choose another lens."
            )
        return chosen[0]

    if not any(options(other) for other in LENSES):
        raise ValueError(
            "This is the group's last unused question before it has been through all 20, "
            "so there is nothing to swap it for yet."
        )
    own = LENS_OF[replace]
    elsewhere_on_agenda = {LENS_OF[q] for i, q in enumerate(current) if i != at}
    others = sorted(
        (other for other in LENSES if other != own),
        key=lambda other: (other in elsewhere_on_agenda, rotation.staleness(other)),
    )
    allowed = _lens_repeats(before_agenda, current)
    for candidate_lens in (own, *others):
        for question in options(candidate_lens):
            swapped = [*current[:at], question, *current[at + 1 :]]
            if _lens_repeats(before_agenda, swapped) <= allowed:
                return question
    raise ValueError(
        f"The {LENSES[own]} lens has no other question left in this cycle, and any other "
        "lens would come round twice before the rest have had a turn. Choose a lens to "
        "swap to if you want to go ahead."
    )


def _lens_repeats(before_agenda: _Rotation, agenda: Sequence[int]) -> int:
    # Counted rather than merely checked, so that a swap never makes an agenda that a
    # facilitator has already bent any less fair than it is.
    rotation = before_agenda.copy()
    repeats = 0
    for question in agenda:
        if LENS_OF[question] in rotation.had_turn or question in rotation.used:
            repeats += 1
        rotation.record(question)
    return repeats


def coverage(history: Sequence[int]) -> dict[str, list[int]]:
    """The questions a group has ever used, by lens, each lens listed even if unused."""
    for question in history:
        _check_question(question)
    return {lens: sorted(set(history) & set(qs)) for lens, qs in QUESTIONS_BY_LENS.items()}
