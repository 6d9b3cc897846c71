"""Draft agendas for each kind of group, and making edited agendas add up again.

Pure: no I/O and no clock. Every draft follows the practice format for its kind, and its
minutes add up exactly to the meeting's length: whatever is left over after the fixed
items goes into the main item (the discussion, the reflection, or the presenters' slots),
because that is the time the group is there for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.domain.groups import KINDS

MAX_MINUTES = 480
# The least time the main item can have and still be worth meeting for.
DISCUSSION_MIN = 20
REFLECTION_MIN = 20
SLOT_MIN = 45
MAX_PRESENTERS = 8  # an action learning set has at most 8 members
TOPIC_MINUTES = (5, 10)
# Items whose length is a matter of judgement, and the least rebalance will leave them.
FLEXIBLE = {"discussion": 10, "reflection": 10, "presenter": SLOT_MIN, "member_items": 5}
# An item's prompt_lens when the group's Tool 3 rotation picks the lens. Asked for together
# with a check-in's Self prompt, the rotation gives it another lens wherever it can.
ROTATION = "rotation"

PRESENTING = "Presenting, uninterrupted"
PHASE_NAMES = (
    PRESENTING,
    "Clarifying questions",
    "Reflective questions",
    "Questions about future action",
    "The presenter's actions",
    "Reflection",
)
# Shares of a slot after the presenting time; reflective questions get what rounding leaves.
_PHASE_WEIGHTS = (3, 6, 5, 3, 3)
_ABSORBS_ROUNDING = 1  # index into _PHASE_WEIGHTS: reflective questions


@dataclass(frozen=True)
class ItemDraft:
    """One agenda item.

    prompt_lens is the Tool 3 lens the item's prompt comes from, ROTATION where the group's
    rotation chooses, or None for an item without a prompt. A presenter's slot lists its
    phases, which add up to the slot.
    """

    kind: str
    title: str
    minutes: int
    prompt_lens: str | None = None
    phases: tuple[tuple[str, int], ...] = ()

    @property
    def takes_prompt(self) -> bool:
        return self.prompt_lens is not None


def minimum_minutes(kind: str, presenters: int = 1, member_items: int = 0) -> int:
    """The shortest meeting a draft can be made for."""
    _check_kind(kind)
    if kind in ("peer_support", "staff_network"):
        return 5 + 10 + DISCUSSION_MIN + TOPIC_MINUTES[0] * member_items + 5 + 5
    if kind == "reflective_forum":
        return 5 + 15 + REFLECTION_MIN + 5
    return _report_back_minutes(presenters) + SLOT_MIN * presenters + 10


def draft_agenda(
    kind: str, minutes: int, presenters: int = 1, member_items: Sequence[str] = ()
) -> list[ItemDraft]:
    """The practice format for `kind`, timed to fill exactly `minutes`."""
    _check_kind(kind)
    topics = [topic.strip() for topic in member_items if topic.strip()]
    if topics and kind != "staff_network":
        raise ValueError("Only a staff network's agenda has topics suggested by members.")
    if kind == "action_learning" and not 1 <= presenters <= MAX_PRESENTERS:
        raise ValueError(f"An action learning set has 1 to {MAX_PRESENTERS} presenters a meeting.")
    if minutes > MAX_MINUTES:
        raise ValueError(f"A meeting can last at most {MAX_MINUTES} minutes (8 hours).")
    shortest = minimum_minutes(kind, presenters, len(topics))
    if minutes < shortest:
        raise ValueError(_too_short(kind, minutes, shortest, presenters, len(topics)))
    # Time beyond the shortest workable meeting; the fixed items grow a little with it.
    spare = minutes - shortest
    if kind in ("peer_support", "staff_network"):
        return _peer_support(spare, topics)
    if kind == "reflective_forum":
        return _reflective_forum(spare)
    return _action_learning(spare, presenters)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of group: {kind!r}.")


def _too_short(kind: str, minutes: int, shortest: int, presenters: int, topics: int) -> str:
    if kind == "action_learning":
        people = "1 presenter" if presenters == 1 else f"{presenters} presenters"
        fixed = shortest - SLOT_MIN * presenters
        return (
            f"A {minutes}-minute meeting is too short for {people}. Each presenter needs at "
            f"least {SLOT_MIN} minutes, and the check-in and review need {fixed}, so allow at "
            f"least {shortest} minutes or have fewer presenters."
        )
    if topics:
        return (
            f"A staff network meeting with {topics} member topics needs at least {shortest} "
            "minutes. Make the meeting longer or carry some topics over to next time."
        )
    return f"A {KINDS[kind].lower()} meeting needs at least {shortest} minutes."


def _peer_support(spare: int, topics: Sequence[str]) -> list[ItemDraft]:
    per_topic = TOPIC_MINUTES[0]
    if topics and spare >= (TOPIC_MINUTES[1] - TOPIC_MINUTES[0]) * len(topics):
        per_topic = TOPIC_MINUTES[1]
        spare -= (TOPIC_MINUTES[1] - TOPIC_MINUTES[0]) * len(topics)
    check_in = 10 + 5 * min(2, spare // 30)
    check_out = 10 if spare >= 45 else 5
    discussion = DISCUSSION_MIN + spare - (check_in - 10) - (check_out - 5)
    return [
        ItemDraft("welcome", "Welcome and ground rules", 5),
        ItemDraft("check_in", "Check-in", check_in, prompt_lens="self"),
        ItemDraft("discussion", "Reflective discussion", discussion, prompt_lens=ROTATION),
        *(ItemDraft("member_items", topic, per_topic) for topic in topics),
        ItemDraft("aob", "Any other business", 5),
        ItemDraft("check_out", "Check-out", check_out),
    ]


def _reflective_forum(spare: int) -> list[ItemDraft]:
    stories = 20 if spare >= 15 else 15
    close = 10 if spare >= 60 else 5
    reflection = REFLECTION_MIN + spare - (stories - 15) - (close - 5)
    return [
        ItemDraft(
            "ground_rules",
            "Ground rules: this is confidential, we use no names, and it is not a space to "
            "solve problems",
            5,
        ),
        ItemDraft("panel_stories", "The panel's stories", stories),
        ItemDraft("reflection", "Facilitated reflection", reflection, prompt_lens=ROTATION),
        ItemDraft("close", "Close", close),
    ]


def _action_learning(spare: int, presenters: int) -> list[ItemDraft]:
    # Spare time is shared between the slots; a minute that will not divide goes to the
    # earlier presenters.
    share, over = divmod(spare, presenters)
    slots = [SLOT_MIN + share + (1 if n < over else 0) for n in range(presenters)]
    return [
        ItemDraft(
            "report_back",
            "Check-in: last meeting's presenters report back on their actions",
            _report_back_minutes(presenters),
        ),
        *(
            ItemDraft("presenter", f"Presenter {n}", slot, phases=presenter_phases(slot))
            for n, slot in enumerate(slots, start=1)
        ),
        ItemDraft("process_review", "Review of how the set worked today", 10),
    ]


def _report_back_minutes(presenters: int) -> int:
    # Last time's presenters report back, and there were probably as many as today.
    return max(10, 5 * presenters)


def presenter_phases(slot: int) -> tuple[tuple[str, int], ...]:
    """A presenter's slot split into its phases; they add up to `slot`."""
    presenting = min(10, max(5, round(slot / 6)))
    rest = slot - presenting
    shares = [rest * weight // sum(_PHASE_WEIGHTS) for weight in _PHASE_WEIGHTS]
    shares[_ABSORBS_ROUNDING] += rest - sum(shares)
    return tuple(zip(PHASE_NAMES, (presenting, *shares), strict=True))


def rebalance(items: Sequence[ItemDraft], minutes: int) -> list[ItemDraft]:
    """Make a facilitator's edited agenda add up to `minutes` again.

    The largest flexible item (discussion, reflection, presenter's slot or member topic)
    takes up the difference. A presenter's slot keeps the length it is given, and its
    phases are made to fit it by changing its largest questioning phase.
    """
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"A meeting lasts from 1 to {MAX_MINUTES} minutes.")
    if not items:
        raise ValueError("An agenda needs at least one item.")
    for item in items:
        if item.minutes < 1:
            raise ValueError(f'Give "{item.title}" at least a minute, or take it off the agenda.')
    result = list(items)
    total = sum(item.minutes for item in result)
    if total != minutes:
        flexible = [n for n, item in enumerate(result) if item.kind in FLEXIBLE]
        if not flexible:
            raise ValueError(
                f"The items add up to {total} minutes, not {minutes}, and there is no "
                "discussion, reflection or presenter's slot to take up the difference. "
                "Change the times so they add up."
            )
        # Ties go to the earliest item: usually the main one, as drafted.
        at = max(flexible, key=lambda n: (result[n].minutes, -n))
        target = result[at]
        fitted = target.minutes + minutes - total
        floor = FLEXIBLE[target.kind]
        if fitted < floor:
            raise ValueError(
                f'To fit {minutes} minutes, "{target.title}" would have {fitted} minutes, and '
                f"it needs at least {floor}. Shorten other items or make the meeting longer."
            )
        result[at] = replace(target, minutes=fitted)
    return [_fit_phases(item) for item in result]


def _fit_phases(item: ItemDraft) -> ItemDraft:
    if item.kind != "presenter":
        return item
    if not item.phases:
        return replace(item, phases=presenter_phases(item.minutes))
    phases = list(item.phases)
    difference = item.minutes - sum(length for _, length in phases)
    if difference == 0:
        return item
    # Presenting time is the presenter's own and stays as it is; questions flex.
    candidates = range(1, len(phases)) if len(phases) > 1 else range(len(phases))
    at = max(candidates, key=lambda n: (phases[n][1], -n))
    name, length = phases[at]
    if length + difference < 1:
        raise ValueError(
            f'The phases of "{item.title}" need more than its {item.minutes} minutes. '
            "Shorten a phase or give the slot more time."
        )
    phases[at] = (name, length + difference)
    return replace(item, phases=tuple(phases))
