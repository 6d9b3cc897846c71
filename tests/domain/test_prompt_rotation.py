from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.prompt_rotation import (
    LENS_OF,
    LENSES,
    QUESTIONS_BY_LENS,
    coverage,
    next_questions,
    swap,
)

# One question per meeting from a new group: one round of lenses after another, then the
# three lenses with questions left, then Team's sixth question.
FIRST_CYCLE = [1, 6, 11, 17, 2, 7, 12, 18, 3, 8, 13, 19, 4, 9, 14, 20, 5, 10, 15, 16]

meeting_sizes = st.integers(1, 4)
swap_positions = st.lists(st.integers(0, 3), max_size=3)
meetings = st.lists(st.tuples(meeting_sizes, swap_positions), max_size=30)
lens_swaps = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(sorted(LENSES))), max_size=2)


def one_at_a_time(prompts: int) -> list[int]:
    history: list[int] = []
    for _ in range(prompts):
        history += next_questions(history, 1)
    return history


def assert_the_promises_hold(history: list[int]) -> None:
    """Both promises, stated on positions rather than on the rotation's own bookkeeping."""
    for start in range(0, len(history), 20):
        cycle = history[start : start + 20]
        assert len(set(cycle)) == len(cycle), "a question came round twice in one cycle"
        lenses = [LENS_OF[q] for q in cycle]
        # Organisation's four questions last for exactly four rounds of all four lenses.
        for turn in range(0, min(16, len(cycle)), 4):
            assert len(set(lenses[turn : turn + 4])) == len(lenses[turn : turn + 4])
        # What is left after that: Self, Supervisor and Team once each, then Team's last.
        assert len(set(lenses[16:19])) == len(lenses[16:19])
        if len(cycle) == 20:
            assert lenses[19] == "team"


def assert_the_question_promise_holds(history: list[int]) -> None:
    for start in range(0, len(history), 20):
        cycle = history[start : start + 20]
        assert len(set(cycle)) == len(cycle)


# Properties


@settings(max_examples=500, deadline=None)
@given(meetings)
def test_any_run_of_meetings_keeps_both_promises(plan: list[tuple[int, list[int]]]) -> None:
    history: list[int] = []
    for size, _ in plan:
        agenda = next_questions(history, size)
        assert len(agenda) == size
        assert next_questions(history, size) == agenda
        history += agenda
    assert_the_promises_hold(history)
    if len(history) >= 4:
        assert {LENS_OF[q] for q in history[:4]} == set(LENSES)
    if len(history) >= 20:
        assert sorted(history[:20]) == list(range(1, 21))


@settings(max_examples=500, deadline=None)
@given(meetings)
def test_one_agendas_questions_come_from_different_lenses_while_every_lens_has_some_left(
    plan: list[tuple[int, list[int]]],
) -> None:
    history: list[int] = []
    for size, swaps in plan:
        agenda = next_questions(history, size)
        if len(history) % 20 + size <= 16:
            assert len({LENS_OF[q] for q in agenda}) == size
        history += _swapped(history, agenda, swaps)


@settings(max_examples=500, deadline=None)
@given(meetings)
def test_swapping_prompts_at_random_keeps_both_promises(
    plan: list[tuple[int, list[int]]],
) -> None:
    history: list[int] = []
    for size, swaps in plan:
        history += _swapped(history, next_questions(history, size), swaps)
    assert_the_promises_hold(history)
    if len(history) >= 4:
        assert {LENS_OF[q] for q in history[:4]} == set(LENSES)


def _swapped(history: list[int], agenda: list[int], positions: list[int]) -> list[int]:
    agenda = list(agenda)
    for position in positions:
        at = position % len(agenda)
        try:
            replacement = swap(history, agenda, agenda[at])
        except ValueError:
            continue
        assert replacement not in agenda
        assert swap(history, agenda, agenda[at]) == replacement
        agenda[at] = replacement
    return agenda


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(meeting_sizes, lens_swaps), max_size=30))
def test_swapping_to_a_chosen_lens_never_repeats_a_question_early(
    plan: list[tuple[int, list[tuple[int, str]]]],
) -> None:
    history: list[int] = []
    for size, swaps in plan:
        agenda = next_questions(history, size)
        for position, lens in swaps:
            at = position % size
            try:
                replacement = swap(history, agenda, agenda[at], lens=lens)
            except ValueError as refusal:
                assert LENSES[lens] in str(refusal)
                continue
            assert LENS_OF[replacement] == lens
            agenda[at] = replacement
        history += agenda
    assert_the_question_promise_holds(history)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(1, 20), max_size=60))
def test_coverage_lists_each_question_used_under_its_own_lens(history: list[int]) -> None:
    covered = coverage(history)
    assert list(covered) == list(LENSES)
    assert sorted(q for qs in covered.values() for q in qs) == sorted(set(history))
    assert all(LENS_OF[q] == lens for lens, qs in covered.items() for q in qs)


# Examples


def test_tool_3_has_20_questions_under_four_lenses() -> None:
    assert sorted(LENS_OF) == list(range(1, 21))
    assert Counter(LENS_OF.values()) == {"self": 5, "supervisor": 5, "team": 6, "organisation": 4}
    assert (LENS_OF[5], LENS_OF[6], LENS_OF[16], LENS_OF[17]) == (
        "self",
        "supervisor",
        "team",
        "organisation",
    )


def test_a_new_group_with_one_prompt_a_meeting_meets_every_lens_in_its_first_four() -> None:
    assert one_at_a_time(4) == [1, 6, 11, 17]


def test_a_new_group_with_four_prompts_meets_every_lens_at_its_first_meeting() -> None:
    assert next_questions([], 4) == [1, 6, 11, 17]


def test_the_group_goes_through_all_20_before_a_new_cycle_starts_with_the_stalest_lens() -> None:
    history = one_at_a_time(24)
    assert history[:20] == FIRST_CYCLE
    # Organisation last had a turn at the 16th prompt, so it leads the second cycle.
    assert history[20:] == [17, 1, 6, 11]


def test_an_agenda_carries_one_to_four_prompts() -> None:
    for count in (0, 5):
        with pytest.raises(ValueError, match="1 to 4 Tool 3 prompts"):
            next_questions([], count)


def test_a_question_number_outside_tool_3_is_refused() -> None:
    with pytest.raises(ValueError, match="numbered 1 to 20"):
        next_questions([1, 21], 1)


def test_swapping_steps_through_the_lens_instead_of_bouncing_between_two() -> None:
    agenda, seen = [1, 6], []
    for _ in range(5):
        agenda[0] = swap([], agenda, agenda[0])
        seen.append(agenda[0])
    assert seen == [2, 3, 4, 5, 1]


def test_a_facilitator_can_swap_to_a_question_from_a_chosen_lens() -> None:
    assert swap([], [1, 6], 1, lens="team") == 11
    assert swap([], [1, 6], 1, lens="supervisor") == 7


def test_swapping_to_a_lens_with_nothing_left_in_the_cycle_is_refused_plainly() -> None:
    history = one_at_a_time(16)
    with pytest.raises(ValueError, match="Every Organisation question has been used"):
        swap(history, [5], 5, lens="organisation")


def test_when_a_lens_is_used_up_a_swap_moves_to_the_lens_that_keeps_the_rotation_fair() -> None:
    history = one_at_a_time(16)
    assert next_questions(history, 1) == [5]
    # Self has nothing else left; Supervisor had its turn longest ago.
    assert swap(history, [5], 5) == 10


def test_the_last_unused_question_of_a_cycle_cannot_be_swapped() -> None:
    with pytest.raises(ValueError, match="nothing to swap it for yet"):
        swap(FIRST_CYCLE[:19], [16], 16)


def test_a_swap_that_would_give_one_lens_two_turns_in_a_round_is_refused() -> None:
    history = one_at_a_time(16)
    with pytest.raises(ValueError, match="Choose a lens to swap to"):
        swap(history, [5, 10, 15], 5)


def test_swapping_a_question_that_is_not_on_the_agenda_is_refused() -> None:
    with pytest.raises(ValueError, match="not on this agenda"):
        swap([], [1, 6], 2)


def test_coverage_shows_every_lens_even_before_it_has_been_used() -> None:
    assert coverage([1, 6, 2, 20, 1]) == {
        "self": [1, 2],
        "supervisor": [6],
        "team": [],
        "organisation": [20],
    }
    assert coverage([]) == {lens: [] for lens in QUESTIONS_BY_LENS}
