"""Choosing which emails to get, as Bob does it: by keyboard alone, with and without
JavaScript, on a page with no accessibility violations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_support import (
    ContextFactory,
    axe_violations,
    expect,
    format_violations,
    sign_in,
    tab_to,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

KINDS = ("facilitating", "session", "today", "follow_up", "actions", "swaps", "forum")
BRITISH = {"locale": "en-GB", "timezone_id": "Europe/London"}


def _type_time(page: Page, hh_mm: str) -> None:
    """Type a time into the focused time field as a person does: the digits, then the
    day period. Chromium shows a 12-hour field here whatever the page's locale; a 24-hour
    field ignores the letter. The times used read the same on both clocks (01:00 to 12:59),
    so the journey does not depend on which one Chromium picks."""
    hours, minutes = hh_mm.split(":")
    assert 1 <= int(hours) <= 12, "use a time that reads the same on 12- and 24-hour clocks"
    page.keyboard.type(hours + minutes + ("P" if hours == "12" else "A"))


def _put_back_the_defaults(page: Page) -> None:
    """Every kind on and no quiet hours, as the demo starts: other tests may rely on it."""
    page.goto("/account/email")
    for kind in KINDS:
        page.locator(f"#{kind}-on").check()
    page.locator("#quiet_from").fill("")
    page.locator("#quiet_until").fill("")
    page.get_by_role("button", name="Save email choices", exact=True).click()
    expect(page.get_by_text("Your email choices are saved.")).to_be_visible()


@pytest.fixture
def bob(new_context: ContextFactory, request: pytest.FixtureRequest) -> Iterator[Page]:
    javascript: bool = request.param
    context, watch = new_context(java_script_enabled=javascript, **BRITISH)
    page = context.new_page()
    sign_in(page, "bob")
    try:
        yield page
        watch.assert_clean()
    finally:
        _put_back_the_defaults(page)


def _assert_axe_clean(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(violations)


@pytest.mark.parametrize(
    "bob", [True, False], ids=["with_javascript", "without_javascript"], indirect=True
)
def test_bob_changes_one_kind_to_the_digest_and_sets_quiet_hours_by_keyboard_alone(
    bob: Page,
) -> None:
    page = bob
    page.goto("/account/profile")
    tab_to(page, "Your email choices")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account/email$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email choices")
    _assert_axe_clean(page)

    # Tab reaches the group's checked radio; an arrow key moves the choice along.
    tab_to(page, "#session-on")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#session-digest")).to_be_checked()
    expect(page.locator("#session-digest")).to_be_focused()

    # Bob works nights and sleeps in the morning.
    tab_to(page, "From")
    _type_time(page, "08:00")
    tab_to(page, "Until")
    _type_time(page, "12:00")
    tab_to(page, "Save email choices")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your email choices are saved.")
    expect(page.locator("#session-digest")).to_be_checked()
    expect(page.locator("#facilitating-on")).to_be_checked()
    expect(page.locator("#quiet_from")).to_have_value("08:00")
    expect(page.locator("#quiet_until")).to_have_value("12:00")
    _assert_axe_clean(page)


@pytest.mark.parametrize(
    "bob", [True, False], ids=["with_javascript", "without_javascript"], indirect=True
)
def test_half_a_pair_of_quiet_hours_is_explained_beside_the_field_on_a_clean_page(
    bob: Page,
) -> None:
    page = bob
    page.goto("/account/email")
    page.locator("#forum-off").check()
    page.locator("#quiet_from").fill("22:00")
    page.get_by_role("button", name="Save email choices", exact=True).click()

    until = page.locator("#quiet_until")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#quiet_until-error")).to_contain_text("Enter when your quiet hours end")
    expect(page.locator("#forum-off")).to_be_checked()  # what Bob chose is kept
    expect(page.locator("#quiet_from")).to_have_value("22:00")
    _assert_axe_clean(page)
