from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.domain import set_lifecycle as rules

ENDS = date(2027, 3, 14)


def phase(
    today: date,
    status: str = "active",
    term_ends: date | None = ENDS,
    reviewed_on: date | None = None,
) -> str:
    return rules.phase(status=status, term_ends=term_ends, reviewed_on=reviewed_on, today=today)


def test_a_set_more_than_four_weeks_from_its_end_is_running() -> None:
    assert phase(ENDS - timedelta(days=29)) == "running"


def test_the_review_is_due_from_exactly_28_days_before_the_end() -> None:
    assert phase(ENDS - timedelta(days=28)) == "review_due"
    assert phase(ENDS - timedelta(days=29)) == "running"


def test_the_review_stays_due_after_the_end_date_until_it_is_recorded() -> None:
    assert phase(ENDS) == "review_due"
    assert phase(ENDS + timedelta(days=40)) == "review_due"


def test_a_recorded_review_waits_for_the_convenors_decision() -> None:
    assert phase(ENDS - timedelta(days=10), reviewed_on=ENDS - timedelta(days=12)) == "reviewed"
    assert phase(ENDS + timedelta(days=10), reviewed_on=ENDS - timedelta(days=28)) == "reviewed"


def test_an_ended_set_is_ended_whatever_its_dates() -> None:
    assert phase(ENDS - timedelta(days=100), status="ended") == "ended"
    assert phase(ENDS, status="ended", reviewed_on=ENDS) == "ended"
    assert phase(ENDS, status="ended", term_ends=None) == "ended"


def test_a_term_with_no_end_is_never_prompted() -> None:
    for today in (ENDS - timedelta(days=400), ENDS, ENDS + timedelta(days=400)):
        assert phase(today, term_ends=None) == "running"


def test_a_set_that_carried_on_after_its_review_is_continuing_until_its_next_window() -> None:
    reviewed = ENDS - timedelta(days=14)
    new_end = rules.continued_term_ends(ENDS, reviewed)
    assert new_end == date(2027, 9, 14)
    assert phase(reviewed, term_ends=new_end, reviewed_on=reviewed) == "continuing"
    assert phase(new_end - timedelta(days=29), term_ends=new_end, reviewed_on=reviewed) == (
        "continuing"
    )
    # Four weeks before the new end, the next closing review is due.
    assert phase(new_end - timedelta(days=28), term_ends=new_end, reviewed_on=reviewed) == (
        "review_due"
    )


def test_carrying_on_after_the_end_date_counts_six_months_from_today() -> None:
    late = ENDS + timedelta(days=20)
    assert rules.continued_term_ends(ENDS, late) == date(2027, 10, 3)


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
)
def test_without_a_review_the_phase_depends_only_on_the_days_left(
    term_ends: date, today: date
) -> None:
    expected = "review_due" if (term_ends - today).days <= 28 else "running"
    assert phase(today, term_ends=term_ends) == expected


def test_the_local_date_is_the_groups_not_utcs() -> None:
    late_evening_utc = datetime(2027, 6, 1, 23, 30, tzinfo=UTC)
    assert rules.local_date(late_evening_utc, "Europe/London") == date(2027, 6, 2)
    assert rules.local_date(late_evening_utc, "UTC") == date(2027, 6, 1)


def test_a_closing_review_note_needs_3_to_2000_characters() -> None:
    assert rules.check_review_note("  ok ")
    assert rules.check_review_note("x" * 2001)
    assert rules.check_review_note("We end here, with thanks.") is None
    assert rules.check_review_note("x" * 2000) is None


def test_the_prompt_names_the_end_date_and_says_when_it_has_passed() -> None:
    assert rules.prompt_text("The set", ENDS, ENDS - timedelta(days=28)) == (
        "Closing review due: The set ends on 14 March 2027. Hold a closing review before then."
    )
    assert "ended on 14 March 2027" in rules.prompt_text("The set", ENDS, ENDS + timedelta(1))
