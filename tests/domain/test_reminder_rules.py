"""Reminder rules: timing on the group's wall clock, quiet hours, backoff, planning and
unsubscribe signatures. Every moment is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.domain import reminders as rules

LONDON = ZoneInfo("Europe/London")


def test_two_days_before_a_session_after_the_clocks_go_forward_keeps_the_local_time() -> None:
    # British Summer Time starts at 01:00 UTC on Sunday 28 March 2027.
    starts = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)  # 10:00 BST
    due = rules.before(starts, rules.SESSION_BEFORE, LONDON)
    assert due == datetime(2027, 3, 27, 10, 0, tzinfo=UTC)  # 10:00 GMT
    assert due.astimezone(LONDON).time() == time(10, 0)


def test_a_week_before_a_session_after_the_clocks_go_back_keeps_the_local_time() -> None:
    # British Summer Time ends at 01:00 UTC on Sunday 31 October 2027.
    starts = datetime(2027, 11, 2, 19, 0, tzinfo=UTC)  # 19:00 GMT
    due = rules.before(starts, rules.FACILITATING_BEFORE, LONDON)
    assert due == datetime(2027, 10, 26, 18, 0, tzinfo=UTC)  # 19:00 BST
    assert due.tzinfo == UTC


def test_on_the_day_is_half_past_seven_or_an_hour_before_an_early_start() -> None:
    evening = datetime(2027, 1, 5, 19, 0, tzinfo=UTC)
    assert rules.on_the_day(evening, LONDON) == datetime(2027, 1, 5, 7, 30, tzinfo=UTC)
    early = datetime(2027, 7, 6, 7, 0, tzinfo=UTC)  # 08:00 BST
    assert rules.on_the_day(early, LONDON) == datetime(2027, 7, 6, 6, 0, tzinfo=UTC)


def test_quiet_hours_across_midnight_hold_a_reminder_until_the_morning() -> None:
    quiet = rules.parse_quiet_hours("21:00", "07:00")
    late = datetime(2027, 1, 3, 22, 30, tzinfo=UTC)
    assert rules.deferred_until("session", quiet, LONDON, late) == datetime(
        2027, 1, 4, 7, 0, tzinfo=UTC
    )
    small_hours = datetime(2027, 1, 4, 3, 0, tzinfo=UTC)
    assert rules.deferred_until("session", quiet, LONDON, small_hours) == datetime(
        2027, 1, 4, 7, 0, tzinfo=UTC
    )
    assert (
        rules.deferred_until("session", quiet, LONDON, datetime(2027, 1, 4, 12, tzinfo=UTC)) is None
    )


def test_urgent_reminders_and_people_without_quiet_hours_are_never_held() -> None:
    quiet = rules.parse_quiet_hours("21:00", "07:00")
    late = datetime(2027, 1, 3, 22, 30, tzinfo=UTC)
    assert rules.deferred_until("today", quiet, LONDON, late) is None
    assert rules.deferred_until("swap_chase", quiet, LONDON, late) is None
    assert rules.deferred_until("session", None, LONDON, late) is None


def test_quiet_hours_within_one_day_are_read_in_the_persons_timezone() -> None:
    quiet = rules.parse_quiet_hours("12:00", "13:00")
    summer_noon = datetime(2027, 7, 1, 11, 15, tzinfo=UTC)  # 12:15 BST
    assert rules.deferred_until("actions", quiet, LONDON, summer_noon) == datetime(
        2027, 7, 1, 12, 0, tzinfo=UTC
    )


def test_failures_back_off_for_longer_each_time_then_give_up() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    waits = [rules.retry_at(n, now) for n in range(1, rules.MAX_ATTEMPTS)]
    gaps = [w - now for w in waits if w is not None]
    assert gaps == sorted(gaps) and len(gaps) == rules.MAX_ATTEMPTS - 1
    assert rules.retry_at(rules.MAX_ATTEMPTS, now) is None


def test_the_digest_goes_at_seven_tomorrow_once_seven_today_has_passed() -> None:
    assert rules.next_digest(LONDON, datetime(2027, 1, 4, 6, 0, tzinfo=UTC)) == datetime(
        2027, 1, 4, 7, 0, tzinfo=UTC
    )
    assert rules.next_digest(LONDON, datetime(2027, 1, 4, 7, 0, tzinfo=UTC)) == datetime(
        2027, 1, 5, 7, 0, tzinfo=UTC
    )


def _facts(**changes: object) -> rules.MeetingFacts:
    base = {
        "id": 12,
        "sequence": 3,
        "starts_at": datetime(2027, 1, 12, 19, 0, tzinfo=UTC),
        "ends_at": datetime(2027, 1, 12, 20, 30, tzinfo=UTC),
        "zone": LONDON,
        "facilitator": 1,
        "attendance_recorded": False,
        "facilitating": frozenset({1, 2}),
        "members": frozenset({1, 2, 3, 4}),
        "not_coming": frozenset({4}),
        "going": frozenset({2, 3, 9}),
        "action_owners": frozenset({3, 9}),
    }
    return rules.MeetingFacts(**(base | changes))  # type: ignore[arg-type]


def test_a_meeting_plans_for_facilitators_members_those_going_and_action_owners() -> None:
    planned = rules.plan_meeting(_facts(), datetime(2027, 1, 1, tzinfo=UTC))
    by_kind: dict[str, set[int]] = {}
    for p in planned:
        by_kind.setdefault(p.kind, set()).add(p.user)
        assert p.key == f"{p.kind}:12:3:{p.user}"
    # Person 4 can't come; person 9 has left the group but still has an RSVP and an action.
    assert by_kind == {
        "facilitating": {1, 2},
        "session": {1, 2, 3},
        "today": {2, 3},
        "actions": {3},
    }


def test_after_a_meeting_only_the_facilitator_is_nudged_until_attendance_is_recorded() -> None:
    after = datetime(2027, 1, 12, 21, 0, tzinfo=UTC)
    planned = rules.plan_meeting(_facts(), after)
    assert [(p.kind, p.user, p.due_at) for p in planned] == [
        ("follow_up", 1, datetime(2027, 1, 12, 21, 30, tzinfo=UTC))
    ]
    assert rules.plan_meeting(_facts(attendance_recorded=True), after) == []


def test_a_swap_asked_for_too_close_to_the_date_is_not_chased_separately() -> None:
    starts = datetime(2027, 1, 12, 19, 0, tzinfo=UTC)
    early = rules.plan_swap(5, starts, LONDON, frozenset({1, 2}), starts - timedelta(days=6))
    assert sorted((p.kind, p.user) for p in early) == [
        ("swap", 1),
        ("swap", 2),
        ("swap_chase", 1),
        ("swap_chase", 2),
    ]
    late = rules.plan_swap(5, starts, LONDON, frozenset({1}), starts - timedelta(days=1))
    assert [p.kind for p in late] == ["swap"]


@given(
    sequence=st.integers(0, 50),
    offset=st.integers(-3 * 24 * 60, 10 * 24 * 60),
)
def test_planning_is_deterministic_and_every_key_is_unique(sequence: int, offset: int) -> None:
    now = datetime(2027, 1, 12, 19, 0, tzinfo=UTC) - timedelta(minutes=offset)
    first = rules.plan_meeting(_facts(sequence=sequence), now)
    assert first == rules.plan_meeting(_facts(sequence=sequence), now)
    assert len({p.key for p in first}) == len(first)


def test_an_unsubscribe_signature_is_bound_to_the_person_and_the_kind() -> None:
    token = rules.unsubscribe_token("s" * 40, 7, "session")
    assert rules.valid_unsubscribe("s" * 40, 7, "session", token)
    assert not rules.valid_unsubscribe("s" * 40, 8, "session", token)
    assert not rules.valid_unsubscribe("s" * 40, 7, "swaps", token)
    assert not rules.valid_unsubscribe("t" * 40, 7, "session", token)
    assert not rules.valid_unsubscribe("s" * 40, 7, "nonsense", token)
    assert rules.valid_unsubscribe("s" * 40, 7, "all", rules.unsubscribe_token("s" * 40, 7, "all"))
