"""An admin checks what the demo's console mailer kept, on pages with no accessibility
violations. (The crawl cannot reach a kept email unless something has sent one.)"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_support import (
    DEMO_PEOPLE,
    ContextFactory,
    axe_violations,
    expect,
    format_violations,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _assert_axe_clean(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(violations)


def test_an_admin_reads_a_sent_reminder_but_never_a_password_reset_link(
    new_context: ContextFactory,
) -> None:
    visitor_context, visitor_watch = new_context()
    visitor = visitor_context.new_page()
    visitor.goto("/password/forgot")
    visitor.get_by_label("Email", exact=True).fill(DEMO_PEOPLE["carol"])
    visitor.get_by_role("button", name="Send reset link", exact=True).click()
    expect(visitor.get_by_role("heading", name="Check your email")).to_be_visible()
    visitor_watch.assert_clean()

    context, watch = new_context()
    page = context.new_page()
    sign_in(page, "adam")
    page.get_by_role("link", name="Reminder emails", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminder emails")
    _assert_axe_clean(page)

    page.get_by_role("main").get_by_role("link", name="sent mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent mail")
    _assert_axe_clean(page)
    # Carol is in no group, so the only email to her is the reset, which is never listed.
    expect(page.get_by_role("row").filter(has_text=DEMO_PEOPLE["carol"])).to_have_count(0)
    row = page.get_by_role("row").filter(has_text=DEMO_PEOPLE["bob"]).first
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/mail/[0-9a-f]{32}$"))
    expect(page.get_by_text(DEMO_PEOPLE["bob"]).first).to_be_visible()
    expect(page.locator("pre")).to_contain_text("http")
    _assert_axe_clean(page)
    watch.assert_clean()


def test_a_member_finds_no_admin_pages(new_context: ContextFactory) -> None:
    context, watch = new_context()
    page = context.new_page()
    sign_in(page, "bob")
    for path in ("/admin/reminders", "/admin/mail"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
    _assert_axe_clean(page)
    watch.assert_clean()
