"""Rota and action journeys as real people make them: a facilitator asks for cover or an
exchange and a colleague takes the turn, by keyboard alone with JavaScript and by plain form
without it; a second taker is told kindly that the turn has gone; and in the action learning
set a member commits to an action after a session has started and its outcome is recorded
at the next session's check-in. axe checks every page on the way."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

from app.services import demo as demo_data

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

NIGHT_SHIFT = "Night shift peer support"
STORIES = "Stories from practice"
ALS = "New supervisors' action learning set"
GROUPS = (NIGHT_SHIFT, STORIES, ALS)

EMAILS = {p.name: p.email for p in (*demo_data.DEMO_PEOPLE, *demo_data.COLLEAGUES)}
MEMBERS = {
    g.name: [
        p.name for p in (*demo_data.DEMO_PEOPLE, *demo_data.COLLEAGUES) if p.email in g.members
    ]
    for g in demo_data.DEMO_GROUPS
}

ASKED = "Your request is out. Everyone who can take the turn has been asked."
TAKEN_BY_ME = "The turn is yours. Thank you for stepping in."
TAKEN_ALREADY = "Someone else has already taken this turn. Thank you for offering."
YOURS_TAKEN = "Your facilitation turn has been taken. Thank you both."
ACTION_RECORDED = "Your action is recorded. It will come up at the next session's check-in."
OUTCOME_RECORDED = "The action's outcome is recorded."
ACTION_FIELD = "An action you commit to"

_GROUP_PATH = re.compile(r"^/groups/(\d+)$")

# The "Coming up" table of a rota page: one entry per session, in date order, with who
# holds each role (by column heading) and how they came to hold it ("covered", "swapped").
_COMING_UP = """
() => {
  const table = document.querySelector("section[aria-labelledby='upcoming-heading'] table");
  if (!table) return [];
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  return [...table.querySelectorAll("tbody tr")].map((tr) => {
    const cells = [...tr.children];
    const link = cells[0].querySelector("a");
    const people = {};
    const how = {};
    cells.slice(1).forEach((td, i) => {
      const meta = td.querySelector(".meta");
      let text = td.textContent;
      if (meta) {
        text = text.replace(meta.textContent, "");
        how[heads[i + 1]] = meta.textContent.trim().replace(/^\\(|\\)$/g, "");
      }
      text = text.replace(/\\s+/g, " ").trim();
      if (text && text !== "\\u2013") people[heads[i + 1]] = text;
    });
    return { meeting: link.getAttribute("href"), when: link.textContent.trim(), people, how };
  });
}
"""

# Upcoming and recent session links from a group page's "Sessions" section, in page order.
_SESSIONS = """
() => {
  const section = document.querySelector("section[aria-labelledby='sessions-heading']");
  const found = { upcoming: [], past: [] };
  if (!section) return found;
  let bucket = "upcoming";
  for (const el of section.children) {
    if (el.tagName === "H3") bucket = /recent/i.test(el.textContent) ? "past" : "other";
    if (el.tagName === "UL" && found[bucket]) {
      for (const a of el.querySelectorAll("a[href^='/meetings/']")) {
        found[bucket].push(a.getAttribute("href"));
      }
    }
  }
  return found;
}
"""


# --------------------------------------------------------------------------- demo facts


@dataclass(frozen=True)
class Slot:
    """One upcoming session on a rota, as a convenor sees it."""

    meeting: str  # /meetings/N
    when: str  # "Mon 14 Dec": how the rota and its notifications name the day
    people: dict[str, str]  # column heading ("Lead", "Presenting") -> name
    how: dict[str, str]  # column heading -> "covered", "swapped", ...

    @property
    def id(self) -> int:
        return int(self.meeting.rsplit("/", 1)[1])

    @property
    def day(self) -> str:
        """The day and month, "14 Dec", which the long form "Monday 14 December" contains."""
        return self.when.split(" ", 1)[1]


@dataclass(frozen=True)
class Turn:
    """A turn someone will ask to swap, and who may take it."""

    group: str
    group_id: int
    role: str  # the rota's column heading: "Lead" or "Presenting"
    slot: Slot
    asker: str  # names
    takers: list[str]
    then: Slot | None = None  # for an exchange: the taker's next turn, which the asker gets

    @property
    def rota(self) -> str:
        return f"/groups/{self.group_id}/rota"

    @property
    def role_key(self) -> str:
        """The role as forms carry it: "lead", "presenter"."""
        return {"Lead": "lead", "Presenting": "presenter"}[self.role]

    @property
    def card_role(self) -> str:
        """The role as the swap cards word it: "lead", "presenting"."""
        return self.role.lower()


def _read_slots(page: Page, rota: str) -> list[Slot]:
    page.goto(rota)
    return [Slot(**row) for row in page.evaluate(_COMING_UP)]


@dataclass
class RotaFacts:
    """Group ids, and a convenor's page to read rotas with while the tests change them.

    The server is shared by the whole browser package, so every test picks sessions that
    no earlier test in this module has touched, reading the rota as it is at that moment.
    """

    group_ids: dict[str, int]
    reader: Page
    used: set[str] = field(default_factory=set)

    def group(self, name: str) -> str:
        return f"/groups/{self.group_ids[name]}"

    def slots(self, name: str) -> list[Slot]:
        return _read_slots(self.reader, self.group(name) + "/rota")

    def choose(
        self,
        groups: tuple[str, ...],
        *,
        roles: tuple[str, ...] = ("Lead",),
        takers: int = 1,
        exchange: bool = False,
    ) -> Turn:
        """An untouched turn held by a demo person, with colleagues free to take it.

        A taker holds no other part in that session. For an exchange the taker's next
        turn in the same role is the one the asker gets, so it must be untouched too, and
        the asker must hold no part in it.
        """
        seen: dict[str, list[dict[str, Any]]] = {}
        for name in groups:
            slots = self.slots(name)
            seen[name] = [{"when": s.when, **s.people} for s in slots]
            for role in roles:
                for slot in slots:
                    asker = slot.people.get(role, "")
                    if slot.meeting in self.used or asker not in EMAILS:
                        continue
                    free = [m for m in MEMBERS[name] if m not in slot.people.values()]
                    if not exchange:
                        if len(free) >= takers:
                            self.used.add(slot.meeting)
                            return Turn(
                                name, self.group_ids[name], role, slot, asker, free[:takers]
                            )
                        continue
                    for taker in free:
                        then = next(
                            (s for s in slots if s != slot and s.people.get(role) == taker), None
                        )
                        if (
                            then is not None
                            and then.meeting not in self.used
                            and asker not in then.people.values()
                        ):
                            self.used |= {slot.meeting, then.meeting}
                            return Turn(
                                name, self.group_ids[name], role, slot, asker, [taker], then
                            )
        pytest.fail(
            f"No untouched {'/'.join(roles)} turn with {takers} free colleague(s)"
            f"{' to exchange with' if exchange else ''} in {groups}; the rotas read:\n{seen}",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def rota(browser: Browser, live_server: LiveServer) -> Iterator[RotaFacts]:
    factory = ContextFactory(browser, live_server)
    try:
        context, watch = factory()
        page = context.new_page()
        sign_in(page, "alice")
        page.goto("/")
        links = page.locator("section[aria-labelledby='groups-heading'] a[href^='/groups/']")
        ids = {}
        for a in links.all():
            match = _GROUP_PATH.match(a.get_attribute("href") or "")
            if match:
                ids[a.inner_text().strip()] = int(match.group(1))
        missing = [name for name in GROUPS if name not in ids]
        assert not missing, f"Alice's home page does not link to {missing}: {ids}"
        yield RotaFacts(ids, page)
        watch.assert_clean()
    finally:
        factory.close()


# --------------------------------------------------------------------------- helpers


def _signed_in(new_context: ContextFactory, who: str, *, javascript: bool = True) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, EMAILS.get(who, who))
    return page


def _assert_accessible(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where} ({page.url}):\n{format_violations(violations)}"


def _enter(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the next page to load.

    Waiting for "load", not just a new address, matters: axe run before the stylesheet
    arrives measures an unstyled page.
    """
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _activate(page: Page, selector: str, *, keyboard: bool, limit: int = 100) -> None:
    """Follow a link or press a button: by Tab and Enter, or by a click."""
    if keyboard:
        tab_to(page, "css=" + selector, limit=limit)
        _enter(page)
    else:
        with page.expect_navigation():
            page.locator(selector).click()


def _open_rota(page: Page, turn: Turn, *, keyboard: bool) -> None:
    """From the home page to the group, then to its rota."""
    page.goto("/")
    home_link = f"section[aria-labelledby='groups-heading'] a[href='/groups/{turn.group_id}']"
    _activate(page, home_link, keyboard=keyboard)
    expect(page.get_by_role("heading", level=1)).to_have_text(turn.group)
    _activate(page, f"a[href='{turn.rota}']", keyboard=keyboard)
    expect(page).to_have_url(re.compile(rf"{turn.rota}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Who facilitates")


def _my_card(page: Page, meeting_id: int) -> Locator:
    """The asker's own card for a turn, under "Swaps and cover"."""
    return page.locator("section[aria-labelledby='swaps-heading'] div.card").filter(
        has=page.locator(f"a[href='/meetings/{meeting_id}/prepare']")
    )


def _offer(page: Page, turn: Turn, kind: str) -> Locator:
    """The request as other members see it, under "Turns looking for someone"."""
    asks = "cover" if kind == "cover" else "an exchange"
    return (
        page.locator("section[aria-labelledby='swaps-heading'] li.card")
        .filter(has_text=f"{turn.asker} asks for {asks} as {turn.card_role} on")
        .filter(has_text=turn.slot.day)
    )


def _ask(page: Page, turn: Turn, kind: str, *, keyboard: bool) -> None:
    mid = turn.slot.id
    card = _my_card(page, mid)
    expect(card).to_contain_text(f"You are {turn.card_role} on")
    # The choices are per turn: one person can hold two roles in one session.
    slot = f"{mid}-{turn.role_key}"
    expect(page.locator(f"#kind-cover-{slot}")).to_be_checked()
    if keyboard:
        tab_to(page, f"#kind-cover-{slot}", limit=120)
        if kind == "exchange":
            # Arrow keys move through a radio group, choosing as they go.
            page.keyboard.press("ArrowDown")
        expect(page.locator(f"#kind-{kind}-{slot}")).to_be_checked()
    elif kind == "exchange":
        page.locator(f"#kind-exchange-{slot}").check()
    _activate(page, f"form[action='/meetings/{mid}/swap'] button", keyboard=keyboard)
    expect(page.locator(".flash")).to_have_text(ASKED)
    asked = "cover" if kind == "cover" else "an exchange"
    expect(_my_card(page, mid)).to_contain_text(f"You have asked for {asked}.")
    expect(
        _my_card(page, mid).get_by_role("button", name=re.compile(r"^Withdraw my request"))
    ).to_be_visible()


def _take(page: Page, turn: Turn, kind: str, *, keyboard: bool) -> None:
    offer = _offer(page, turn, kind)
    expect(offer).to_have_count(1)
    action = offer.locator("form").get_attribute("action")
    _activate(page, f"form[action='{action}'] button", keyboard=keyboard)


def _slot(page: Page, turn: Turn, meeting: str) -> Slot:
    page.goto(turn.rota)
    found = {slot.meeting: slot for slot in (Slot(**row) for row in page.evaluate(_COMING_UP))}
    assert meeting in found, f"{meeting} is not on the rota any more: {list(found)}"
    return found[meeting]


def _facilitator(page: Page) -> Locator:
    return page.locator("xpath=//dl[contains(@class,'facts')]/dt[.='Facilitator']/following::dd[1]")


def _swap_journey(new_context: ContextFactory, turn: Turn, kind: str, *, keyboard: bool) -> None:
    """Ask for a swap, take it from the notification, and check both people's rotas."""
    javascript = keyboard
    taker = turn.takers[0]
    mid = turn.slot.id

    asker_page = _signed_in(new_context, turn.asker, javascript=javascript)
    _open_rota(asker_page, turn, keyboard=keyboard)
    _assert_accessible(asker_page, f"{turn.group} rota as {turn.asker}")
    _ask(asker_page, turn, kind, keyboard=keyboard)
    _assert_accessible(asker_page, f"{turn.group} rota after asking for {kind}")

    # The taker hears of it on their home page, and the notice leads to the rota.
    taker_page = _signed_in(new_context, taker, javascript=javascript)
    news = taker_page.locator("section[aria-labelledby='news-heading']")
    notice = news.locator(f"a[href='{turn.rota}']").filter(has_text=f" on {turn.slot.when}?")
    expect(notice.first).to_contain_text("Can you take a facilitation turn for")
    _assert_accessible(taker_page, f"home page of {taker}, asked to take a turn")
    if keyboard:
        tab_to(taker_page, notice.first.inner_text().strip(), limit=60)
        _enter(taker_page)
    else:
        with taker_page.expect_navigation():
            notice.first.click()
    expect(taker_page).to_have_url(re.compile(rf"{turn.rota}$"))
    _take(taker_page, turn, kind, keyboard=keyboard)
    expect(taker_page.locator(".flash")).to_have_text(TAKEN_BY_ME)
    _assert_accessible(taker_page, f"{turn.group} rota after {taker} took the turn")
    expect(_my_card(taker_page, mid)).to_contain_text(f"You are {turn.card_role} on")
    expect(_offer(taker_page, turn, kind)).to_have_count(0)

    how = "covered" if kind == "cover" else "swapped"
    for page, who in ((taker_page, taker), (asker_page, turn.asker)):
        slot = _slot(page, turn, turn.slot.meeting)
        assert slot.people.get(turn.role) == taker and slot.how.get(turn.role) == how, (
            f"{who}'s rota shows {slot} for {turn.slot.when}, not {taker} ({how})"
        )
    # The asker no longer holds the turn, so has nothing to ask or withdraw for it.
    expect(asker_page.locator(f"form[action='/meetings/{mid}/swap']")).to_have_count(0)
    expect(_my_card(asker_page, mid)).to_have_count(0)
    if turn.then is not None:
        # An exchange trades like for like: the asker now has the taker's next turn.
        then = _slot(asker_page, turn, turn.then.meeting)
        assert then.people.get(turn.role) == turn.asker and then.how.get(turn.role) == how, (
            f"after the exchange {turn.then.when} shows {then}, not {turn.asker} ({how})"
        )
        expect(_my_card(asker_page, turn.then.id)).to_contain_text(f"You are {turn.card_role} on")
    _assert_accessible(asker_page, f"{turn.group} rota as {turn.asker} after the swap")

    # The asker is told, and the session's page names the new facilitator.
    asker_page.goto("/")
    news = asker_page.locator("section[aria-labelledby='news-heading']")
    expect(
        news.locator(f"a[href='{turn.slot.meeting}']").filter(has_text=YOURS_TAKEN)
    ).to_be_visible()
    _activate(asker_page, f"#main a[href='{turn.slot.meeting}']", keyboard=keyboard, limit=60)
    expect(asker_page).to_have_url(re.compile(rf"{turn.slot.meeting}$"))
    if turn.role == "Lead":
        expect(_facilitator(asker_page)).to_have_text(taker)
    _assert_accessible(asker_page, f"session {turn.slot.meeting} as {turn.asker} after the swap")

    for watch in new_context.watches:
        watch.assert_clean()


# --------------------------------------------------------------------------- 1-2. swaps

KINDS = ["cover", "exchange"]


@pytest.mark.parametrize("kind", KINDS)
def test_by_keyboard_alone_a_facilitator_asks_for_a_swap_and_a_colleague_takes_the_turn(
    new_context: ContextFactory, rota: RotaFacts, kind: str
) -> None:
    if kind == "exchange":
        turn = rota.choose((NIGHT_SHIFT, STORIES, ALS), roles=("Lead", "Presenting"), exchange=True)
    else:
        turn = rota.choose((STORIES, ALS, NIGHT_SHIFT))
    _swap_journey(new_context, turn, kind, keyboard=True)


@pytest.mark.parametrize("kind", KINDS)
def test_without_javascript_a_facilitator_asks_for_a_swap_and_a_colleague_takes_the_turn(
    new_context: ContextFactory, rota: RotaFacts, kind: str
) -> None:
    if kind == "exchange":
        turn = rota.choose((NIGHT_SHIFT, STORIES, ALS), roles=("Lead", "Presenting"), exchange=True)
    else:
        turn = rota.choose((STORIES, ALS, NIGHT_SHIFT))
    _swap_journey(new_context, turn, kind, keyboard=False)


@pytest.mark.parametrize("keyboard", [True, False], ids=["keyboard", "no-javascript"])
def test_a_second_colleague_taking_a_turn_already_taken_is_told_so_not_shown_an_error(
    new_context: ContextFactory, rota: RotaFacts, keyboard: bool
) -> None:
    turn = rota.choose((ALS, STORIES, NIGHT_SHIFT), takers=2)
    first, second = turn.takers

    asker_page = _signed_in(new_context, turn.asker, javascript=False)
    asker_page.goto(turn.rota)
    _ask(asker_page, turn, "cover", keyboard=False)

    # Both colleagues have the rota open with the offer on it; the first one takes it.
    late_page = _signed_in(new_context, second, javascript=keyboard)
    late_page.goto(turn.rota)
    expect(_offer(late_page, turn, "cover")).to_have_count(1)
    first_page = _signed_in(new_context, first, javascript=False)
    first_page.goto(turn.rota)
    _take(first_page, turn, "cover", keyboard=False)
    expect(first_page.locator(".flash")).to_have_text(TAKEN_BY_ME)

    offer = _offer(late_page, turn, "cover")
    action = offer.locator("form").get_attribute("action")
    button = f"form[action='{action}'] button"
    if keyboard:
        tab_to(late_page, "css=" + button, limit=120)
        with late_page.expect_navigation() as landed:
            late_page.keyboard.press("Enter")
    else:
        with late_page.expect_navigation() as landed:
            late_page.locator(button).click()
    response = landed.value
    assert response is not None and response.status == 200, (
        f"taking a turn already taken answered {response and response.status}"
    )
    expect(late_page).to_have_url(re.compile(rf"{turn.rota}$"))
    expect(late_page.get_by_role("heading", level=1)).to_have_text("Who facilitates")
    expect(late_page.locator(".flash")).to_have_text(TAKEN_ALREADY)
    expect(_offer(late_page, turn, "cover")).to_have_count(0)
    expect(_my_card(late_page, turn.slot.id)).to_have_count(0)
    _assert_accessible(late_page, f"{turn.group} rota telling {second} the turn has gone")

    slot = _slot(late_page, turn, turn.slot.meeting)
    assert slot.people.get(turn.role) == first, f"{turn.slot.when} shows {slot}, not {first}"
    for watch in new_context.watches:
        watch.assert_clean()


# --------------------------------------------------------------------------- 3. actions


def _action_card(page: Page, text: str) -> Locator:
    return page.locator("section[aria-labelledby='actions'] li.card").filter(has_text=text)


def _raised(page: Page, text: str) -> Locator:
    """An action in "Actions from this session"."""
    return page.locator("section[aria-labelledby='actions'] > ul:not(.cards) > li").filter(
        has_text=text
    )


def _action_id(card: Locator) -> int:
    select_id = card.locator("select").get_attribute("id") or ""
    return int(select_id.removeprefix("status-"))


def test_by_keyboard_alone_a_member_commits_to_an_action_and_reports_back_at_the_next_session(
    new_context: ContextFactory, rota: RotaFacts
) -> None:
    text = f"Ask a new starter what helps them settle in ({uuid.uuid4().hex[:6]})"
    note = "Asked one; I will ask the other before the next session"
    page = _signed_in(new_context, "Bob Brown")
    group_link = f"section[aria-labelledby='groups-heading'] a[href='{rota.group(ALS)}']"
    page.goto("/")
    _activate(page, group_link, keyboard=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(ALS)
    sessions = page.evaluate(_SESSIONS)
    assert sessions["past"] and sessions["upcoming"], f"{ALS} sessions: {sessions}"
    # The most recent session has started (it is over); the next one follows it.
    past, upcoming = sessions["past"][0], sessions["upcoming"][0]
    # The rota lists only sessions that have not started yet.
    coming_up = rota.slots(ALS)
    assert coming_up, f"{ALS} has no session on its rota that has not started"
    not_started = coming_up[-1].meeting

    _activate(page, f"a[href='{past}']", keyboard=True)
    expect(page).to_have_url(re.compile(rf"{past}$"))
    _assert_accessible(page, f"{ALS} past session {past} as Bob")
    tab_to(page, ACTION_FIELD, limit=100)
    page.keyboard.type(text)
    tab_to(page, "Record my action")
    _enter(page)
    expect(page.locator(".flash")).to_have_text(ACTION_RECORDED)
    expect(page).to_have_url(re.compile(rf"{past}#actions$"))
    raised = _raised(page, text)
    expect(raised).to_contain_text("Bob Brown")
    expect(raised.locator(".tag")).to_have_text("Open")
    _assert_accessible(page, f"{ALS} session {past} with Bob's new action")

    # Back up to the group by the link above the heading, then on to the next session.
    tab_to(page, f"css=main p.kicker a[href='{rota.group(ALS)}']", backwards=True, limit=120)
    _enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(ALS)
    _activate(page, f"a[href='{upcoming}']", keyboard=True)
    expect(page).to_have_url(re.compile(rf"{upcoming}$"))
    card = _action_card(page, text)
    expect(card).to_contain_text("Bob Brown")
    expect(card.locator(".tag")).to_have_text("Open")
    _assert_accessible(page, f"{ALS} next session {upcoming} with Bob's action to report on")

    action = _action_id(card)
    status = page.locator(f"#status-{action}")
    tab_to(page, f"#status-{action}", limit=120)
    # Typeahead on a focused, closed select picks the first option starting with "C".
    page.keyboard.press("c")
    expect(status).to_have_value("carried_over")
    tab_to(page, f"#note-{action}")
    page.keyboard.type(note)
    tab_to(page, f"css=form[action='{upcoming}/actions/{action}'] button")
    _enter(page)
    expect(page.locator(".flash")).to_have_text(OUTCOME_RECORDED)
    expect(page).to_have_url(re.compile(rf"{upcoming}#actions$"))
    card = _action_card(page, text)
    expect(card.locator(".tag")).to_have_text("Carried over")
    expect(page.locator(f"#status-{action}")).to_have_value("carried_over")
    expect(page.locator(f"#note-{action}")).to_have_value(note)
    _assert_accessible(page, f"{ALS} session {upcoming} after Bob's report-back")

    # Where it was raised, the action shows its outcome; carried over, it comes up again.
    page.goto(past)
    expect(_raised(page, text).locator(".tag")).to_have_text("Carried over")
    page.goto(not_started)
    expect(_action_card(page, text).locator(".tag")).to_have_text("Carried over")
    # A session that has not started yet takes no new actions.
    expect(page.get_by_label(ACTION_FIELD, exact=True)).to_have_count(0)
    for watch in new_context.watches:
        watch.assert_clean()


@pytest.mark.parametrize("outcome", ["Done", "Dropped"])
def test_without_javascript_a_member_commits_to_an_action_and_the_adviser_records_its_outcome(
    new_context: ContextFactory, rota: RotaFacts, outcome: str
) -> None:
    text = f"Write a one-page guide to my first supervisions ({uuid.uuid4().hex[:6]})"
    note = "Shared with the set" if outcome == "Done" else "No longer needed: the team has one"
    grace = _signed_in(new_context, "Grace Green", javascript=False)
    grace.goto("/")
    grace.get_by_role("region", name="My groups").get_by_role("link", name=ALS, exact=True).click()
    expect(grace.get_by_role("heading", level=1)).to_have_text(ALS)
    sessions = grace.evaluate(_SESSIONS)
    past, upcoming = sessions["past"][0], sessions["upcoming"][0]
    with grace.expect_navigation():
        grace.locator(f"section[aria-labelledby='sessions-heading'] a[href='{past}']").click()
    grace.get_by_label(ACTION_FIELD, exact=True).fill(text)
    with grace.expect_navigation():
        grace.get_by_role("button", name="Record my action", exact=True).click()
    expect(grace).to_have_url(re.compile(rf"{past}#actions$"))
    expect(grace.locator(".flash")).to_have_text(ACTION_RECORDED)
    expect(_raised(grace, text).locator(".tag")).to_have_text("Open")
    _assert_accessible(grace, f"{ALS} session {past} with Grace's new action, without JavaScript")

    # At the next session's check-in, the set adviser records how it went.
    alice = _signed_in(new_context, "alice", javascript=False)
    alice.goto(upcoming)
    card = _action_card(alice, text)
    expect(card).to_contain_text("Grace Green")
    action = _action_id(card)
    card.get_by_label(re.compile(r"^How did it go\?")).select_option(label=outcome)
    card.get_by_label("Note (optional)", exact=True).fill(note)
    with alice.expect_navigation():
        card.get_by_role("button", name="Save outcome", exact=True).click()
    expect(alice).to_have_url(re.compile(rf"{upcoming}#actions$"))
    expect(alice.locator(".flash")).to_have_text(OUTCOME_RECORDED)
    # Done or dropped, it is no longer open, so it leaves the report-back list.
    expect(_action_card(alice, text)).to_have_count(0)
    expect(alice.locator(f"#status-{action}")).to_have_count(0)
    _assert_accessible(alice, f"{ALS} session {upcoming} after the outcome, without JavaScript")

    alice.goto(f"{upcoming}/prepare")
    expect(alice.get_by_role("heading", name="Open actions to review at check-in")).to_be_visible()
    expect(alice.locator("section[aria-labelledby='actions-heading']")).not_to_contain_text(text)
    grace.goto(past)
    expect(_raised(grace, text).locator(".tag")).to_have_text(outcome)
    for watch in new_context.watches:
        watch.assert_clean()
