from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain import agendas
from app.domain.agendas import ItemDraft, draft_agenda, minimum_minutes, rebalance
from app.domain.prompt_rotation import LENSES

kinds = st.sampled_from(sorted(agendas.KINDS))
presenter_counts = st.integers(1, 4)
topics = st.lists(st.sampled_from(["Rotas", "Parking", "Training budget", "Menopause policy"]))


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, int, int, list[str]]:
    """A kind, a length anywhere from its minimum to 240, and what the agenda must hold."""
    kind = draw(kinds)
    presenters = draw(presenter_counts) if kind == "action_learning" else 1
    member_items = draw(topics) if kind == "staff_network" else []
    shortest = minimum_minutes(kind, presenters, len(member_items))
    assume(shortest <= 240)
    return kind, draw(st.integers(shortest, 240)), presenters, member_items


def kinds_of(items: list[ItemDraft]) -> list[str]:
    return [item.kind for item in items]


# Properties


@settings(max_examples=500, deadline=None)
@given(requests())
def test_every_draft_adds_up_to_the_meeting_length_exactly(
    request: tuple[str, int, int, list[str]],
) -> None:
    kind, minutes, presenters, member_items = request
    items = draft_agenda(kind, minutes, presenters, member_items)
    assert sum(item.minutes for item in items) == minutes
    assert all(item.minutes >= 5 for item in items)
    assert all(item.prompt_lens in (None, agendas.ROTATION, *LENSES) for item in items)
    assert draft_agenda(kind, minutes, presenters, member_items) == items


@pytest.mark.parametrize("kind", sorted(agendas.KINDS))
def test_every_length_from_the_minimum_to_four_hours_adds_up(kind: str) -> None:
    for minutes in range(minimum_minutes(kind), 241):
        assert sum(item.minutes for item in draft_agenda(kind, minutes)) == minutes


@settings(max_examples=500, deadline=None)
@given(requests())
def test_the_main_item_gets_the_time_and_the_practice_limits_hold(
    request: tuple[str, int, int, list[str]],
) -> None:
    kind, minutes, presenters, member_items = request
    items = draft_agenda(kind, minutes, presenters, member_items)
    by_kind = {item.kind: item for item in items}
    if kind == "reflective_forum":
        assert 15 <= by_kind["panel_stories"].minutes <= 20
        assert by_kind["reflection"].minutes >= agendas.REFLECTION_MIN
    elif kind == "action_learning":
        slots = [item for item in items if item.kind == "presenter"]
        assert len(slots) == presenters
        assert max(s.minutes for s in slots) - min(s.minutes for s in slots) <= 1
        assert all(s.minutes >= agendas.SLOT_MIN for s in slots)
    else:
        discussion = by_kind["discussion"].minutes
        assert discussion >= agendas.DISCUSSION_MIN
        assert all(discussion >= item.minutes for item in items)


@settings(max_examples=500, deadline=None)
@given(st.integers(agendas.SLOT_MIN, agendas.MAX_MINUTES))
def test_a_presenters_phases_run_in_order_and_add_up_to_the_slot(slot: int) -> None:
    phases = agendas.presenter_phases(slot)
    assert [name for name, _ in phases] == list(agendas.PHASE_NAMES)
    assert sum(length for _, length in phases) == slot
    assert 5 <= phases[0][1] <= 10
    assert all(length >= 5 for _, length in phases)


@settings(max_examples=500, deadline=None)
@given(requests(), st.data())
def test_a_facilitators_edit_can_be_made_to_add_up_again(
    request: tuple[str, int, int, list[str]], data: st.DataObject
) -> None:
    kind, minutes, presenters, member_items = request
    items = draft_agenda(kind, minutes, presenters, member_items)
    at = data.draw(st.integers(0, len(items) - 1))
    edited = list(items)
    edited[at] = replace(items[at], minutes=data.draw(st.integers(1, 30)))
    try:
        fixed = rebalance(edited, minutes)
    except ValueError as refusal:
        assert "at least" in str(refusal) or "Shorten a phase" in str(refusal)
        return
    assert sum(item.minutes for item in fixed) == minutes
    changed = [n for n, (a, b) in enumerate(zip(edited, fixed, strict=True)) if a != b]
    assert len(changed) <= 1
    for item in fixed:
        if item.kind == "presenter":
            assert sum(length for _, length in item.phases) == item.minutes


# Formats


def test_a_peer_support_group_welcomes_checks_in_discusses_and_checks_out() -> None:
    items = draft_agenda("peer_support", 90)
    assert kinds_of(items) == ["welcome", "check_in", "discussion", "aob", "check_out"]
    assert [item.minutes for item in items] == [5, 15, 55, 5, 10]


def test_the_check_in_takes_a_self_prompt_and_the_discussion_one_from_the_rotation() -> None:
    items = {item.kind: item for item in draft_agenda("peer_support", 60)}
    assert items["check_in"].prompt_lens == "self"
    assert items["discussion"].prompt_lens == agendas.ROTATION
    assert [kind for kind, item in items.items() if item.takes_prompt] == ["check_in", "discussion"]


def test_a_staff_networks_member_topics_come_before_any_other_business() -> None:
    items = draft_agenda("staff_network", 90, member_items=["Rotas", "  ", " Parking "])
    assert kinds_of(items) == [
        "welcome",
        "check_in",
        "discussion",
        "member_items",
        "member_items",
        "aob",
        "check_out",
    ]
    assert [item.title for item in items[3:5]] == ["Rotas", "Parking"]
    assert [item.minutes for item in items[3:5]] == [10, 10]


def test_a_staff_network_without_topics_has_the_peer_support_format() -> None:
    assert kinds_of(draft_agenda("staff_network", 60)) == kinds_of(draft_agenda("peer_support", 60))


def test_a_short_staff_network_meeting_gives_each_topic_five_minutes() -> None:
    items = draft_agenda("staff_network", 55, member_items=["Rotas", "Parking"])
    assert [item.minutes for item in items if item.kind == "member_items"] == [5, 5]


def test_a_reflective_forum_sets_its_ground_rules_hears_the_panel_reflects_and_closes() -> None:
    items = draft_agenda("reflective_forum", 60)
    assert kinds_of(items) == ["ground_rules", "panel_stories", "reflection", "close"]
    assert [item.minutes for item in items] == [5, 20, 30, 5]
    rules = items[0].title
    assert "confidential" in rules and "no names" in rules
    assert "not a space to solve problems" in rules
    assert [item.kind for item in items if item.takes_prompt] == ["reflection"]


def test_an_action_learning_set_reports_back_hears_its_presenters_and_reviews() -> None:
    items = draft_agenda("action_learning", 180, presenters=3)
    assert kinds_of(items) == [
        "report_back",
        "presenter",
        "presenter",
        "presenter",
        "process_review",
    ]
    assert [item.minutes for item in items] == [15, 52, 52, 51, 10]
    assert [item.title for item in items[1:4]] == ["Presenter 1", "Presenter 2", "Presenter 3"]
    assert all(sum(m for _, m in item.phases) == item.minutes for item in items[1:4])
    assert not any(item.takes_prompt for item in items)


def test_a_one_hour_presenters_slot_gives_ten_minutes_to_present() -> None:
    assert agendas.presenter_phases(60) == (
        ("Presenting, uninterrupted", 10),
        ("Clarifying questions", 7),
        ("Reflective questions", 17),
        ("Questions about future action", 12),
        ("The presenter's actions", 7),
        ("Reflection", 7),
    )


# Too short, and other refusals


@pytest.mark.parametrize(
    ("kind", "shortest"),
    [("peer_support", 45), ("staff_network", 45), ("reflective_forum", 45)],
)
def test_each_kind_refuses_a_meeting_shorter_than_its_minimum_and_says_what_it_is(
    kind: str, shortest: int
) -> None:
    assert minimum_minutes(kind) == shortest
    draft_agenda(kind, shortest)
    with pytest.raises(ValueError, match=f"needs at least {shortest} minutes"):
        draft_agenda(kind, shortest - 1)


def test_an_action_learning_set_needs_45_minutes_a_presenter_plus_its_check_in_and_review() -> None:
    assert minimum_minutes("action_learning") == 65
    assert minimum_minutes("action_learning", presenters=3) == 160
    draft_agenda("action_learning", 160, presenters=3)
    with pytest.raises(ValueError) as refusal:
        draft_agenda("action_learning", 150, presenters=3)
    assert str(refusal.value) == (
        "A 150-minute meeting is too short for 3 presenters. Each presenter needs at least "
        "45 minutes, and the check-in and review need 25, so allow at least 160 minutes or "
        "have fewer presenters."
    )


def test_a_staff_network_with_many_topics_needs_a_longer_meeting() -> None:
    topics = [f"Topic {n}" for n in range(6)]
    with pytest.raises(ValueError, match="with 6 member topics needs at least 75 minutes"):
        draft_agenda("staff_network", 70, member_items=topics)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: draft_agenda("peer_support", 60, member_items=["Rotas"]), "Only a staff network"),
        (lambda: draft_agenda("action_learning", 600, presenters=9), "1 to 8 presenters"),
        (lambda: draft_agenda("action_learning", 120, presenters=0), "1 to 8 presenters"),
        (lambda: draft_agenda("peer_support", 481), "at most 480 minutes"),
        (lambda: draft_agenda("book_club", 60), "Unknown kind"),
    ],
)
def test_a_request_that_makes_no_sense_is_refused_plainly(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# Rebalancing


def test_lengthening_the_check_in_takes_the_time_from_the_discussion() -> None:
    items = draft_agenda("peer_support", 60)
    items[1] = replace(items[1], minutes=20)
    fixed = rebalance(items, 60)
    assert [item.minutes for item in fixed] == [5, 20, 25, 5, 5]


def test_a_longer_meeting_gives_the_extra_time_to_the_largest_presenters_slot() -> None:
    items = draft_agenda("action_learning", 120, presenters=2)
    fixed = rebalance(items, 130)
    assert [item.minutes for item in fixed] == [10, 60, 50, 10]
    assert sum(m for _, m in fixed[1].phases) == 60


def test_a_presenters_edited_slot_gets_phases_that_fit_it() -> None:
    items = draft_agenda("action_learning", 65)
    items[1] = replace(items[1], minutes=50)
    items[0] = replace(items[0], minutes=5)
    fixed = rebalance(items, 65)
    assert fixed[1].phases[0] == items[1].phases[0]
    assert sum(m for _, m in fixed[1].phases) == 50


def test_rebalancing_refuses_to_squeeze_the_discussion_below_ten_minutes() -> None:
    items = draft_agenda("peer_support", 45)
    items[0] = replace(items[0], minutes=20)
    with pytest.raises(ValueError, match='"Reflective discussion" would have 5 minutes'):
        rebalance(items, 45)


def test_rebalancing_without_a_flexible_item_says_the_times_must_be_changed() -> None:
    items = [ItemDraft("welcome", "Welcome", 5), ItemDraft("close", "Close", 5)]
    with pytest.raises(ValueError, match="Change the times so they add up"):
        rebalance(items, 15)
    assert rebalance(items, 10) == items
