from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import measures
from app.domain.disclosure import Shown

TOO_FEW = "Too few people to say without identifying anyone."
SUPPRESSED = [Shown(None, "small"), Shown(None, "hidden")]

turns = st.lists(st.integers(0, 30), min_size=1, max_size=25)
led_at_all = turns.filter(lambda counts: sum(counts) > 0)


def percent(value: float) -> Shown:
    return Shown(value, "shown", "percent")


def count(value: int) -> Shown:
    return Shown(value, "shown")


# Gini.


def test_one_person_leading_every_time_gives_n_minus_one_over_n() -> None:
    assert measures.gini([12, 0, 0, 0]) == pytest.approx(3 / 4)
    assert measures.gini([5, 0]) == pytest.approx(1 / 2)


def test_everyone_leading_equally_gives_zero() -> None:
    assert measures.gini([3, 3, 3]) == 0


def test_the_gini_of_a_known_spread() -> None:
    # The pairs differ by 1, 3 and 2, counted in both orders: 12 / (2 * 3 members * 7 turns).
    assert measures.gini([1, 2, 4]) == pytest.approx(2 / 7)


def test_there_is_no_gini_when_nobody_led_or_nobody_is_there() -> None:
    assert measures.gini([]) is None
    assert measures.gini([0, 0, 0]) is None


def test_a_negative_count_of_turns_is_refused() -> None:
    with pytest.raises(ValueError):
        measures.gini([2, -1])


@given(led_at_all)
def test_the_gini_is_from_zero_to_below_one(counts: list[int]) -> None:
    g = measures.gini(counts)
    assert g is not None and 0 <= g < 1


@given(st.integers(1, 30), st.integers(1, 25))
def test_equal_positive_counts_give_zero(turns_each: int, members: int) -> None:
    assert measures.gini([turns_each] * members) == 0


@given(led_at_all, st.randoms(use_true_random=False))
def test_relabelling_members_does_not_change_the_gini(counts: list[int], random) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(counts)
    random.shuffle(shuffled)
    assert measures.gini(shuffled) == measures.gini(counts)


@given(led_at_all, st.integers(1, 50))
def test_scaling_every_count_alike_does_not_change_the_gini(counts: list[int], k: int) -> None:
    assert measures.gini([k * c for c in counts]) == measures.gini(counts)


@given(led_at_all)
def test_a_member_who_never_led_never_makes_turns_look_more_even(counts: list[int]) -> None:
    before, after = measures.gini(counts), measures.gini([*counts, 0])
    assert before is not None and after is not None and after >= before


# Rates, means and directions.


@settings(max_examples=200)
@given(st.integers(0, 1000).flatmap(lambda whole: st.tuples(st.integers(0, whole), st.just(whole))))
def test_a_rate_is_from_zero_to_one(pair: tuple[int, int]) -> None:
    part, whole = pair
    r = measures.rate(part, whole)
    assert r is None if whole == 0 else r is not None and 0 <= r <= 1


@pytest.mark.parametrize(("part", "whole"), [(3, 2), (-1, 2), (1, -2)])
def test_an_impossible_rate_is_refused(part: int, whole: int) -> None:
    with pytest.raises(ValueError):
        measures.rate(part, whole)


def test_there_is_no_rate_of_nothing() -> None:
    assert measures.rate(0, 0) is None


def test_a_mean_of_nothing_is_none_and_of_something_is_the_average() -> None:
    assert measures.mean(10, 0) is None
    assert measures.mean(10, 4) == 2.5
    with pytest.raises(ValueError):
        measures.mean(10, -1)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (0, 2, "rising"),
        (0, 1, "steady"),
        (1, 2, "steady"),
        (4, 6, "rising"),
        (4, 5, "steady"),
        (10, 14, "steady"),
        (10, 15, "rising"),
        (6, 3, "falling"),
        (6, 4, "steady"),
        (2, 0, "falling"),
        (1, 0, "steady"),
        (7, 7, "steady"),
    ],
)
def test_a_theme_rises_or_falls_only_on_a_real_change(
    before: int, after: int, expected: str
) -> None:
    assert measures.direction(before, after) == expected


@given(st.integers(0, 100), st.integers(0, 100))
def test_swapping_the_periods_never_keeps_a_direction(before: int, after: int) -> None:
    # A rise read backwards is never a rise; a change of one or two meetings is no trend.
    forwards, backwards = measures.direction(before, after), measures.direction(after, before)
    assert not (forwards == backwards != "steady")
    if abs(after - before) < 2:
        assert forwards == "steady"


def test_a_negative_meeting_count_is_refused() -> None:
    with pytest.raises(ValueError):
        measures.direction(-1, 2)


# Readings.


@pytest.mark.parametrize(
    "reading",
    [
        measures.reading_share_led,
        measures.reading_gini,
        measures.reading_first_time,
        measures.reading_attendance_rate,
        measures.reading_no_show,
    ],
)
@pytest.mark.parametrize("figure", SUPPRESSED)
def test_a_suppressed_figure_reads_as_too_few_people(reading, figure: Shown) -> None:  # type: ignore[no-untyped-def]
    assert reading(figure) == TOO_FEW


@pytest.mark.parametrize("figure", SUPPRESSED)
def test_a_reading_of_two_figures_says_nothing_when_either_is_suppressed(figure: Shown) -> None:
    # Saying "3 of the 8" while one of them is hidden would give it back.
    assert measures.reading_shadowed(figure, count(8)) == TOO_FEW
    assert measures.reading_shadowed(count(3), figure) == TOO_FEW
    assert measures.reading_swaps(figure, count(8)) == TOO_FEW
    assert measures.reading_swaps(count(8), figure) == TOO_FEW


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (0.64, "About two in three members (64%) led at least once — leadership is widely shared."),
        (
            0.52,
            "About half the members (52%) led at least once — leadership is shared, and more "
            "members could be invited to lead.",
        ),
        (
            0.2,
            "About one in five members (20%) led at least once — leadership rests with a few "
            "people.",
        ),
        (
            0.04,
            "Fewer than one in ten members (4%) led at least once — leadership rests with a "
            "few people.",
        ),
        (
            0.96,
            "More than nine in ten members (96%) led at least once — leadership is widely shared.",
        ),
        (1.0, "Every member (100%) led at least once: leadership is fully shared."),
        (0.0, "No member has led a meeting yet in this period."),
        (None, "No one was a member in this period, so there is no one to count."),
    ],
)
def test_the_share_who_led_reads_plainly(value: float | None, sentence: str) -> None:
    figure = percent(value) if value is not None else Shown(None, "none", "percent")
    assert measures.reading_share_led(figure) == sentence


def test_the_share_who_led_is_judged_on_the_percentage_shown() -> None:
    # 59.6% shows as 60%, and 60% is widely shared.
    assert measures.reading_share_led(percent(0.596)).endswith("widely shared.")


@pytest.mark.parametrize(
    ("value", "start"),
    [
        (0.0, "0.00: everyone led equally often"),
        (0.18, "0.18: turns are spread fairly evenly"),
        (0.249, "0.25: turns are spread unevenly"),
        (0.4, "0.40: turns are spread unevenly"),
        (0.75, "0.75: turns are spread very unevenly"),
    ],
)
def test_the_gini_reads_as_how_evenly_turns_are_spread(value: float, start: str) -> None:
    sentence = measures.reading_gini(Shown(value, "shown", "gini"))
    assert sentence.startswith(start)
    assert sentence.endswith(
        "(0 means everyone led equally; the nearer 1, the more one person led every time)."
    )


def test_there_is_no_spread_when_nobody_led() -> None:
    assert "Nobody led" in measures.reading_gini(Shown(None, "none", "gini"))


@pytest.mark.parametrize(
    ("figure", "sentence"),
    [
        (count(0), "Nobody led for the first time in this period."),
        (count(1), "1 member led a meeting for the first time in this period."),
        (count(1200), "1,200 members led a meeting for the first time in this period."),
        (Shown(None, "none"), "No data on first-time leads for this period."),
    ],
)
def test_first_time_leads_read_plainly(figure: Shown, sentence: str) -> None:
    assert measures.reading_first_time(figure) == sentence


@pytest.mark.parametrize(
    ("shadowed", "first", "sentence"),
    [
        (0, 0, "Nobody led for the first time, so nobody needed to shadow first."),
        (1, 1, "The one first-time lead shadowed an experienced lead first."),
        (6, 6, "All 6 first-time leads shadowed an experienced lead first."),
        (5, 8, "5 of the 8 first-time leads shadowed an experienced lead first."),
        (
            0,
            7,
            "None of the 7 first-time leads shadowed anyone first: pairing newcomers with an "
            "experienced lead makes a first turn easier.",
        ),
    ],
)
def test_shadowing_before_a_first_lead_reads_plainly(
    shadowed: int, first: int, sentence: str
) -> None:
    assert measures.reading_shadowed(count(shadowed), count(first)) == sentence


def test_more_shadowed_than_first_time_leads_is_refused() -> None:
    with pytest.raises(ValueError):
        measures.reading_shadowed(count(6), count(5))


def test_shadowing_without_data_says_so() -> None:
    assert measures.reading_shadowed(Shown(None, "none"), count(5)).startswith("No data")


@pytest.mark.parametrize(
    ("swaps", "covers", "sentence"),
    [
        (0, 0, "No turns were swapped or covered: every meeting was led as the rota planned."),
        (3, 0, "Members swapped 3 turns between them, and no turn needed covering."),
        (
            0,
            1,
            "No turns were swapped, and members covered 1 turn for colleagues who couldn't lead.",
        ),
        (
            1,
            12,
            "Members swapped 1 turn between them and covered 12 turns for colleagues who "
            "couldn't lead.",
        ),
    ],
)
def test_swaps_and_covers_read_plainly(swaps: int, covers: int, sentence: str) -> None:
    assert measures.reading_swaps(count(swaps), count(covers)) == sentence


def test_swaps_without_data_say_so() -> None:
    assert measures.reading_swaps(Shown(None, "none"), count(2)).startswith("No data")


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (0.8, "Members came to 80% of the meetings they could have come to: attendance is strong."),
        (
            0.746,
            "Members came to 75% of the meetings they could have come to: attendance is strong.",
        ),
        (0.6, "Members came to 60% of the meetings they could have come to: attendance is steady."),
        (
            0.3,
            "Members came to 30% of the meetings they could have come to: attendance is low, "
            "and it may help to ask members what gets in the way.",
        ),
        (None, "No attendance was recorded in this period."),
    ],
)
def test_the_attendance_rate_reads_plainly(value: float | None, sentence: str) -> None:
    figure = percent(value) if value is not None else Shown(None, "none", "percent")
    assert measures.reading_attendance_rate(figure) == sentence


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (0.0, "Everyone who said they were going came."),
        (0.004, "Under 1% of people who said they were going didn't come: that is low."),
        (0.08, "8% of people who said they were going didn't come: that is low."),
        (
            0.25,
            "25% of people who said they were going didn't come: a reminder the day before, "
            "and an easy way to say they can't make it, may help.",
        ),
        (None, "Nobody said they were going to a meeting in this period."),
    ],
)
def test_no_shows_read_plainly(value: float | None, sentence: str) -> None:
    figure = percent(value) if value is not None else Shown(None, "none", "percent")
    assert measures.reading_no_show(figure) == sentence
