"""Forum journeys as real people make them, by keyboard alone: a member starts a thread
anonymously, a colleague replies under their name and the first member replies anonymously,
the colleague reports the opening post with a reason, and the network's convenor hides it
with a reason and shows it again. Once with JavaScript (htmx acts in place, and focus goes
where the next keystroke is wanted) and once without it (every step a plain form and a
page of its own). axe checks every forum page on the way: the forum, the thread, the edit,
delete, report and hide pages, search results and the reports page.

The live server is shared by the whole browser package and the tests may run in any
order, so each journey opens its own thread with a title and words no one else uses.
They run in the LGBTQI+ staff network, which takes anonymous posts: Bob and Dev belong,
and Femi convenes it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from browser_support import (
    ContextFactory,
    LiveServer,
    axe_violations,
    expect,
    format_violations,
    sign_in,
    tab_to,
)

from app.services import forum

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

NETWORK = "LGBTQI+ staff network"
BOB = "bob@example.org"  # a member
DEV = "dev@example.org"  # Dev Patel, a member
FEMI = "femi@example.org"  # the network's convenor

THREAD_POSTED = "Your thread is posted."
REPLY_POSTED = "Your reply is posted."
REPORTED = "Thank you. The group's convenors will look at the post."
HIDDEN = "The post is hidden. Its author can still see it, with your reason."
RESTORED = "The post is shown to members again."

_GROUP_PATH = re.compile(r"^/groups/(\d+)$")
_THREAD_PATH = re.compile(r"/forum/threads/(\d+)")


@dataclass(frozen=True)
class ForumFacts:
    group_id: int

    @property
    def group(self) -> str:
        return f"/groups/{self.group_id}"

    @property
    def forum(self) -> str:
        return f"/groups/{self.group_id}/forum"


@pytest.fixture(scope="module")
def facts(browser: Browser, live_server: LiveServer) -> Iterator[ForumFacts]:
    factory = ContextFactory(browser, live_server)
    try:
        context, watch = factory()
        page = context.new_page()
        sign_in(page, BOB)
        page.goto("/")
        links = page.locator("section[aria-labelledby='groups-heading'] a[href^='/groups/']")
        ids = {}
        for a in links.all():
            match = _GROUP_PATH.match(a.get_attribute("href") or "")
            if match:
                ids[a.inner_text().strip()] = int(match.group(1))
        assert NETWORK in ids, f"Bob's home page does not link to {NETWORK}: {ids}"
        yield ForumFacts(ids[NETWORK])
        watch.assert_clean()
    finally:
        factory.close()


@dataclass(frozen=True)
class Words:
    """What one journey writes: unique, so that nothing another test wrote can match."""

    tag: str

    @classmethod
    def new(cls) -> Words:
        # Letters only: PostgreSQL's search splits words at digits.
        return cls("".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8]))

    @property
    def title(self) -> str:
        return f"Finding the words at work ({self.tag})"

    @property
    def opening(self) -> str:
        return f"I'd like to say something about {self.tag} without being known for it."

    @property
    def reply(self) -> str:
        return f"Thank you for starting this. Take your time ({self.tag})."

    @property
    def anonymous_reply(self) -> str:
        return f"Thank you. It helps to have somewhere to say it ({self.tag})."

    @property
    def report(self) -> str:
        return f"This may say too much about one person ({self.tag})."

    @property
    def hide(self) -> str:
        return f"Hidden while we check it with you ({self.tag})."


# --------------------------------------------------------------------------- helpers


def _signed_in(new_context: ContextFactory, email: str, *, javascript: bool) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, email)
    return page


def _assert_accessible(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where} ({page.url}):\n{format_violations(violations)}"


def _enter(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the next page to load."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _follow(page: Page, selector: str, *, limit: int = 150) -> None:
    tab_to(page, "css=" + selector, limit=limit)
    _enter(page)


def _type_into(page: Page, label: str, text: str, *, limit: int = 150) -> None:
    tab_to(page, label, limit=limit)
    page.keyboard.type(text)


def _submit(page: Page, button: str, *, navigates: bool, limit: int = 60) -> None:
    """Tab to a form's button and press Enter: a new page without htmx, a swap with it."""
    tab_to(page, button, limit=limit)
    if navigates:
        _enter(page)
    else:
        page.keyboard.press("Enter")


def _thread_path(url: str) -> str:
    found = _THREAD_PATH.search(url)
    assert found, url
    return found.group(0)


def _post(page: Page, post_id: int) -> Locator:
    return page.locator(f"#post-{post_id}")


def _posts(page: Page) -> Locator:
    return page.locator("#posts > li.post")


def _by(post: Locator) -> Locator:
    """Who wrote a post, as the page labels it: a name, or "Anonymous member N"."""
    return post.locator(".post-by strong")


def _yours(post: Locator) -> Locator:
    return post.locator(".post-by .tag").filter(has_text=re.compile(r"^You$"))


def _post_id(item: Locator) -> int:
    return int((item.get_attribute("id") or "").removeprefix("post-"))


def _open_in_place_or_on_its_own_page(
    page: Page, post_id: int, action: str, field: str, *, javascript: bool
) -> None:
    """Follow a post's Report or Hide link and get to its text field.

    With JavaScript the form opens in place of the post, with focus already in the field:
    the next keystrokes type the reason. Without it, the link leads to a page of its own.
    """
    link = f"#post-{post_id} a[href='/forum/posts/{post_id}/{action}']"
    tab_to(page, "css=" + link, limit=150)
    field_id = f"#{action}-{post_id}"
    if javascript:
        page.keyboard.press("Enter")
        expect(page.locator(field_id)).to_be_focused()
        _assert_accessible(page, f"a thread with the {action} form open in place")
    else:
        _enter(page)
        expect(page).to_have_url(re.compile(rf"/forum/posts/{post_id}/{action}$"))
        _assert_accessible(page, f"the {action} page")
        tab_to(page, field, limit=60)


# --------------------------------------------------------------------------- the journey


def _journey(new_context: ContextFactory, facts: ForumFacts, *, javascript: bool) -> None:
    words = Words.new()
    mode = "with JavaScript" if javascript else "without JavaScript"

    # Bob goes from his group to its forum and opens a thread, anonymously.
    bob = _signed_in(new_context, BOB, javascript=javascript)
    bob.goto(facts.group)
    _follow(bob, f"main a[href='{facts.forum}']")
    expect(bob.get_by_role("heading", level=1)).to_have_text("Forum")
    _assert_accessible(bob, f"the forum {mode}")
    _type_into(bob, "Title", words.title)
    _type_into(bob, "Your post", words.opening, limit=10)
    tab_to(bob, "Post anonymously", limit=10)
    bob.keyboard.press("Space")
    expect(bob.get_by_label("Post anonymously", exact=True)).to_be_checked()
    # A new thread is a new page, with htmx (it redirects) or without.
    _submit(bob, "Post thread", navigates=True)
    expect(bob).to_have_url(_THREAD_PATH)
    thread = _thread_path(bob.url)
    expect(bob.get_by_role("heading", level=1)).to_have_text(words.title)
    expect(bob.locator("main .flash").first).to_have_text(THREAD_POSTED)
    opening = _posts(bob).first
    expect(opening).to_contain_text(words.opening)
    expect(_by(opening)).to_have_text("Anonymous member 1")
    expect(_yours(opening)).to_have_count(1)
    opening_id = _post_id(opening)
    _assert_accessible(bob, f"a new thread {mode}")

    # Dev replies under his name.
    dev = _signed_in(new_context, DEV, javascript=javascript)
    dev.goto(thread)
    expect(_by(_post(dev, opening_id))).to_have_text("Anonymous member 1")
    expect(_yours(_post(dev, opening_id))).to_have_count(0)
    _assert_accessible(dev, f"the thread as another member {mode}")
    _type_into(dev, "Your reply", words.reply)
    _submit(dev, "Post reply", navigates=not javascript)
    if javascript:
        # The form is cleared in place and says so; the reply joins the end of the thread.
        expect(dev.locator("#reply .flash")).to_contain_text(REPLY_POSTED)
        expect(dev.locator("#reply .flash")).to_be_focused()
        expect(dev.get_by_label("Your reply", exact=True)).to_have_value("")
    else:
        expect(dev.locator("main .flash").first).to_have_text(REPLY_POSTED)
    named = _posts(dev).last
    expect(named).to_contain_text(words.reply)
    expect(_by(named)).to_have_text("Dev Patel")
    expect(_yours(named)).to_have_count(1)

    # Bob answers, anonymously again: still "Anonymous member 1" in this thread.
    bob.goto(thread)
    _type_into(bob, "Your reply", words.anonymous_reply)
    tab_to(bob, "Post anonymously", limit=10)
    bob.keyboard.press("Space")
    _submit(bob, "Post reply", navigates=not javascript)
    answer = _posts(bob).last
    expect(answer).to_contain_text(words.anonymous_reply)
    expect(_by(answer)).to_have_text("Anonymous member 1")
    expect(_yours(answer)).to_have_count(1)
    _assert_accessible(bob, f"the thread after an anonymous reply {mode}")

    # Dev reports the opening post, with a reason.
    dev.goto(thread)
    expect(_posts(dev)).to_have_count(3)
    expect(_by(_posts(dev).last)).to_have_text("Anonymous member 1")
    _open_in_place_or_on_its_own_page(
        dev, opening_id, "report", "Why are you reporting this post?", javascript=javascript
    )
    dev.keyboard.type(words.report)
    _submit(dev, "Send report", navigates=not javascript)
    if javascript:
        expect(_post(dev, opening_id).locator(".flash")).to_have_text(REPORTED)
    else:
        expect(dev).to_have_url(re.compile(rf"{thread}#post-{opening_id}$"))
        expect(dev.locator("main > .flash")).to_have_text(REPORTED)
    expect(_post(dev, opening_id)).to_contain_text("You reported this post.")

    # Femi, the convenor, finds the report from the forum, without learning who wrote it
    # or who reported it.
    femi = _signed_in(new_context, FEMI, javascript=javascript)
    femi.goto(facts.forum)
    _follow(femi, f"a[href='{facts.forum}/reports']")
    expect(femi.get_by_role("heading", level=1)).to_have_text("Reports and moderation")
    card = femi.locator("li.card").filter(has_text=words.title)
    expect(card).to_contain_text(words.report)
    expect(card).to_contain_text("Anonymous member 1")
    expect(card).not_to_contain_text("Bob")
    expect(card).not_to_contain_text("Dev")
    _assert_accessible(femi, f"the reports page {mode}")
    _follow(femi, f"li.card a[href='/forum/posts/{opening_id}']")
    expect(femi).to_have_url(re.compile(rf"{thread}#post-{opening_id}$"))

    # She hides it, with a reason.
    _open_in_place_or_on_its_own_page(
        femi, opening_id, "hide", "Why are you hiding this post?", javascript=javascript
    )
    femi.keyboard.type(words.hide)
    _submit(femi, "Hide post", navigates=not javascript)
    hidden = _post(femi, opening_id)
    if javascript:
        expect(hidden.locator(".flash")).to_have_text(HIDDEN)
    else:
        expect(femi.locator("main > .flash")).to_have_text(HIDDEN)
    expect(hidden).to_contain_text(forum.HIDDEN_NOTICE)
    expect(hidden).to_contain_text(words.hide)
    _assert_accessible(femi, f"the thread with a hidden post {mode}")

    # Members see only that it was hidden; its author sees it, and why.
    dev.goto(thread)
    expect(_post(dev, opening_id)).to_contain_text(forum.HIDDEN_NOTICE)
    expect(_post(dev, opening_id)).not_to_contain_text(words.opening)
    expect(_post(dev, opening_id)).not_to_contain_text(words.hide)
    bob.goto(thread)
    expect(_post(bob, opening_id)).to_contain_text(words.opening)
    expect(_post(bob, opening_id)).to_contain_text(words.hide)
    _assert_accessible(bob, f"the thread with his hidden post, as its author {mode}")

    # And she shows it again.
    femi.goto(thread)
    _submit(femi, f"#restore-{opening_id}", navigates=not javascript, limit=150)
    if javascript:
        expect(_post(femi, opening_id).locator(".flash")).to_have_text(RESTORED)
        expect(_post(femi, opening_id).locator(".flash")).to_be_focused()
    else:
        expect(femi.locator("main > .flash")).to_have_text(RESTORED)
    dev.goto(thread)
    expect(_post(dev, opening_id)).to_contain_text(words.opening)
    expect(_post(dev, opening_id)).not_to_contain_text(forum.HIDDEN_NOTICE)
    femi.goto(f"{facts.forum}/reports")
    expect(femi.locator("table")).to_contain_text(words.title)
    _assert_accessible(femi, f"the reports page with its moderation log {mode}")

    # Bob finds his thread by searching the forum for a word in it.
    bob.goto(facts.forum)
    _type_into(bob, "Search this forum", words.tag)
    _enter(bob)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Search the forum")
    # The tag is in all three posts, and nowhere else.
    expect(bob.locator("#results-heading")).to_have_text("3 posts found")
    expect(bob.locator("#results")).to_contain_text(words.title)
    _assert_accessible(bob, f"search results {mode}")

    # Every form page a post has, as a page of its own.
    for page, action, who in (
        (bob, "edit", "its author"),
        (bob, "delete", "its author"),
        (dev, "report", "a member"),
        (femi, "hide", "the convenor"),
    ):
        response = page.goto(f"/forum/posts/{opening_id}/{action}")
        assert response is not None and response.status == 200, f"{action}: {response}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _assert_accessible(page, f"the {action} page, as {who}, {mode}")

    for watch in new_context.watches:
        watch.assert_clean()


@pytest.mark.parametrize("javascript", [True, False], ids=["keyboard", "keyboard-no-javascript"])
def test_post_reply_report_and_hide_work_by_keyboard_alone(
    new_context: ContextFactory, facts: ForumFacts, javascript: bool
) -> None:
    _journey(new_context, facts, javascript=javascript)
