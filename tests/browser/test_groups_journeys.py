"""Group journeys as real people make them: finding and joining a group by keyboard alone,
with and without JavaScript; asking to join; filtering the directory; accessibility of every
groups page for each kind of person; what an outsider can learn by following links; and
reflow on a narrow screen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import pytest
from browser_support import (
    NEW_PASSWORD,
    ContextFactory,
    LiveServer,
    PlaywrightError,
    Watch,
    axe_violations,
    crawlable,
    expect,
    format_violations,
    sign_in,
    sign_out_button,
    tab_to,
    unique_email,
    wait_for_settled_focus,
)

from app.services import demo as demo_data

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

NIGHT_SHIFT = "Night shift peer support"
LGBTQI = "LGBTQI+ staff network"
BME = "BME staff network"
STORIES = "Stories from practice"
ALS = "New supervisors' action learning set"
LISTED = (NIGHT_SHIFT, LGBTQI, BME, STORIES)
KINDS = ("peer_support", "staff_network", "reflective_forum", "action_learning")

ACCEPT_RULES = "I have read the ground rules and I accept them"
NARROW = {"width": 320, "height": 640}
CRAWL_LIMIT = 120

_GROUP_PATH = re.compile(r"^/groups/(\d+)$")


# --------------------------------------------------------------------------- demo facts


@dataclass
class DemoFacts:
    """Ids and links the tests need, read from the running demo as its people see it."""

    group_ids: dict[str, int]
    invitation: str  # a working link to the action learning set
    withdrawn_invitation: str  # a link Alice made and then withdrew
    remove_bob: str  # Alice's "Remove Bob Brown" link on her peer support group's members

    def group(self, name: str) -> str:
        return f"/groups/{self.group_ids[name]}"


def _group_links(page: Page, scope: str) -> dict[str, int]:
    links = page.locator(scope).locator("a[href^='/groups/']")
    found = {}
    for href, text in zip(
        links.evaluate_all("(els) => els.map((a) => a.getAttribute('href'))"),
        links.all_inner_texts(),
        strict=True,
    ):
        match = _GROUP_PATH.match(href)
        if match:
            found[text.strip()] = int(match.group(1))
    return found


def _invitation_tokens(page: Page) -> list[str]:
    return [
        text.strip().rsplit("/invite/", 1)[1]
        for text in page.locator(".copy-link").all_inner_texts()
    ]


@pytest.fixture(scope="module")
def demo(browser: Browser, live_server: LiveServer) -> Iterator[DemoFacts]:
    factory = ContextFactory(browser, live_server)
    try:
        context, _ = factory()
        page = context.new_page()
        sign_in(page, "alice")
        page.goto("/groups")
        ids = _group_links(page, "#results")
        # The unlisted set is in no directory: Alice finds it under "My groups" at home.
        page.goto("/")
        ids |= _group_links(page, "section[aria-labelledby='groups-heading']")
        missing = [name for name in (*LISTED, ALS) if name not in ids]
        assert not missing, f"Alice's directory and home page do not link to {missing}: {ids}"

        page.goto(f"/groups/{ids[ALS]}/invitations")
        before = _invitation_tokens(page)
        assert before, "the demo action learning set should have a working invitation link"
        page.get_by_role("button", name="Make link", exact=True).click()
        expect(page.locator(".copy-link")).to_have_count(len(before) + 1)
        (made,) = set(_invitation_tokens(page)) - set(before)
        row = page.get_by_role("row").filter(has_text=made)
        row.get_by_role("button", name="Withdraw link").click()
        expect(page.locator(".copy-link")).to_have_count(len(before))

        page.goto(f"/groups/{ids[NIGHT_SHIFT]}/members")
        remove = page.get_by_role("link", name="Remove Bob Brown", exact=True)
        yield DemoFacts(
            group_ids=ids,
            invitation=before[0],
            withdrawn_invitation=made,
            remove_bob=remove.get_attribute("href") or "",
        )
    finally:
        factory.close()


def _register(page: Page, name: str) -> str:
    email = unique_email()
    page.goto("/register")
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Work email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account", exact=True).click()
    expect(sign_out_button(page)).to_be_visible()
    return email


_FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return "<body>";
  return "<" + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "> "
    + (el.textContent || el.value || "").replace(/\\s+/g, " ").trim().slice(0, 60);
}
"""


# --------------------------------------------------------------------------- 1. keyboard join


def _open_stories_by_keyboard_from_home(page: Page, javascript: bool) -> None:
    page.goto("/")
    tab_to(page, "Groups")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/groups$"))

    tab_to(page, "Search by name or purpose")
    page.keyboard.type("stories")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/groups\?.*q=stories"))
    results = page.locator("#results")
    expect(results.get_by_role("link", name=STORIES, exact=True)).to_be_visible()
    expect(results.get_by_role("link", name=NIGHT_SHIFT, exact=True)).to_have_count(0)
    if javascript:
        # Typing also schedules a search 500 ms after the last key; let it land before
        # moving focus into the results it replaces.
        page.wait_for_timeout(600)
        expect(page.locator(".htmx-request")).to_have_count(0)

    tab_to(page, STORIES)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(STORIES)


def _accept_the_rules_and_join_by_keyboard(page: Page) -> None:
    tab_to(page, ACCEPT_RULES)
    page.keyboard.press("Space")
    expect(page.get_by_label(ACCEPT_RULES, exact=True)).to_be_checked()
    tab_to(page, "Join this group")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"You have joined {STORIES}.")).to_be_visible()
    panel = page.locator("#membership-panel")
    expect(panel.get_by_role("button", name="Leave this group", exact=True)).to_be_visible()


def test_a_newcomer_finds_and_joins_a_group_by_keyboard_alone_with_javascript_in_place(
    page: Page, watch: Watch
) -> None:
    _register(page, "Tabitha Keys")
    _open_stories_by_keyboard_from_home(page, javascript=True)
    group_url = page.url
    page.evaluate("() => { window.__sameDocument = true; }")
    _accept_the_rules_and_join_by_keyboard(page)
    # htmx swapped the membership panel: the same document, at the same address.
    assert page.evaluate("() => window.__sameDocument === true"), "joining reloaded the page"
    assert page.url == group_url
    watch.assert_clean()
    wait_for_settled_focus(page)
    focused = page.evaluate(_FOCUSED)
    assert focused != "<body>", (
        "after joining in place, keyboard focus fell back to <body>, so keyboard and "
        "screen reader users lose their place"
    )


def test_a_newcomer_finds_and_joins_a_group_by_keyboard_alone_without_javascript(
    new_context: ContextFactory,
) -> None:
    context, watch = new_context(java_script_enabled=False)
    page = context.new_page()
    _register(page, "Nolan Script")
    _open_stories_by_keyboard_from_home(page, javascript=False)
    group_url = page.url
    _accept_the_rules_and_join_by_keyboard(page)
    # A plain form post, redirected back to the group page.
    assert urldefrag(page.url).url == group_url
    expect(page.get_by_text("You are a member of this group.")).to_be_visible()
    watch.assert_clean()


# --------------------------------------------------------------------------- 2. ask to join

_BESIDE = """
(field) => {
  const box = field.closest(".field").getBoundingClientRect();
  const ids = (field.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  return {
    invalid: field.getAttribute("aria-invalid"),
    messages: ids.map((id) => document.getElementById(id)).filter(Boolean).map((m) => {
      const r = m.getBoundingClientRect();
      return {
        text: (m.textContent || "").replace(/\\s+/g, " ").trim(),
        visible: r.width > 0 && r.height > 0,
        inside: r.top >= box.top - 1 && r.bottom <= box.bottom + 1,
      };
    }),
  };
}
"""


def test_without_javascript_asking_to_join_explains_a_missing_tick_and_keeps_the_message(
    new_context: ContextFactory, demo: DemoFacts
) -> None:
    context, watch = new_context(java_script_enabled=False)
    page = context.new_page()
    _register(page, "Nadia Nights")
    message = "I have just moved onto nights and would like some company."

    page.goto("/groups")
    page.get_by_role("link", name=NIGHT_SHIFT, exact=True).click()
    page.get_by_label("A message to the convenors (optional)", exact=True).fill(message)
    page.get_by_role("button", name="Ask to join", exact=True).click()

    checkbox = page.get_by_label(ACCEPT_RULES, exact=True)
    expect(checkbox).not_to_be_checked()
    expect(page.get_by_label("A message to the convenors (optional)", exact=True)).to_have_value(
        message
    )
    found: dict[str, Any] = checkbox.evaluate(_BESIDE)
    assert found["invalid"] == "true" and any(
        m["visible"] and m["text"] and m["inside"] for m in found["messages"]
    ), f"the checkbox is not marked invalid with a visible message beside it: {found}"

    # The error summary's link takes keyboard users straight to the field to fix.
    page.locator(".error-summary a[href='#accept_rules']").click()
    expect(checkbox).to_be_focused()
    watch.assert_clean()

    checkbox.check()
    page.get_by_role("button", name="Ask to join", exact=True).click()
    expect(page.get_by_text("A convenor will decide").first).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw my request", exact=True)).to_be_visible()
    watch.assert_clean()


# --------------------------------------------------------------------------- 3. filters


def _result_names(page: Page) -> list[str]:
    return sorted(t.strip() for t in page.locator("#results h2 a").all_inner_texts())


NETWORKS = sorted([LGBTQI, BME])


def test_with_javascript_choosing_a_kind_updates_the_results_in_place_at_a_shareable_address(
    page: Page, watch: Watch
) -> None:
    sign_in(page, "carol")
    page.goto("/groups")
    assert set(LISTED) <= set(_result_names(page))
    page.evaluate("() => { window.__sameDocument = true; }")

    page.get_by_label("Kind of group", exact=True).select_option(label="Staff network")
    expect(page).to_have_url(re.compile(r"/groups\?.*kind=staff_network"))
    expect(page.locator("#results h2 a")).to_have_count(len(NETWORKS))
    assert _result_names(page) == NETWORKS
    assert page.evaluate("() => window.__sameDocument === true"), "the filter reloaded the page"
    expect(page.get_by_role("searchbox", name="Search by name or purpose")).to_be_visible()

    # The pushed address, opened afresh, shows the same results with the filter still set.
    shared = page.url
    page.goto(shared)
    assert _result_names(page) == NETWORKS
    expect(page.get_by_label("Kind of group", exact=True)).to_have_value("staff_network")
    watch.assert_clean()


def test_without_javascript_the_show_groups_button_filters_by_kind_with_a_plain_get(
    new_context: ContextFactory,
) -> None:
    context, watch = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "carol")
    page.goto("/groups")
    page.get_by_label("Kind of group", exact=True).select_option(label="Staff network")
    with page.expect_navigation():
        page.get_by_role("button", name="Show groups", exact=True).click()
    expect(page).to_have_url(re.compile(r"/groups\?.*kind=staff_network"))
    assert _result_names(page) == NETWORKS
    expect(page.get_by_label("Kind of group", exact=True)).to_have_value("staff_network")
    watch.assert_clean()


# --------------------------------------------------------------------------- 4. axe


@dataclass
class Check:
    """One page to check: where to go, what status to expect, and an optional form submit
    (button name, {label: value}) that should come back with errors."""

    what: str
    path: str
    status: int = 200
    submit: tuple[str, dict[str, str]] | None = None


def _new_group_checks() -> list[Check]:
    checks = [Check("choose a kind", "/groups/new")]
    for kind in KINDS:
        path = f"/groups/new/{kind}"
        checks.append(Check(f"set-up form ({kind})", path))
        checks.append(
            Check(
                f"set-up form ({kind}) after a submit with errors",
                path,
                422,
                ("Set up the group", {"Name": ""}),
            )
        )
    return checks


CHECKS: dict[str, tuple[str, Callable[[DemoFacts], list[Check]]]] = {
    "an_outsider": (
        "carol",
        lambda d: [
            Check("directory with results", "/groups"),
            Check("directory without results", "/groups?q=no-such-group-anywhere"),
            *_new_group_checks(),
            # One of each membership panel: ask to join, a network, join at once.
            *(
                Check(f"group page: {name}", d.group(name))
                for name in (NIGHT_SHIFT, LGBTQI, STORIES)
            ),
            Check("invitation landing page", f"/invite/{d.invitation}"),
            Check("withdrawn invitation (410)", f"/invite/{d.withdrawn_invitation}", 410),
            Check("delete your account", "/account/delete"),
        ],
    ),
    "a_member": (
        "bob",
        lambda d: (
            [Check(f"group page: {name}", d.group(name)) for name in (NIGHT_SHIFT, LGBTQI, ALS)]
            + [Check("members: peer support", d.group(NIGHT_SHIFT) + "/members")]
        ),
    ),
    "a_convenor": (
        "alice",
        lambda d: (
            [Check(f"group page: {name}", d.group(name)) for name in (NIGHT_SHIFT, STORIES, ALS)]
            + [
                Check("members", d.group(NIGHT_SHIFT) + "/members"),
                Check("requests to join", d.group(NIGHT_SHIFT) + "/requests"),
                Check("invitation links", d.group(ALS) + "/invitations"),
                Check(
                    "invitation links after a submit with errors",
                    d.group(ALS) + "/invitations",
                    422,
                    ("Make link", {"Works for how many days": "0"}),
                ),
                Check("remove-member confirmation", d.remove_bob),
                Check(
                    "remove-member confirmation after a submit with errors",
                    d.remove_bob,
                    422,
                    ("Remove Bob Brown", {"Your reason": ""}),
                ),
            ]
        ),
    ),
    "a_staff_network_convenor": (
        "femi@example.org",
        lambda d: [
            Check("group page: network", d.group(LGBTQI)),
            Check("officers-only members list", d.group(LGBTQI) + "/members"),
        ],
    ),
    "an_organiser": (
        "olga",
        lambda d: [
            Check("organiser overview", "/organiser/groups"),
            Check("group page with the appoint form", d.group(NIGHT_SHIFT)),
        ],
    ),
    "an_admin": (
        "adam",
        lambda d: [
            Check("safeguarding form", d.group(NIGHT_SHIFT) + "/safeguarding"),
            Check(
                "safeguarding form after a submit with errors",
                d.group(NIGHT_SHIFT) + "/safeguarding",
                422,
                ("Open safeguarding access", {"Safeguarding reason": "too short"}),
            ),
        ],
    ),
}


@pytest.mark.parametrize("person", list(CHECKS), ids=[f"as_{p}" for p in CHECKS])
def test_every_groups_page_has_no_accessibility_violations(
    page: Page, watch: Watch, demo: DemoFacts, person: str
) -> None:
    who, make_checks = CHECKS[person]
    sign_in(page, who)
    watch.take()
    failures = []
    for check in make_checks(demo):
        response = page.goto(check.path)
        status = response.status if response else None
        if check.submit:
            button, values = check.submit
            for label, value in values.items():
                page.get_by_label(label, exact=True).fill(value)
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                page.get_by_role("main").get_by_role("button", name=button, exact=True).click()
            page.wait_for_load_state()
            status = posted.value.status
            expect(page.locator(".error-summary")).to_be_visible()
        where = f"{check.what} ({check.path}) as {who}"
        if status != check.status:
            failures.append(f"{where}: HTTP {status}, expected {check.status}")
            continue
        violations = axe_violations(page)
        if violations:
            failures.append(f"{where}:\n{format_violations(violations)}")
    assert not failures, f"{len(failures)} page(s) failed:\n\n" + "\n\n".join(failures)
    watch.assert_clean()


# --------------------------------------------------------------------------- 5. privacy


def _network_members() -> dict[str, str]:
    """Name by email of everyone in a demo staff network, from the demo's own data."""
    names = {p.email: p.name for p in (*demo_data.DEMO_PEOPLE, *demo_data.COLLEAGUES)}
    emails = {
        email for g in demo_data.DEMO_GROUPS if g.kind == "staff_network" for email in g.members
    }
    return {email: names[email] for email in sorted(emails)}


_COLLECT = """
() => ({
  text: document.body ? document.body.innerText : "",
  title: document.title,
  links: Array.from(document.querySelectorAll("a[href]")).map((a) => ({
    raw: a.getAttribute("href"),
    url: a.href,
    text: (a.textContent || "").replace(/\\s+/g, " ").trim(),
    download: a.hasAttribute("download"),
  })),
})
"""


@dataclass
class Seen:
    url: str
    found_on: str
    text: str = ""
    html: str = ""
    links: list[str] = field(default_factory=list)


def _crawl_as(page: Page, server: LiveServer) -> list[Seen]:
    start = server.url + "/"
    queue = [(start, "(start)")]
    queued = {start}
    seen: list[Seen] = []
    while queue and len(seen) < CRAWL_LIMIT:
        url, found_on = queue.pop(0)
        visit = Seen(url, found_on)
        seen.append(visit)
        try:
            page.goto(url)
        except PlaywrightError as exc:
            visit.text = f"(failed: {str(exc).splitlines()[0]})"
            continue
        if urlsplit(page.url).netloc != server.netloc:
            continue
        collected = page.evaluate(_COLLECT)
        visit.url = page.url
        visit.text = collected["title"] + "\n" + collected["text"]
        visit.html = page.content()
        for link in collected["links"]:
            visit.links.append(link["url"])
            target = crawlable(link, server.netloc)
            if target and target not in queued:
                queued.add(target)
                queue.append((target, page.url))
    assert len(seen) < CRAWL_LIMIT, f"the crawl as Carol passed {CRAWL_LIMIT} pages"
    return seen


@dataclass
class OutsiderCrawl:
    pages: list[Seen]
    paths: set[str]


@pytest.fixture(scope="module")
def carol_crawl(browser: Browser, live_server: LiveServer, demo: DemoFacts) -> OutsiderCrawl:
    factory = ContextFactory(browser, live_server)
    try:
        context, watch = factory()
        page = context.new_page()
        sign_in(page, "carol")
        pages = _crawl_as(page, live_server)
        watch.assert_clean()
    finally:
        factory.close()
    paths = {urlsplit(v.url).path for v in pages}
    # The crawl must have reached the pages where a leak would show.
    for name in LISTED:
        assert demo.group(name) in paths, f"crawling as Carol never reached {name}"
    return OutsiderCrawl(pages, paths)


def test_following_every_link_an_outsider_reaches_nothing_of_the_unlisted_action_learning_set(
    carol_crawl: OutsiderCrawl, demo: DemoFacts
) -> None:
    als = re.compile(rf"^/groups/{demo.group_ids[ALS]}(/|$)")
    found = []
    for visit in carol_crawl.pages:
        where = f"{visit.url} (linked from {visit.found_on})"
        if als.search(urlsplit(visit.url).path):
            found.append(f"{where} is a page of the unlisted set")
        found.extend(
            f"{where} links to it: {link}"
            for link in visit.links
            if als.search(urlsplit(link).path)
        )
        if ALS in visit.text:
            found.append(f"{where} names it")
    assert not found, f"Crawling as Carol ({len(carol_crawl.pages)} pages):\n  " + "\n  ".join(
        found
    )


def test_following_every_link_an_outsider_sees_the_name_of_no_staff_network_member(
    carol_crawl: OutsiderCrawl, demo: DemoFacts
) -> None:
    members = _network_members()
    assert "carol@example.org" not in members and len(members) >= 5, members
    leaks = []
    for visit in carol_crawl.pages:
        for email, name in members.items():
            leaks.extend(
                f"{visit.url} (linked from {visit.found_on}) shows {needle!r}"
                for needle in (name, email)
                if needle in visit.text or needle in visit.html
            )
    assert not leaks, (
        f"Crawling as Carol ({len(carol_crawl.pages)} pages), an outsider learns who "
        "belongs to a staff network:\n  " + "\n  ".join(leaks)
    )


# --------------------------------------------------------------------------- 6. reflow

_OVERFLOWING = """
(limit) => Array.from(document.querySelectorAll("body *"))
  .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
  .filter((el) => !Array.from(el.children).some(
      (c) => c.getBoundingClientRect().right > limit + 0.5))
  .slice(0, 10)
  .map((el) => el.outerHTML.slice(0, 160) + " (right edge "
      + Math.round(el.getBoundingClientRect().right) + "px)")
"""


def test_at_320_css_pixels_wide_the_directory_and_a_group_page_do_not_scroll_sideways(
    new_context: ContextFactory, demo: DemoFacts
) -> None:
    context, watch = new_context(viewport=NARROW)
    page = context.new_page()
    sign_in(page, "carol")
    failures = []
    for path in ("/groups", demo.group(LGBTQI)):
        page.goto(path)
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll_width > NARROW["width"]:
            culprits = page.evaluate(_OVERFLOWING, NARROW["width"])
            failures.append(
                f"{path} is {scroll_width}px wide in a {NARROW['width']}px viewport "
                "(WCAG 1.4.10 Reflow). Elements sticking out:\n  " + "\n  ".join(culprits)
            )
    assert not failures, "\n\n".join(failures)
    watch.assert_clean()
