"""Who gets what from every group route: an access matrix over groups, people and methods.

Each case is one request by one person against one group, rolled back afterwards, so a
POST that changes something cannot colour the next case. The expected answers are written
from the rules in notes/GROUPS.md, not read back from app.domain.groups: the matrix is
there to catch the code drifting from what people were promised.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.asgi import create_app
from app.db.engine import write_transaction
from app.db.tables import Invitation, JoinRequest, Membership, Notification
from app.domain.groups import GroupSettings, defaults_for
from app.services.accounts import ensure_account
from app.services.invitations import create_invitation
from app.services.membership import admit_member, create_group
from tests.conftest import (
    TEST_PASSWORD,
    client_for,
    csrf_token,
    empty_all_tables,
    make_settings,
    sign_in,
)

PEOPLE = {
    "alice": ("alice@example.org", "Alice Adeyemi", "member"),  # convenes every group
    "bob": ("bob@example.org", "Bob Brennan", "member"),  # a member of every group
    "carol": ("carol@example.org", "Carol Chukwu", "member"),  # in no group
    "olga": ("olga@example.org", "Olga Okafor", "organiser"),
    "adam": ("adam@example.org", "Adam Aziz", "admin"),
}
ROLES = ("alice", "bob", "carol", "olga", "adam", "visitor")

# One group for each combination of settings that changes who may see what.
GROUPS: dict[str, tuple[str, dict[str, Any]]] = {
    "peer": ("peer_support", {"name": "Night Shift Peer Support", "join_policy": "open"}),
    # A staff network's defaults: listed, open, member list for officers only, discreet.
    "network": ("staff_network", {"name": "Rainbow Staff Network", "network": "lgbtqi"}),
    "request": ("reflective_forum", {"name": "Practice Stories Forum", "join_policy": "request"}),
    "unlisted": (
        "peer_support",
        {"name": "Quiet Room Circle", "visibility": "unlisted", "join_policy": "open"},
    ),
    # An action learning set's defaults: unlisted and by invitation only.
    "invitation": ("action_learning", {"name": "Leading Change Set"}),
}
LISTED = {"peer", "network", "request"}
OPEN = {"peer", "network", "unlisted"}
MEMBERS = {"alice", "bob"}
ORGANISERS = {"olga", "adam"}


@dataclass
class World:
    group: dict[str, int] = field(default_factory=dict)
    settings: dict[str, GroupSettings] = field(default_factory=dict)
    bob_membership: dict[str, int] = field(default_factory=dict)
    request: dict[str, int] = field(default_factory=dict)
    invitation: dict[str, int] = field(default_factory=dict)
    token: dict[str, str] = field(default_factory=dict)
    notification: int = 0

    def fill(self, template: str, key: str) -> str:
        return (
            template.replace("{g}", str(self.group.get(key, 0)))
            .replace("{bob}", str(self.bob_membership.get(key, 0)))
            .replace("{request}", str(self.request.get(key, 0)))
            .replace("{invitation}", str(self.invitation.get(key, 0)))
            .replace("{token}", self.token.get(key, ""))
            .replace("{notification}", str(self.notification))
        )


async def build_world() -> World:
    now = datetime.now(UTC)
    people = {
        key: await ensure_account(email, name, TEST_PASSWORD, role)
        for key, (email, name, role) in PEOPLE.items()
    }
    dora = await ensure_account("dora@example.org", "Dora Dlamini", TEST_PASSWORD, "member")
    w = World()
    for key, (kind, overrides) in GROUPS.items():
        settings = replace(defaults_for(kind, date.today()), **overrides)
        gid = await create_group(people["alice"], settings, "Europe/London", now)
        w.group[key], w.settings[key] = gid, settings
        await admit_member(gid, people["bob"].id, "member", 1, now)
        w.bob_membership[key] = (
            await Membership.select(Membership.id)
            .where((Membership.group == gid) & (Membership.user == people["bob"].id))
            .first()
        )["id"]
        # Inserted directly: the service would rightly refuse Dora an unlisted group.
        rows = await JoinRequest.insert(
            JoinRequest(group=gid, user=dora.id, accepted_rules_version=1, created_at=now)
        ).returning(JoinRequest.id)
        w.request[key] = rows[0]["id"]
        w.token[key] = await create_invitation(gid, people["alice"], False, "14", now)
        found = await Invitation.select(Invitation.id).where(Invitation.token == w.token[key])
        w.invitation[key] = found[0]["id"]
    rows = await Notification.insert(
        Notification(user=people["alice"].id, text="Welcome", link="/", created_at=now)
    ).returning(Notification.id)
    w.notification = rows[0]["id"]
    return w


@dataclass
class Shared:
    world: World
    clients: dict[str, httpx.AsyncClient]


@pytest.fixture(scope="module")
async def shared(database: str) -> AsyncIterator[Shared]:
    """One world, one app and one signed-in browser per person, for the whole matrix.

    Built once because the matrix has ~750 cases and a world, an app and a sign-in cost
    about a third of a second between them (each commit syncs the disk). Every case runs
    inside a transaction that is rolled back (the app's own transactions nest inside it),
    so each case still meets the world exactly as built here.
    """
    await empty_all_tables()
    async with write_transaction():
        world = await build_world()
    app = create_app(make_settings())
    async with AsyncExitStack() as stack:
        clients = {}
        for who in ROLES:
            clients[who] = await stack.enter_async_context(client_for(app))
            if who != "visitor":
                await sign_in(clients[who], PEOPLE[who][0])
        yield Shared(world, clients)


def settings_form(s: GroupSettings) -> dict[str, str]:
    return {
        "name": s.name,
        "purpose": s.purpose,
        "network": s.network,
        "visibility": s.visibility,
        "join_policy": s.join_policy,
        "member_list": s.member_list,
        "capacity": "" if s.capacity is None else str(s.capacity),
        "term_starts": s.term_starts.isoformat() if s.term_starts else "",
        "term_ends": s.term_ends.isoformat() if s.term_ends else "",
        "meets": s.meets,
        "ground_rules": s.ground_rules,
        "discreet": "true" if s.discreet else "",
        "facilitation": s.facilitation,
    }


NEW_GROUP = {
    "name": "Weekend Carers Group",
    "visibility": "listed",
    "join_policy": "open",
    "member_list": "members",
    "meets": "online",
    "facilitation": "rotating",
    "ground_rules": "What is said here stays here.",
}


@dataclass(frozen=True)
class Outcome:
    status: int
    # For 200: the page's <title> (or, for a fragment, a marker in it). For 303: Location.
    detail: str = ""


NOT_FOUND = Outcome(404)
Rule = Callable[[str, str], Outcome]  # (group key, person) -> outcome


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    rule: Rule
    data: dict[str, str] | Callable[[World, str], dict[str, str]] | None = None
    htmx: bool = False


def sees(key: str, who: str) -> bool:
    return key in LISTED or who in MEMBERS


def title(text: str) -> Callable[[str], Outcome]:
    return lambda key: Outcome(200, text.replace("{name}", GROUPS[key][1]["name"]))


def if_(allowed: Callable[[str, str], bool], then: Callable[[str], Outcome]) -> Rule:
    return lambda key, who: then(key) if allowed(key, who) else NOT_FOUND


def to(location: str) -> Callable[[str], Outcome]:
    return lambda _key: Outcome(303, location)


def officer(_key: str, who: str) -> bool:
    return who == "alice"


def sees_member_list(key: str, who: str) -> bool:
    return who == "alice" or (who == "bob" and GROUPS[key][0] != "staff_network")


def may_join(key: str, who: str) -> bool:
    return sees(key, who) and (who in MEMBERS or key in OPEN)


def may_request(key: str, who: str) -> bool:
    return sees(key, who) and (who in MEMBERS or key == "request")


def leaving(key: str) -> Outcome:
    # After leaving, an unlisted group's page is gone for that person: home instead.
    return Outcome(303, "/groups/{g}" if key in LISTED else "/")


GROUP_ROUTES = [
    Route("GET", "/groups/{g}", if_(sees, title("{name}"))),
    Route(
        "GET", "/groups/{g}", if_(sees, lambda _k: Outcome(200, 'id="membership-panel"')), htmx=True
    ),
    Route("GET", "/groups/{g}/settings", if_(officer, title("Settings: {name}"))),
    Route(
        "POST",
        "/groups/{g}/settings",
        if_(officer, to("/groups/{g}")),
        lambda w, key: settings_form(w.settings[key]),
    ),
    Route("GET", "/groups/{g}/members", if_(sees_member_list, title("Members: {name}"))),
    Route("POST", "/groups/{g}/join", if_(may_join, to("/groups/{g}")), {"accept_rules": "true"}),
    Route(
        "POST",
        "/groups/{g}/request",
        if_(may_request, to("/groups/{g}")),
        {"message": "I'd like to come along.", "accept_rules": "true"},
    ),
    Route("POST", "/groups/{g}/request/withdraw", if_(sees, to("/groups/{g}"))),
    Route("POST", "/groups/{g}/leave", if_(lambda _k, who: who in MEMBERS, leaving)),
    Route("POST", "/groups/{g}/rules/accept", if_(lambda _k, w: w in MEMBERS, to("/groups/{g}"))),
    Route("GET", "/groups/{g}/requests", if_(officer, title("Requests to join {name}"))),
    Route(
        "POST",
        "/groups/{g}/requests/{request}",
        if_(officer, to("/groups/{g}/requests")),
        {"decision": "decline"},
    ),
    Route("GET", "/groups/{g}/members/{bob}/remove", if_(officer, title("Remove Bob Brennan"))),
    Route(
        "POST",
        "/groups/{g}/members/{bob}/remove",
        if_(officer, to("/groups/{g}/members")),
        {"reason": "No longer works in the service."},
    ),
    Route("POST", "/groups/{g}/members/{bob}/convenor", if_(officer, to("/groups/{g}/members"))),
    Route("GET", "/groups/{g}/invitations", if_(officer, title("Invitation links: {name}"))),
    Route(
        "POST",
        "/groups/{g}/invitations",
        if_(officer, to("/groups/{g}/invitations")),
        {"single_use": "true", "days": "14"},
    ),
    Route(
        "POST",
        "/groups/{g}/invitations/{invitation}/revoke",
        if_(officer, to("/groups/{g}/invitations")),
    ),
    # Anyone signed in who holds a valid link may see the group it is for: that is its point.
    Route("GET", "/invite/{token}", lambda key, _who: title("Invitation to {name}")(key)),
    Route(
        "POST",
        "/invite/{token}",
        lambda _key, _who: Outcome(303, "/groups/{g}"),
        {"accept_rules": "true"},
    ),
    Route(
        "POST",
        "/groups/{g}/appoint",
        if_(lambda key, who: who in ORGANISERS and key in LISTED, to("/groups/{g}")),
        {"email": "carol@example.org"},
    ),
    Route(
        "GET",
        "/groups/{g}/safeguarding",
        if_(lambda _k, w: w == "adam", title("Safeguarding access")),
    ),
    Route(
        "POST",
        "/groups/{g}/safeguarding",
        if_(lambda _k, w: w == "adam", to("/groups/{g}")),
        {"reason": "A member has raised a concern about a colleague's safety."},
    ),
]


def anyone_signed_in(outcome: Outcome) -> Rule:
    return lambda _key, _who: outcome


SITE_ROUTES = [
    Route("GET", "/groups", anyone_signed_in(Outcome(200, "Find a group"))),
    Route(
        "GET",
        "/groups?q=network&kind=staff_network&meets=online&space=true",
        anyone_signed_in(Outcome(200, "Find a group")),
    ),
    Route(
        "GET", "/groups?q=circle", anyone_signed_in(Outcome(200, 'class="result-count"')), htmx=True
    ),
    Route("GET", "/groups/new", anyone_signed_in(Outcome(200, "Set up a group"))),
    Route(
        "GET",
        "/groups/new/peer_support",
        anyone_signed_in(Outcome(200, "Set up a peer support group")),
    ),
    Route("GET", "/groups/new/book_club", anyone_signed_in(NOT_FOUND)),
    Route(
        "POST",
        "/groups/new/peer_support",
        anyone_signed_in(Outcome(303, "/groups/<new>")),
        NEW_GROUP,
    ),
    Route(
        "GET",
        "/organiser/groups",
        lambda _k, who: Outcome(200, "Groups overview") if who in ORGANISERS else NOT_FOUND,
    ),
    Route("POST", "/notifications/{notification}/read", anyone_signed_in(Outcome(303, "/"))),
]


@dataclass(frozen=True)
class Case:
    route: Route
    group: str  # a key of GROUPS, or "" for routes about no one group
    who: str

    @property
    def expected(self) -> Outcome:
        if self.who == "visitor":
            # A fragment cannot follow a redirect into the panel: htmx is told to go instead.
            return Outcome(204 if self.route.htmx else 303, "sign-in")
        return self.route.rule(self.group, self.who)

    @property
    def id(self) -> str:
        path = self.route.path
        for name in ("bob", "request", "invitation", "token"):
            path = path.replace(f"{{{name}}}", f"{{{self.group}:{name}}}")
        path = path.replace("{g}", f"{{{self.group}}}")
        method = ("HX-" if self.route.htmx else "") + self.route.method
        return f"{self.who}-{method}-{path}-{self.expected.status}"


CASES = [Case(r, key, who) for r in GROUP_ROUTES for key in GROUPS for who in ROLES] + [
    Case(r, "", who) for r in SITE_ROUTES for who in ROLES
]


async def send(client: httpx.AsyncClient, case: Case, world: World) -> httpx.Response:
    route = case.route
    url = world.fill(route.path, case.group)
    headers = {"HX-Request": "true"} if route.htmx else {}
    if route.method == "GET":
        return await client.get(url, headers=headers)
    data = route.data(world, case.group) if callable(route.data) else dict(route.data or {})
    return await client.post(url, data={"_csrf_token": await csrf_token(client), **data})


def page_title(html: str) -> str | None:
    found = re.search(r"<title>(.*?) \u2013 Roundtable</title>", html, re.S)
    return found.group(1).strip() if found else None


def assert_answer(response: httpx.Response, case: Case, world: World) -> None:
    expected = case.expected
    url = world.fill(case.route.path, case.group)
    assert response.status_code == expected.status, response.text[:2000]
    if case.who == "visitor":
        location = response.headers["HX-Redirect" if case.route.htmx else "location"]
        target = urlsplit(location)
        assert target.path == "/sign-in"
        assert parse_qs(target.query)["next"] == [url]
    elif expected.status == 200 and case.route.htmx:
        assert expected.detail in response.text
        assert "<title>" not in response.text, "a fragment, not a whole page"
    elif expected.status == 200:
        assert page_title(response.text) == expected.detail
    elif expected.status == 303:
        location = response.headers["location"]
        if expected.detail == "/groups/<new>":
            assert re.fullmatch(r"/groups/\d+", location)
        else:
            assert location == world.fill(expected.detail, case.group)
    elif expected.status == 404:
        assert page_title(response.text) == "Page not found"
        if case.group:
            # The refusal must not confirm what the group is called.
            assert GROUPS[case.group][1]["name"] not in response.text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_each_person_gets_the_expected_answer_from_each_group_page(
    shared: Shared, case: Case
) -> None:
    async with write_transaction() as transaction:
        response = await send(shared.clients[case.who], case, shared.world)
        await transaction.rollback()
    assert_answer(response, case, shared.world)


async def test_marking_someone_elses_notification_read_changes_nothing(shared: Shared) -> None:
    client, notification = shared.clients["bob"], shared.world.notification
    async with write_transaction() as transaction:
        response = await client.post(
            f"/notifications/{notification}/read",
            data={"_csrf_token": await csrf_token(client)},
        )
        row = (
            await Notification.select(Notification.read_at)
            .where(Notification.id == notification)
            .first()
        )
        await transaction.rollback()
    # The same answer as for one's own, so ids cannot be probed; but Alice's stays unread.
    assert response.status_code == 303
    assert row["read_at"] is None


async def test_the_matrix_left_the_world_exactly_as_it_was_built(shared: Shared) -> None:
    # Guards the rollback itself: were it to commit, later cases would test another world.
    active = await Membership.count().where(Membership.status == "active")
    pending = await JoinRequest.count().where(JoinRequest.status == "pending")
    assert (active, pending) == (2 * len(GROUPS), len(GROUPS))
    assert await Notification.count() == 1
