"""Who belongs to a staff network is the most sensitive thing Roundtable holds.

These tests read every page a person can reach, whole, attributes and all, and look for
names and counts that must not be there; and they read the in-app notifications, which
are the emails of this issue and can be read over a shoulder.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.db.engine import write_transaction
from app.db.tables import AuditEvent, JoinRequest, Membership, Notification
from app.domain.groups import defaults_for
from app.services.accounts import Account
from app.services.membership import admit_member, create_group
from tests.conftest import (
    MakeAccount,
    client_for,
    field_error,
    htmx_post,
    post_form,
    sign_in,
    text_of,
)

PEOPLE = {
    "alice": ("alice@example.org", "Alice Adeyemi", "member"),
    "erin": ("erin@example.org", "Erin Ekwueme", "member"),
    "bob": ("bob@example.org", "Bob Brennan", "member"),
    "dora": ("dora@example.org", "Dora Dlamini", "member"),
    "fred": ("fred@example.org", "Fred Fofana", "member"),
    "gina": ("gina@example.org", "Gina Gallagher", "member"),
    "carol": ("carol@example.org", "Carol Chukwu", "member"),
    "olga": ("olga@example.org", "Olga Okafor", "organiser"),
    "adam": ("adam@example.org", "Adam Aziz", "admin"),
}
NETWORK = "Rainbow Staff Network"
REASON = "A member reported a safeguarding concern about a vulnerable colleague."

People = dict[str, Account]


@pytest.fixture
async def people(make_account: MakeAccount) -> People:
    # One commit for nine accounts: each commit waits for the disk.
    async with write_transaction():
        return {key: await make_account(*details) for key, details in PEOPLE.items()}


def name_of(who: str) -> str:
    return PEOPLE[who][1]


async def new_group(convenor: Account, kind: str, **overrides: Any) -> int:
    settings = replace(defaults_for(kind, date.today()), **overrides)
    return await create_group(convenor, settings, "Europe/London", datetime.now(UTC))


async def add(group_id: int, *accounts: Account, role: str = "member") -> None:
    async with write_transaction():
        for account in accounts:
            await admit_member(group_id, account.id, role, 1, datetime.now(UTC))


@asynccontextmanager
async def browser(app: Litestar, who: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        await sign_in(client, PEOPLE[who][0])
        yield client


def fragment(client: httpx.AsyncClient, url: str) -> Any:
    return client.get(url, headers={"HX-Request": "true"})


def assert_names_no_one(html: str, forbidden: set[str], where: str) -> None:
    # Raw and unescaped, so a name in an attribute or an entity-encoded name still counts;
    # the surname alone too, in case a page abbreviates.
    haystack = (html + unescape(html)).lower()
    for who in forbidden:
        for form in (name_of(who), name_of(who).split()[-1]):
            assert form.lower() not in haystack, f"{where} names {name_of(who)}"


async def notification_texts(*accounts: Account) -> list[str]:
    query = Notification.select(Notification.text)
    if accounts:
        query = query.where(Notification.user.is_in([a.id for a in accounts]))
    return [row["text"] for row in await query]


async def pages_for(client: httpx.AsyncClient, group_id: int, organiser: bool) -> dict[str, str]:
    """Every GET page that could mention the group, for this person, keyed by a label."""
    requests = {
        "group page": client.get(f"/groups/{group_id}"),
        "membership panel": fragment(client, f"/groups/{group_id}"),
        "directory": client.get("/groups"),
        "directory search": client.get("/groups?q=rainbow&kind=staff_network"),
        "directory fragment": fragment(client, "/groups?q=rainbow"),
        "home": client.get("/"),
    }
    if organiser:
        requests["organiser overview"] = client.get("/organiser/groups")
    pages = {}
    for label, pending in requests.items():
        response = await pending
        assert response.status_code == 200, label
        pages[label] = response.text
    members = await client.get(f"/groups/{group_id}/members")
    assert members.status_code == 404
    pages["members page attempt"] = members.text
    return pages


@pytest.mark.parametrize("viewer", ["bob", "carol", "olga", "adam"])
async def test_an_officers_only_network_names_no_member_to_anyone_but_its_convenors(
    app: Litestar, people: People, viewer: str
) -> None:
    network = await new_group(people["alice"], "staff_network", name=NETWORK, network="lgbtqi")
    await add(network, people["erin"], role="convenor")
    await add(network, people["bob"], people["dora"], people["fred"], people["gina"])
    members = {"alice", "erin", "bob", "dora", "fred", "gina"}
    convenors = {"alice", "erin"}
    organiser = viewer in {"olga", "adam"}

    async with browser(app, viewer) as client:
        is_member = viewer in members
        # A member may know the convenors (they belong too); a non-member may not.
        forbidden = members - {viewer} - (convenors if is_member else set())
        for label, html in (await pages_for(client, network, organiser)).items():
            assert_names_no_one(html, forbidden, f"{viewer}'s {label}")

        if not is_member:
            joined = await htmx_post(client, f"/groups/{network}/join", {"accept_rules": "true"})
            assert joined.status_code == 200
            assert 'id="membership-panel"' in joined.text
            assert "You are a member of this group." in text_of(joined.text)
            forbidden = members - convenors
            assert_names_no_one(joined.text, forbidden, f"{viewer}'s panel after joining")
            for label, html in (await pages_for(client, network, organiser)).items():
                assert_names_no_one(html, forbidden, f"{viewer}'s {label} after joining")

    for text in await notification_texts(people[viewer]):
        assert NETWORK.lower() not in text.lower()


async def test_no_notification_ever_names_a_discreet_group(app: Litestar, people: People) -> None:
    """Every action that notifies someone, taken on a discreet network."""
    network = await new_group(
        people["alice"], "staff_network", name=NETWORK, network="lgbtqi", join_policy="request"
    )
    await add(network, people["bob"], people["dora"])
    settings = replace(defaults_for("staff_network", date.today()), name=NETWORK)
    async with browser(app, "carol") as carol:
        asked = await post_form(carol, f"/groups/{network}/request", {"accept_rules": "true"})
        assert asked.status_code == 303
    request_id = (await JoinRequest.select(JoinRequest.id).first())["id"]
    memberships = {
        row["user"]: row["id"]
        for row in await Membership.select(Membership.user, Membership.id).where(
            Membership.group == network
        )
    }
    async with browser(app, "alice") as alice:
        steps = [
            (f"/groups/{network}/requests/{request_id}", {"decision": "approve"}),
            (
                f"/groups/{network}/settings",
                {
                    "name": NETWORK,
                    "network": "lgbtqi",
                    "visibility": "listed",
                    "join_policy": "request",
                    "member_list": "officers",
                    "meets": "online",
                    "facilitation": "rotating",
                    "discreet": "true",
                    "ground_rules": settings.ground_rules + "\nPhones away during meetings.",
                },
            ),
            (f"/groups/{network}/members/{memberships[people['bob'].id]}/convenor", {}),
            (
                f"/groups/{network}/members/{memberships[people['dora'].id]}/remove",
                {"reason": "Asked to be removed by email."},
            ),
        ]
        for url, data in steps:
            assert (await post_form(alice, url, data)).status_code == 303, url
    async with browser(app, "olga") as olga:
        appointed = await post_form(
            olga, f"/groups/{network}/appoint", {"email": PEOPLE["erin"][0]}
        )
        assert appointed.status_code == 303
    async with browser(app, "adam") as adam:
        opened = await post_form(adam, f"/groups/{network}/safeguarding", {"reason": REASON})
        assert opened.status_code == 303
    # Every convenor leaves, so the longest-standing member (Carol) is made convenor.
    for who in ("alice", "bob", "erin"):
        async with browser(app, who) as client:
            assert (await post_form(client, f"/groups/{network}/leave", {})).status_code == 303

    told = {who: await notification_texts(people[who]) for who in PEOPLE}
    # Each kind of notification was really sent, so the check below is not vacuous.
    assert any("asked to join" in t for t in told["alice"])
    assert any("was accepted" in t for t in told["carol"])
    assert any("ground rules" in t for t in told["bob"])
    assert any("made you a convenor" in t for t in told["bob"])
    assert any("removed you" in t for t in told["dora"])
    assert any("appointed you a convenor" in t for t in told["erin"])
    assert any(REASON in t for t in told["alice"])
    assert any("last convenor left" in t for t in told["carol"])
    for who, texts in told.items():
        for text in texts:
            assert "rainbow" not in text.lower(), f"{who} was told: {text}"


async def test_a_group_made_discreet_is_not_named_in_the_notice_about_its_new_rules(
    app: Litestar, people: People
) -> None:
    group = await new_group(
        people["alice"], "peer_support", name="Open Door Peer Group", join_policy="open"
    )
    await add(group, people["bob"])
    async with browser(app, "alice") as alice:
        saved = await post_form(
            alice,
            f"/groups/{group}/settings",
            {
                "name": "Open Door Peer Group",
                "visibility": "listed",
                "join_policy": "open",
                "member_list": "members",
                "meets": "in_person",
                "facilitation": "rotating",
                "discreet": "true",
                "ground_rules": "Listen first.\nWhat is said here stays here.",
            },
        )
        assert saved.status_code == 303
    [text] = await notification_texts(people["bob"])
    assert "ground rules" in text and "Open Door" not in text


def overview_members_cell(html: str, group_id: int) -> str:
    row = re.search(rf'<a href="/groups/{group_id}">.*?</tr>', html, re.S)
    assert row, "the group is not in the overview"
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    return text_of(cells[1])


async def counts_seen(client: httpx.AsyncClient, organiser: bool, group_id: int) -> dict[str, str]:
    seen = {
        "group page": text_of((await client.get(f"/groups/{group_id}")).text),
        "directory": text_of((await client.get("/groups")).text),
        "directory fragment": text_of((await fragment(client, "/groups?q=rainbow")).text),
    }
    if organiser:
        overview = (await client.get("/organiser/groups")).text
        seen["organiser overview"] = overview_members_cell(overview, group_id)
    return seen


async def test_a_staff_network_under_five_shows_its_size_only_to_its_officers(
    app: Litestar, people: People
) -> None:
    network = await new_group(people["alice"], "staff_network", name=NETWORK)
    await add(network, people["bob"], people["dora"], people["fred"])
    async with AsyncExitStack() as stack:
        viewers = {
            who: await stack.enter_async_context(browser(app, who))
            for who in ("alice", "bob", "carol", "olga")
        }

        for who in ("bob", "carol", "olga"):
            for label, text in (await counts_seen(viewers[who], who == "olga", network)).items():
                if label == "organiser overview":
                    assert text == "Fewer than 5"
                else:
                    assert not re.search(r"\b4 members?\b|\bMembers \d", text), f"{who}'s {label}"
        officer = await counts_seen(viewers["alice"], False, network)
        assert "Members 4" in officer["group page"]
        assert "4 members" in officer["directory"] and "4 members" in officer["directory fragment"]

        await add(network, people["gina"])
        for who, client in viewers.items():
            seen = await counts_seen(client, who == "olga", network)
            assert "Members 5" in seen["group page"], who
            assert "5 members" in seen["directory"], who
            assert "5 members" in seen["directory fragment"], who
            if who == "olga":
                assert seen["organiser overview"] == "5"


async def test_break_glass_opens_a_group_page_for_an_hour_but_never_a_network_member_list(
    app: Litestar, people: People
) -> None:
    network = await new_group(people["alice"], "staff_network", name=NETWORK, visibility="unlisted")
    await add(network, people["erin"], role="convenor")
    await add(network, people["bob"])
    circle = await new_group(
        people["alice"],
        "peer_support",
        name="Quiet Room Circle",
        visibility="unlisted",
        join_policy="open",
    )
    await add(circle, people["bob"])

    async with browser(app, "adam") as adam:
        assert (await adam.get(f"/groups/{network}")).status_code == 404
        assert (await adam.get(f"/groups/{circle}/members")).status_code == 404

        form = await adam.get(f"/groups/{network}/safeguarding")
        assert form.status_code == 200
        short = await post_form(
            adam, f"/groups/{network}/safeguarding", {"reason": "Worried about it"}
        )
        assert short.status_code == 422
        assert (field_error(short.text, "reason") or "").startswith(
            "Explain the safeguarding reason in at least 20 characters"
        )
        assert re.search(r'<textarea id="reason"[^>]*>Worried about it</textarea>', short.text)
        assert await AuditEvent.count().where(AuditEvent.action == "break_glass") == 0
        assert (await adam.get(f"/groups/{network}")).status_code == 404

        opened = await post_form(adam, f"/groups/{network}/safeguarding", {"reason": REASON})
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/groups/{network}"
        page = await adam.get(f"/groups/{network}")
        assert page.status_code == 200
        assert "You are viewing this group through break-glass access" in text_of(page.text)
        # A look inside, not a member list: not even the convenors, who are members too.
        assert_names_no_one(page.text, {"alice", "erin", "bob"}, "the break-glass page")
        members = await adam.get(f"/groups/{network}/members")
        assert members.status_code == 404
        assert_names_no_one(members.text, {"alice", "erin", "bob"}, "the members attempt")

        # A group whose members see each other is open to the break-glass look, list included.
        await post_form(adam, f"/groups/{circle}/safeguarding", {"reason": REASON})
        circle_members = await adam.get(f"/groups/{circle}/members")
        assert circle_members.status_code == 200
        assert name_of("bob") in text_of(circle_members.text)

    events = await AuditEvent.select(AuditEvent.actor, AuditEvent.detail, AuditEvent.action).where(
        AuditEvent.group == network
    )
    assert events == [{"actor": people["adam"].id, "detail": REASON, "action": "break_glass"}]
    for convenor in ("alice", "erin"):
        assert any(REASON in t for t in await notification_texts(people[convenor])), convenor
    assert not await notification_texts(people["bob"])

    for convenor in ("alice", "erin"):
        async with browser(app, convenor) as client:
            words = text_of((await client.get(f"/groups/{network}")).text)
        assert f"{name_of('adam')} opened access on" in words
        assert f"Reason: {REASON}" in words

    # An hour later the look is over.
    await AuditEvent.update(
        {AuditEvent.occurred_at: datetime.now(UTC) - timedelta(minutes=61)}
    ).where(AuditEvent.group == network)
    async with browser(app, "adam") as adam:
        assert (await adam.get(f"/groups/{network}")).status_code == 404


async def test_break_glass_lets_an_admin_look_at_an_unlisted_group_but_not_join_it(
    app: Litestar, people: People
) -> None:
    circle = await new_group(
        people["alice"],
        "peer_support",
        name="Quiet Room Circle",
        visibility="unlisted",
        join_policy="open",
    )
    async with browser(app, "adam") as adam:
        await post_form(adam, f"/groups/{circle}/safeguarding", {"reason": REASON})
        joined = await post_form(adam, f"/groups/{circle}/join", {"accept_rules": "true"})
    # Joining would outlast the hour and the record: membership is not a safeguarding look.
    assert joined.status_code == 404
    assert await Membership.count().where(Membership.group == circle) == 1


async def appoint(app: Litestar, group_id: int, email: str) -> tuple[int, str, str]:
    """What the organiser is told: status, where they are sent, and the message they read.

    Not the whole page they land on: that shows the group's count, which an appointment of
    a newcomer changes (see the report; the count is the group's, not the answer's).
    """
    async with browser(app, "olga") as olga:
        response = await post_form(olga, f"/groups/{group_id}/appoint", {"email": email})
        location = response.headers.get("location", "")
        if response.status_code == 303:
            flashes = re.findall(
                r'class="flash" role="status">(.*?)</div>', (await olga.get(location)).text
            )
            told = " ".join(flashes)
        else:
            told = field_error(response.text, "email") or ""
    return response.status_code, location, told


@pytest.mark.parametrize("capacity", [None, 2], ids=["with-space", "full"])
async def test_appointing_a_convenor_says_nothing_about_whether_they_already_belonged(
    app: Litestar, people: People, capacity: int | None
) -> None:
    group = await new_group(
        people["alice"],
        "peer_support",
        name="Night Shift Peer Support",
        join_policy="open",
        capacity=capacity,
    )
    await add(group, people["bob"])

    already_member = await appoint(app, group, PEOPLE["bob"][0])
    not_member = await appoint(app, group, PEOPLE["carol"][0])
    assert already_member == not_member
    status = already_member[0]
    if capacity is None:
        assert status == 303
        assert already_member[2] == "The convenor has been appointed and told."
        for who in ("bob", "carol"):
            texts = await notification_texts(people[who])
            assert any("appointed you a convenor of Night Shift Peer Support" in t for t in texts)
    else:
        # A full group refuses both alike, or the refusal would mark out the non-member.
        assert status == 422
        assert already_member[2].startswith("The group is full")
        assert not await notification_texts(people["bob"], people["carol"])
