"""The harness checks itself: each detector must fire on a planted fault, otherwise a
broken detector would let every other browser test pass silently."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_support import (
    ContextFactory,
    PlaywrightError,
    Watch,
    axe_violations,
    crawlable,
    tab_to,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _directives(policy: str) -> dict[str, str]:
    pairs = (d.strip().split(None, 1) for d in policy.split(";") if d.strip())
    return {p[0].lower(): (p[1] if len(p) > 1 else "") for p in pairs}


def test_axe_runs_under_the_apps_strict_content_security_policy_and_finds_a_planted_fault(
    page: Page,
) -> None:
    response = page.goto("/")
    assert response is not None
    policy = _directives(response.headers.get("content-security-policy", ""))
    scripts = policy.get("script-src", policy.get("default-src", ""))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (
        f"expected a CSP forbidding inline script and eval, got {policy}"
    )

    assert axe_violations(page) == []
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "/static/js/VERSION.txt";
          document.querySelector("main").append(img);
        }"""
    )
    assert "image-alt" in [v["id"] for v in axe_violations(page)]


def test_the_watch_records_javascript_errors_server_errors_and_other_hosts(
    page: Page, watch: Watch
) -> None:
    page.goto("/")
    with page.expect_event("pageerror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('planted failure'); }); }")
    page.route("**/planted-server-error", lambda route: route.fulfill(status=500, body="x"))
    page.goto("/planted-server-error")
    with pytest.raises(PlaywrightError):
        page.goto("https://cdn.example.net/library.js")

    found = watch.take()
    assert any("planted failure" in e for e in found["JavaScript and console errors"]), found
    assert any("/planted-server-error" in e for e in found["server errors (5xx)"]), found
    assert any("cdn.example.net" in r for r in found["requests to other hosts"]), found


def test_tab_to_rejects_an_element_without_a_visible_focus_indicator(page: Page) -> None:
    page.goto("/sign-in")
    page.evaluate(
        """() => {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = "Planted";
          b.style.setProperty("outline", "3px solid transparent", "important");
          b.style.setProperty("box-shadow", "none", "important");
          document.body.prepend(b);
        }"""
    )
    with pytest.raises(AssertionError, match="no visible focus indicator"):
        tab_to(page, "Planted")


@pytest.mark.parametrize(
    ("raw", "text", "followed"),
    [
        ("/account/profile", "Your profile", True),
        ("/account/profile#main", "Your profile", True),
        ("#main", "Skip to main content", False),
        ("mailto:help@example.org", "Email us", False),
        ("/static/css/app.css", "Styles", False),
        ("/sign-out", "Leave", False),
        ("/elsewhere", "Sign out", False),
        ("https://example.com/", "Elsewhere", False),
    ],
)
def test_the_crawl_follows_only_same_site_pages_and_never_signs_out(
    raw: str, text: str, followed: bool
) -> None:
    base = "http://127.0.0.1:8000"
    url = raw if raw.startswith(("mailto:", "https:")) else base + raw
    link = {"raw": raw, "url": url, "text": text, "download": False}
    assert (crawlable(link, "127.0.0.1:8000") is not None) is followed


def test_axe_checks_a_page_from_a_context_without_javascript_instead_of_hanging(
    new_context: ContextFactory,
) -> None:
    context, _ = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/sign-in")
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "/static/js/VERSION.txt";
          document.querySelector("main").append(img);
        }"""
    )
    assert "image-alt" in [v["id"] for v in axe_violations(page)]
