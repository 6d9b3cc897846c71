"""Follow every link a visitor or a demo person can reach and check each page they land on.

One crawl per person feeds several tests, so a failure names what is wrong (an
accessibility violation, a broken link, a server error...) and every offending page is
listed at once instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from browser_support import (
    ContextFactory,
    LiveServer,
    PlaywrightError,
    axe_violations,
    crawlable,
    format_violations,
    sign_in,
)

pytestmark = pytest.mark.browser

PAGE_LIMIT = 200
PEOPLE = ["visitor", "alice", "bob", "carol", "olga", "adam"]


_COLLECT_LINKS = """
() => Array.from(document.querySelectorAll("a[href]")).map((a) => ({
  raw: a.getAttribute("href"),
  url: a.href,
  text: (a.textContent || "").replace(/\\s+/g, " ").trim(),
  download: a.hasAttribute("download"),
}))
"""


@dataclass
class Visit:
    url: str
    final_url: str
    status: int | None
    found_on: str
    error: str = ""
    download: bool = False
    violations: list[dict[str, Any]] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Crawl:
    who: str
    visits: list[Visit] = field(default_factory=list)
    truncated: bool = False


def _crawl(new_context: ContextFactory, server: LiveServer, who: str) -> Crawl:
    context, watch = new_context()
    page = context.new_page()
    if who != "visitor":
        sign_in(page, who)
        watch.take()  # the sign-in pages are crawled in their own right
    crawl = Crawl(who)
    start = server.url + "/"
    queue: list[tuple[str, str]] = [(start, "(start)")]
    seen = {start}
    while queue:
        if len(crawl.visits) >= PAGE_LIMIT:
            crawl.truncated = True
            break
        url, found_on = queue.pop(0)
        try:
            response = page.goto(url, wait_until="load")
            # Content htmx fetches on load belongs to this page's checks.
            if page.locator("[hx-trigger*='load'], [data-hx-trigger*='load']").count():
                page.wait_for_load_state("networkidle")
        except PlaywrightError as exc:
            message = str(exc).splitlines()[0]
            if "Download is starting" in message:
                # A file (a calendar .ics, an export): it has no page to check, but the
                # link must still lead somewhere, so fetch it with the same cookies.
                fetched = context.request.get(url, max_redirects=0)
                crawl.visits.append(Visit(url, url, fetched.status, found_on, download=True))
                fetched.dispose()
            else:
                crawl.visits.append(Visit(url, url, None, found_on, error=message))
            continue
        visit = Visit(
            url=url,
            final_url=page.url,
            status=response.status if response else None,
            found_on=found_on,
        )
        crawl.visits.append(visit)
        final = urldefrag(page.url).url
        seen.add(final)
        if urlsplit(final).netloc != server.netloc:
            visit.problems = watch.take()
            continue
        visit.violations = axe_violations(page)
        for link in page.evaluate(_COLLECT_LINKS):
            target = crawlable(link, server.netloc)
            if target and target not in seen:
                seen.add(target)
                queue.append((target, page.url))
        visit.problems = watch.take()
    context.close()
    return crawl


@pytest.fixture(scope="module")
def crawls() -> dict[str, Crawl]:
    return {}


@pytest.fixture(params=PEOPLE, ids=[f"as_{who}" for who in PEOPLE])
def crawl(
    request: pytest.FixtureRequest,
    crawls: dict[str, Crawl],
    new_context: ContextFactory,
    live_server: LiveServer,
) -> Crawl:
    who: str = request.param
    if who not in crawls:
        try:
            crawls[who] = _crawl(new_context, live_server, who)
        except Exception as exc:
            # Remember the failure so the other tests for this person report it at once
            # instead of crawling again.
            crawls[who] = exc  # type: ignore[assignment]
            raise
    cached = crawls[who]
    if isinstance(cached, Exception):
        pytest.fail(f"the crawl as {who} could not run: {cached}", pytrace=False)
    return cached


def _where(visit: Visit) -> str:
    moved = f" (ended at {visit.final_url})" if visit.final_url != visit.url else ""
    return f"{visit.url}{moved}, linked from {visit.found_on}"


def _report(crawl: Crawl, failures: list[str]) -> str:
    return (
        f"Crawling as {crawl.who} ({len(crawl.visits)} pages), "
        f"{len(failures)} page(s) failed:\n\n" + "\n\n".join(failures)
    )


def test_the_crawl_reaches_pages_and_stays_within_its_bound(crawl: Crawl) -> None:
    assert crawl.visits, "the crawl visited nothing"
    assert not crawl.truncated, (
        f"more than {PAGE_LIMIT} distinct pages are reachable by links; an unbounded "
        "family of URLs (calendars, pagination, echoed query strings) is likely:\n"
        + "\n".join(v.url for v in crawl.visits[-20:])
    )


def test_every_page_reached_by_a_link_has_no_accessibility_violations(crawl: Crawl) -> None:
    failures = [
        f"{_where(v)}:\n{format_violations(v.violations)}" for v in crawl.visits if v.violations
    ]
    assert not failures, _report(crawl, failures)


def test_every_link_leads_to_a_page_that_exists(crawl: Crawl) -> None:
    failures = [
        f"{_where(v)}: " + (v.error or f"HTTP {v.status}")
        for v in crawl.visits
        if v.status is None or v.status >= 400
    ]
    assert not failures, _report(crawl, failures)


def test_no_page_reached_by_a_link_fails_with_a_server_error(
    crawl: Crawl, live_server: LiveServer
) -> None:
    failures = [
        f"{_where(v)}:\n  " + "\n  ".join(v.problems["server errors (5xx)"])
        for v in crawl.visits
        if v.problems.get("server errors (5xx)")
    ]
    assert not failures, (
        _report(crawl, failures) + "\n--- server log ---\n" + (live_server.log_tail())
    )


def test_no_page_reached_by_a_link_raises_a_javascript_error(crawl: Crawl) -> None:
    failures = [
        f"{_where(v)}:\n  " + "\n  ".join(v.problems["JavaScript and console errors"])
        for v in crawl.visits
        if v.problems.get("JavaScript and console errors")
    ]
    assert not failures, _report(crawl, failures)


def test_no_page_reached_by_a_link_contacts_another_host(crawl: Crawl) -> None:
    failures = [
        f"{_where(v)}:\n  " + "\n  ".join(v.problems["requests to other hosts"])
        for v in crawl.visits
        if v.problems.get("requests to other hosts")
    ]
    assert not failures, _report(crawl, failures)


def test_the_page_not_found_page_has_no_accessibility_violations(
    new_context: ContextFactory,
) -> None:
    # No link leads to the 404 page, so the crawl never checks it; mistyped and stale
    # addresses do.
    context, watch = new_context()
    page = context.new_page()
    response = page.goto("/no-such-page-here")
    assert response is not None and response.status == 404
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    watch.assert_clean()
