"""Account journeys as real people make them: by keyboard alone, without JavaScript, on a
narrow phone screen, and after a mistyped password."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from browser_support import (
    DEMO_PEOPLE,
    NEW_PASSWORD,
    ContextFactory,
    LiveServer,
    Watch,
    axe_violations,
    expect,
    format_violations,
    sign_in,
    sign_out_button,
    tab_to,
    unique_email,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}


def _assert_signed_in_at_home(page: Page, server: LiveServer) -> None:
    expect(page).to_have_url(server.url + "/")
    expect(sign_out_button(page)).to_be_visible()


def _assert_signed_out(page: Page) -> None:
    expect(sign_out_button(page)).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in", exact=True).first).to_be_visible()


# --------------------------------------------------------------------------- keyboard


def test_the_first_tab_reaches_a_skip_link_that_moves_focus_into_the_main_content(
    page: Page, watch: Watch
) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    # With tabindex="-1" on <main> focus lands on it; without, Chromium only moves the
    # point the next Tab starts from, so the next Tab must land inside <main>.
    in_main = "() => !!document.activeElement.closest('main#main')"
    if not page.evaluate(in_main):
        page.keyboard.press("Tab")
        assert page.evaluate(in_main), (
            "After following the skip link, Tab went to "
            + page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        )
    watch.assert_clean()


def test_a_new_person_can_register_sign_out_and_sign_in_by_keyboard_alone(
    page: Page, watch: Watch, live_server: LiveServer
) -> None:
    email = unique_email()
    page.goto("/")

    tab_to(page, "Create an account")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/register(\?.*)?$"))
    tab_to(page, "Your name")
    page.keyboard.type("Kay Board")
    tab_to(page, "Work email")
    page.keyboard.type(email)
    tab_to(page, "Password")
    page.keyboard.type(NEW_PASSWORD)
    tab_to(page, "Create account")
    page.keyboard.press("Enter")
    _assert_signed_in_at_home(page, live_server)

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    _assert_signed_out(page)

    if not re.search(r"/sign-in(\?.*)?$", page.url):
        tab_to(page, "css=a[href^='/sign-in']")
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign-in(\?.*)?$"))
    tab_to(page, "Email")
    page.keyboard.type(email)
    tab_to(page, "Password")
    page.keyboard.type(NEW_PASSWORD)
    tab_to(page, "css=main button[type='submit'], main input[type='submit']")
    page.keyboard.press("Enter")
    _assert_signed_in_at_home(page, live_server)

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    _assert_signed_out(page)
    watch.assert_clean()


# --------------------------------------------------------------------------- no JavaScript


def test_a_new_person_can_register_sign_out_and_sign_in_without_javascript(
    new_context: ContextFactory, live_server: LiveServer
) -> None:
    context, watch = new_context(java_script_enabled=False)
    page = context.new_page()
    email = unique_email()

    page.goto("/")
    page.get_by_role("link", name="Create an account", exact=True).first.click()
    page.get_by_label("Your name", exact=True).fill("Nora Script")
    page.get_by_label("Work email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account", exact=True).click()
    _assert_signed_in_at_home(page, live_server)

    sign_out_button(page).click()
    _assert_signed_out(page)

    page.get_by_role("link", name="Sign in", exact=True).first.click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()
    _assert_signed_in_at_home(page, live_server)

    sign_out_button(page).click()
    _assert_signed_out(page)
    watch.assert_clean()


# --------------------------------------------------------------------------- reflow

_OVERFLOWING = """
(limit) => Array.from(document.querySelectorAll("body *"))
  .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
  .filter((el) => !Array.from(el.children).some(
      (c) => c.getBoundingClientRect().right > limit + 0.5))
  .slice(0, 10)
  .map((el) => el.outerHTML.slice(0, 160) + " (right edge "
      + Math.round(el.getBoundingClientRect().right) + "px)")
"""

REFLOW_PAGES = [
    pytest.param("/", None, id="home_as_visitor"),
    pytest.param("/sign-in", None, id="sign_in"),
    pytest.param("/register", None, id="register"),
    pytest.param("/", "bob", id="home_signed_in"),
]


@pytest.mark.parametrize(("path", "who"), REFLOW_PAGES)
def test_at_320_css_pixels_wide_the_page_does_not_scroll_sideways(
    new_context: ContextFactory, path: str, who: str | None
) -> None:
    context, watch = new_context(viewport=NARROW)
    page = context.new_page()
    if who:
        sign_in(page, who)
    page.goto(path)
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > NARROW["width"]:
        culprits = page.evaluate(_OVERFLOWING, NARROW["width"])
        pytest.fail(
            f"{path} is {scroll_width}px wide in a {NARROW['width']}px viewport "
            "(WCAG 1.4.10 Reflow). Elements sticking out:\n  " + "\n  ".join(culprits),
            pytrace=False,
        )
    watch.assert_clean()


# --------------------------------------------------------------------------- wrong password

_FIELD_MESSAGES = """
(field) => {
  const box = field.getBoundingClientRect();
  const ids = (field.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  return {
    invalid: field.getAttribute("aria-invalid"),
    messages: ids.map((id) => document.getElementById(id)).filter(Boolean).map((m) => {
      const r = m.getBoundingClientRect();
      const gap = Math.max(r.top - box.bottom, box.top - r.bottom, 0);
      return {
        text: (m.textContent || "").replace(/\\s+/g, " ").trim(),
        visible: r.width > 0 && r.height > 0 && getComputedStyle(m).visibility !== "hidden",
        gap: Math.round(gap),
      };
    }),
  };
}
"""


@pytest.mark.parametrize("javascript", [True, False], ids=["with_javascript", "without_javascript"])
def test_a_wrong_password_is_explained_next_to_the_field_and_keeps_the_typed_email(
    new_context: ContextFactory, javascript: bool
) -> None:
    context, watch = new_context(java_script_enabled=javascript)
    page = context.new_page()
    email = DEMO_PEOPLE["carol"]

    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("not-carols-password")
    page.get_by_role("main").get_by_role("button", name="Sign in", exact=True).click()

    expect(sign_out_button(page)).to_have_count(0)
    email_field = page.get_by_label("Email", exact=True)
    password_field = page.get_by_label("Password", exact=True)
    expect(email_field).to_have_value(email)
    expect(password_field).to_have_value("")  # a rejected password is never sent back

    found: dict[str, Any] = {
        label: field.evaluate(_FIELD_MESSAGES)
        for label, field in (("Email", email_field), ("Password", password_field))
    }
    explained = [
        label
        for label, info in found.items()
        if info["invalid"] == "true"
        and any(m["visible"] and m["text"] and m["gap"] <= 120 for m in info["messages"])
    ]
    assert explained, (
        "After a wrong password neither field is marked aria-invalid with a visible message "
        "linked by aria-describedby and shown beside it. What the fields carry:\n"
        f"{found}"
    )
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    watch.assert_clean()


@pytest.mark.parametrize("javascript", [True, False], ids=["with_javascript", "without_javascript"])
def test_the_register_form_sent_back_with_mistakes_has_no_accessibility_violations(
    new_context: ContextFactory, javascript: bool
) -> None:
    context, watch = new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Work email", exact=True).fill("not-an-email")
    page.get_by_label("Password", exact=True).fill("short")
    if javascript:
        # The browser's own validation would stop the form before the server's error
        # page, which is what is under test here.
        page.evaluate("() => document.querySelectorAll('form').forEach(f => f.noValidate = true)")
    else:
        page.locator("form:has(button:text-is('Create account'))").evaluate(
            "f => f.setAttribute('novalidate', '')"
        )
    page.get_by_role("button", name="Create account", exact=True).click()
    expect(page.locator("[aria-invalid='true']").first).to_be_visible()
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    watch.assert_clean()
