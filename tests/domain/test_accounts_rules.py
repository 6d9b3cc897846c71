from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.accounts import (
    ACCOUNT_FAILURE_LIMIT,
    ADDRESS_FAILURE_LIMIT,
    Profile,
    Registration,
    email_error,
    normalise_email,
    sign_in_paused,
    validate_profile,
    validate_registration,
)


def test_emails_are_compared_without_case_or_surrounding_space() -> None:
    assert normalise_email("  Alice@Example.ORG ") == "alice@example.org"


def test_obviously_wrong_emails_are_refused() -> None:
    for bad in ("", "alice", "alice@", "@example.org", "alice@example", "a b@example.org"):
        assert email_error(bad), bad
    assert email_error("alice.ahmed+care@council.example.gov.uk") is None


def test_a_registration_lists_every_problem_at_once() -> None:
    errors = validate_registration(Registration("", "nope", "short"), ())
    assert set(errors) == {"display_name", "email", "password"}


def test_the_password_may_not_be_the_email() -> None:
    errors = validate_registration(Registration("A", "alice@example.org", "alice@example.org"), ())
    assert "not your email" in errors["password"]


def test_allowed_domains_are_matched_exactly_not_as_suffixes() -> None:
    errors = validate_registration(
        Registration("A", "a@evilexample.org", "long enough pw"), ("example.org",)
    )
    assert "email" in errors


def test_a_profile_needs_a_name_and_a_real_timezone() -> None:
    errors = validate_profile(Profile("", "", "Nowhere/Land", ""))
    assert set(errors) == {"display_name", "timezone"}
    assert validate_profile(Profile("Bob", "he/him", "Europe/London", "Captions")) == {}


@given(st.integers(0, 100), st.integers(0, 100))
def test_sign_in_pauses_exactly_when_either_limit_is_reached(account: int, address: int) -> None:
    expected = account >= ACCOUNT_FAILURE_LIMIT or address >= ADDRESS_FAILURE_LIMIT
    assert sign_in_paused(account, address) is expected
