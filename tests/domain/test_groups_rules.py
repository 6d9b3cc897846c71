from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import groups as rules
from app.domain.groups import Standing

TODAY = date(2026, 11, 29)

roles = st.sampled_from([None, "member", "convenor"])
site_roles = st.sampled_from(["member", "organiser", "admin"])
standings = st.builds(
    Standing, role_in_group=roles, site_role=site_roles, break_glass=st.booleans()
)


def test_a_staff_network_starts_listed_open_discreet_with_a_private_member_list() -> None:
    s = rules.defaults_for("staff_network", TODAY)
    assert (s.visibility, s.join_policy, s.member_list, s.discreet) == (
        "listed",
        "open",
        "officers",
        True,
    )
    assert "Allies are welcome" in s.ground_rules


def test_a_peer_support_group_starts_listed_on_request_with_a_rotating_facilitator() -> None:
    s = rules.defaults_for("peer_support", TODAY)
    assert (s.visibility, s.join_policy, s.member_list, s.facilitation) == (
        "listed",
        "request",
        "members",
        "rotating",
    )


def test_a_reflective_forum_starts_with_confidential_rules_and_a_panel() -> None:
    s = rules.defaults_for("reflective_forum", TODAY)
    assert s.facilitation == "panel"
    assert "not a space to solve problems" in s.ground_rules
    assert "No names and no attribution" in s.ground_rules


def test_an_action_learning_set_starts_by_invitation_with_six_places_for_a_year() -> None:
    s = rules.defaults_for("action_learning", TODAY)
    assert (s.join_policy, s.member_list, s.capacity) == ("invitation", "members", 6)
    assert (s.term_starts, s.term_ends) == (TODAY, date(2027, 11, 29))
    assert not rules.is_listed(s.visibility, s.join_policy)


@pytest.mark.parametrize("kind", list(rules.KINDS))
def test_every_kinds_defaults_are_valid_once_named(kind: str) -> None:
    assert rules.validate_settings(replace(rules.defaults_for(kind, TODAY), name="A group")) == {}


def test_confidentiality_is_the_first_ground_rule_of_every_kind() -> None:
    for kind in rules.KINDS:
        assert rules.defaults_for(kind, TODAY).ground_rules.startswith(
            "1. What is said here stays here"
        )


def test_an_invitation_only_group_is_never_listed() -> None:
    assert not rules.is_listed("listed", "invitation")
    assert rules.is_listed("listed", "request")
    assert not rules.is_listed("unlisted", "open")


def test_an_action_learning_set_has_four_to_eight_places() -> None:
    base = replace(rules.defaults_for("action_learning", TODAY), name="Set")
    assert "capacity" in rules.validate_settings(replace(base, capacity=3))
    assert "capacity" in rules.validate_settings(replace(base, capacity=9))
    assert rules.validate_settings(replace(base, capacity=8)) == {}


def test_a_staff_networks_limit_cannot_reveal_a_size_under_five() -> None:
    base = replace(rules.defaults_for("staff_network", TODAY), name="Network")
    assert "capacity" in rules.validate_settings(replace(base, capacity=4))
    assert rules.validate_settings(replace(base, capacity=5)) == {}


def test_parsing_explains_every_bad_field_at_once() -> None:
    raw = {
        "name": "",
        "capacity": "lots",
        "term_starts": "next week",
        "visibility": "secret",
        "ground_rules": "",
    }
    settings, errors = rules.parse_settings("action_learning", raw)
    assert settings is None
    assert set(errors) >= {"name", "capacity", "term_starts", "visibility", "ground_rules"}


def test_an_end_before_the_start_is_refused() -> None:
    raw = {
        "name": "Set",
        "capacity": "6",
        "term_starts": "2027-06-01",
        "term_ends": "2027-01-01",
        "ground_rules": "Be kind",
    }
    _, errors = rules.parse_settings("action_learning", raw)
    assert errors == {"term_ends": "The end date must be after the start date."}


def test_a_ticked_checkbox_means_discreet() -> None:
    raw = {"name": "N", "ground_rules": "Be kind", "discreet": "true"}
    settings, _ = rules.parse_settings("peer_support", raw)
    assert settings is not None and settings.discreet


@given(standings)
def test_an_officers_only_member_list_is_seen_by_officers_and_nobody_else(
    standing: Standing,
) -> None:
    assert rules.can_see_members("officers", standing) is standing.is_officer


@given(standings)
def test_site_roles_alone_never_open_a_private_group(standing: Standing) -> None:
    outsider = replace(standing, role_in_group=None, break_glass=False)
    assert not rules.can_see_group(listed=False, standing=outsider)
    assert not rules.can_see_members("members", outsider)


@given(st.integers(0, 1000), standings)
def test_no_staff_network_count_under_five_reaches_anyone_but_its_officers(
    count: int, standing: Standing
) -> None:
    shown = rules.shown_count("staff_network", count, standing)
    if not standing.is_officer:
        assert shown is None or shown >= rules.SUPPRESS_BELOW
    if count >= rules.SUPPRESS_BELOW or standing.is_officer:
        assert shown == count


@given(st.integers(0, 10), st.integers(0, 10))
def test_places_left_never_reveals_a_small_networks_size(capacity: int, count: int) -> None:
    outsider = Standing(role_in_group=None)
    left = rules.places_left("staff_network", capacity, count, outsider)
    assert left is None or count >= rules.SUPPRESS_BELOW


def test_months_are_added_without_falling_off_the_end_of_a_month() -> None:
    assert rules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert rules.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
