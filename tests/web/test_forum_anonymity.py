"""An anonymous post never names its author: not on any page, fragment, error, email or export.

The issue's requirement: create anonymous posts, then render every page, fragment, digest
email and export as every role, including an admin using break-glass; the author's name,
email and id appear nowhere, including in HTML attributes, comments, data-* attributes and
headers.

Who wrote what is set up through the pages themselves (plain forms and htmx), in a staff
network (discreet, anonymous posts on by default) and in a peer support group that is not
discreet and has anonymous posts turned on. The author writes an anonymous thread and
anonymous replies; others reply under their names and anonymously; posts are heard,
reported, hidden, restored, edited and deleted; one thread runs to a second page. Then the
author, another member, a member who takes forum email as a digest, the convenor, an
organiser, an admin before and after break-glass, an outsider and a signed-out visitor each
fetch every forum page, fragment (with HX-Request) and form page, the search, the reports
page, the group page, their home page, their account pages, their calendar feed and a
session's calendar file (the app's only exports); and the forum's emails, immediate and
digest, are sent into a MemoryMailer.

How the author's id is looked for without false positives: ids are small integers shared
by every table, so post 7 and user 7 would be indistinguishable in `/forum/posts/7`, and a
search for "7" would fail on any page. Instead the author's account is moved, straight
after it is made and before anything refers to it, to an id no other row in the test can
have (AUTHOR_ID, seven digits: no test makes that many rows of anything). The id is then
searched for as a whole number (not inside a longer run of digits, so a timestamp or a
token that happens to contain the digits is not a hit) in the *whole* response: every
header, and the body as sent, HTML-unescaped and URL-decoded. That covers every href,
action, id, name, value, data-* and hx-* attribute and every HTML comment, and the text
as well, without having to know which attribute might carry it. The name is looked for by
each part ("zephyrine", "quillfeather") and the email by its local part, case-insensitively,
in the same places, so "Zephyrine" alone or a URL-encoded address is caught too.

The author's own views: forum pages and fragments must not name them either (an anonymous
post of theirs is marked "You", never with their name). Only pages about themselves may,
in two known places that are blanked before their pages are checked: the home page's
"Hello, <name>" heading, and the value of the name and email fields of their profile
form. Emails to the author are theirs; every email to anyone else is checked. The member
list (`/groups/N/members`) is left out on purpose: it tells a convenor who belongs, which
is not who wrote what. A search for the author's name is checked apart from the rest
(it must find nothing), because a search page repeats the words searched for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from html import unescape
from urllib.parse import unquote

import httpx
import pytest
from litestar import Litestar

from app.config import Settings
from app.db.tables import ForumPost, Meeting, Reminder, ReminderPreference, User
from app.mail import MemoryMailer
from app.services import forum, meetings
from app.services.accounts import Account
from app.services.digests import plan_digests
from app.services.dispatch import dispatch
from tests.conftest import (
    MakeAccount,
    client_for,
    field_error,
    htmx_post,
    post_form,
    sign_in,
    text_of,
)
from tests.services.groups_support import add, group_of

AUTHOR_NAME = "Zephyrine Quillfeather"
AUTHOR_EMAIL = "zq-author@example.org"
AUTHOR_ID = 7734921
# Each part of the name, and the email's local part (which the whole address contains).
AUTHOR_WORDS = ("zephyrine", "quillfeather", "zq-author")
AUTHOR_ID_TOKEN = re.compile(rf"(?<![0-9]){AUTHOR_ID}(?![0-9])")

HX = {"HX-Request": "true"}
SAFEGUARDING_REASON = "A member raised a safeguarding concern about a colleague's wellbeing."

# Words written into posts, one per post, so each post can be looked for and searched.
OPENING = "Has anyone else felt the marigold weight of the late shift rota lately?"
FIRST_REPLY = "Some weeks it is periwinkle heavy and I don't say so in supervision."
HIDDEN_REPLY = "It was snapdragon on the Tuesday handover, with the agency staff."
DELETED_REPLY = "Foxglove: actually, I'd rather not have said this."
EARLY_REPLY = "Bluebell: swaps work better when we ask early."
LATE_REPLY = "Hollyhock: the second page of this thread is mine too."
EDITED_OPENING = OPENING + " (edited: cornflower)"
NAMED_REPLY = "Thank you for saying it. Lavender helps me."
ANONYMOUS_OTHER = "Me too, primrose days and all."
SEARCHED = ("marigold", "cornflower", "periwinkle", "snapdragon", "hollyhock", "bluebell")
CONTENT_WORDS = (*SEARCHED, "foxglove", "lavender", "primrose", "filler")


@dataclass
class Group:
    kind: str
    name: str
    discreet: bool
    id: int = 0
    meeting: int = 0
    threads: dict[str, int] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)


# A staff network is discreet and takes anonymous posts by default; this peer support
# group is neither discreet nor anonymous by default, and turns anonymous posts on.
GROUPS = {
    "staff_network": ("Kestrel Rainbow Network", True),
    "peer_support": ("Lantern Peer Circle", False),
}

People = dict[str, Account]


@dataclass
class Seen:
    """Every response and email looked at, and what was wrong with them."""

    problems: list[str] = field(default_factory=list)
    responses: int = 0

    def response(self, who: str, what: str, response: httpx.Response) -> httpx.Response:
        self.responses += 1
        where = f"{who}: {response.request.method} {response.request.url.raw_path.decode()}"
        where += f" ({what}, {response.status_code})" if what else f" ({response.status_code})"
        body = response.text
        if who == "author":
            path = response.request.url.path
            if path == "/":
                body = body.replace(f"<h1>Hello, {AUTHOR_NAME}</h1>", "")
            elif path.startswith("/account/"):
                # Their own profile: their name and email, in their own form.
                body = _without_own_details(body)
        self.look(where, _headers(response.headers.multi_items()), body)
        return response

    def look(self, where: str, headers: dict[str, str], body: str) -> None:
        texts = {
            **headers,
            "body": body,
            "body, HTML-unescaped": unescape(body),
            "body, URL-decoded": unquote(body),
        }
        for label, text in texts.items():
            lowered = text.lower()
            for word in AUTHOR_WORDS:
                if word in lowered:
                    self.problems.append(f"{where}: {label} has {_around(lowered, word)!r}")
            found = AUTHOR_ID_TOKEN.search(text)
            if found:
                self.problems.append(
                    f"{where}: {label} has the author's id in {_around(text, found.group())!r}"
                )


def _headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for n, (name, value) in enumerate(items):
        found[f"header {n} {name}"] = f"{name}: {value}"
    return found


def _around(text: str, word: str) -> str:
    at = text.find(word)
    return text[max(at - 80, 0) : at + len(word) + 80]


def _without_own_details(body: str) -> str:
    for own in (AUTHOR_NAME, AUTHOR_EMAIL):
        body = body.replace(f'value="{own}"', 'value=""')
    return body


# --------------------------------------------------------------------------- the people


PEOPLE = {
    "member": ("bob@example.org", "Bob Brown", "member"),
    "digest member": ("dina@example.org", "Dina Daniels", "member"),
    "convenor": ("alice@example.org", "Alice Ahmed", "member"),
    "organiser": ("olga@example.org", "Olga Okafor", "organiser"),
    "admin": ("adam@example.org", "Adam Adeyemi", "admin"),
    "outsider": ("carol@example.org", "Carol Clarke", "member"),
}


async def _author(make_account: MakeAccount) -> Account:
    """The author, moved to an id nothing else in the test can share (see the docstring)."""
    made = await make_account(AUTHOR_EMAIL, AUTHOR_NAME)
    await User.update({User.id: AUTHOR_ID}).where(User.id == made.id)
    moved = await User.select(User.id).where(User.email == AUTHOR_EMAIL).first()
    assert moved == {"id": AUTHOR_ID}
    return replace(made, id=AUTHOR_ID)


async def _people(make_account: MakeAccount) -> People:
    people = {"author": await _author(make_account)}
    for who, details in PEOPLE.items():
        people[who] = await make_account(*details)
    assert all(p.id != AUTHOR_ID for who, p in people.items() if who != "author")
    return people


def now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- the forum


async def _post_id(thread_id: int, body_starts: str) -> int:
    row = (
        await ForumPost.select(ForumPost.id)
        .where((ForumPost.thread == thread_id) & ForumPost.body.like(f"{body_starts}%"))
        .first()
    )
    assert row is not None, body_starts
    return int(row["id"])


async def _write(app: Litestar, people: People, group: Group, seen: Seen) -> None:
    """Everything that happens in the group's forum, through its pages."""
    gid = group.id
    async with (
        client_for(app) as author,
        client_for(app) as bob,
        client_for(app) as dina,
        client_for(app) as alice,
    ):
        for client, who in ((author, "author"), (bob, "member"), (dina, "digest member")):
            await sign_in(client, (AUTHOR_EMAIL if who == "author" else PEOPLE[who][0]))
        await sign_in(alice, PEOPLE["convenor"][0])

        # The author opens a thread anonymously, in place (htmx) after a mistake.
        title = "Rota pressure on the late shift"
        group.titles.append(title)
        wrong = await htmx_post(
            author, f"/groups/{gid}/forum", {"title": title, "body": "", "anonymous": "true"}
        )
        assert wrong.status_code == 422
        seen.response("author", "a thread with no post, in place", wrong)
        made = await htmx_post(
            author,
            f"/groups/{gid}/forum",
            {"title": title, "body": OPENING, "anonymous": "true"},
        )
        assert made.status_code == 204, made.text
        seen.response("author", "a new thread, in place", made)
        t1 = int(made.headers["HX-Redirect"].rsplit("/", 1)[1])
        group.threads["t1"] = t1
        p1 = await _post_id(t1, OPENING)
        group.posts["opening"] = p1

        named = await post_form(bob, f"/forum/threads/{t1}/replies", {"body": NAMED_REPLY})
        seen.response("member", "a named reply", named)

        # Anonymous replies by the author: plainly, in place (to be hidden), and one to delete.
        for body, how in ((FIRST_REPLY, "plain"), (HIDDEN_REPLY, "htmx"), (DELETED_REPLY, "plain")):
            values = {"body": body, "anonymous": "true"}
            url = f"/forum/threads/{t1}/replies"
            sent = await (
                htmx_post(author, url, values) if how == "htmx" else post_form(author, url, values)
            )
            assert sent.status_code in (200, 303), sent.text
            seen.response("author", f"an anonymous reply ({how})", sent)
        group.posts["first reply"] = await _post_id(t1, FIRST_REPLY)
        group.posts["hidden reply"] = await _post_id(t1, HIDDEN_REPLY)
        group.posts["deleted reply"] = await _post_id(t1, DELETED_REPLY)

        # Errors made by the author come back with the form, never with their name.
        for response, what in (
            (
                await post_form(author, f"/forum/threads/{t1}/replies", {"anonymous": "true"}),
                "an empty reply",
            ),
            (
                await htmx_post(
                    author, f"/forum/threads/{t1}/replies", {"body": "", "anonymous": "true"}
                ),
                "an empty reply, in place",
            ),
            (
                await post_form(author, f"/forum/posts/{p1}/edit", {f"body-{p1}": " "}),
                "an empty edit",
            ),
            (
                await htmx_post(author, f"/forum/posts/{p1}/edit", {f"body-{p1}": ""}),
                "an empty edit, in place",
            ),
        ):
            assert response.status_code == 422, what
            seen.response("author", what, response)

        anonymous = await htmx_post(
            dina, f"/forum/threads/{t1}/replies", {"body": ANONYMOUS_OTHER, "anonymous": "true"}
        )
        seen.response("digest member", "an anonymous reply of their own", anonymous)

        # Heard, in place and plainly.
        seen.response(
            "member", "I hear you, in place", await htmx_post(bob, f"/forum/posts/{p1}/ack", {})
        )
        first_reply = group.posts["first reply"]
        seen.response(
            "digest member",
            "I hear you",
            await post_form(dina, f"/forum/posts/{first_reply}/ack", {}),
        )

        # The author edits their opening post, and deletes one reply.
        edited = await htmx_post(author, f"/forum/posts/{p1}/edit", {f"body-{p1}": EDITED_OPENING})
        assert edited.status_code == 200
        seen.response("author", "an edit, in place", edited)
        deleted = group.posts["deleted reply"]
        gone = await post_form(author, f"/forum/posts/{deleted}/delete", {})
        assert gone.status_code == 303
        seen.response("author", "a deletion", gone)

        # Reports: one left open, one the convenor acts on; a bad report first.
        hidden = group.posts["hidden reply"]
        empty = await htmx_post(dina, f"/forum/posts/{p1}/report", {f"report-{p1}": ""})
        assert empty.status_code == 422 and field_error(empty.text, f"report-{p1}")
        seen.response("digest member", "an empty report, in place", empty)
        for client, who, pid, reason in (
            (dina, "digest member", p1, "Please check this one"),
            (bob, "member", hidden, "This names a colleague"),
        ):
            reported = await post_form(
                client, f"/forum/posts/{pid}/report", {f"report-{pid}": reason}
            )
            assert reported.status_code == 303
            seen.response(who, "a report", reported)

        # The convenor pins the thread, hides one post (after a mistake) and hides and
        # restores another.
        seen.response(
            "convenor",
            "a pin",
            await post_form(alice, f"/forum/threads/{t1}/pin", {"pinned": "true"}),
        )
        for response, what in (
            (
                await post_form(
                    alice, f"/forum/posts/{hidden}/hide", {f"hide-{hidden}": "", "back": "reports"}
                ),
                "hiding with no reason, from the reports page",
            ),
            (
                await htmx_post(alice, f"/forum/posts/{hidden}/hide", {f"hide-{hidden}": ""}),
                "hiding with no reason, in place",
            ),
        ):
            assert response.status_code == 422, what
            seen.response("convenor", what, response)
        hid = await post_form(
            alice,
            f"/forum/posts/{hidden}/hide",
            {f"hide-{hidden}": "Please don't name colleagues here", "back": "reports"},
        )
        assert hid.status_code == 303
        seen.response("convenor", "hiding from the reports page", hid)
        in_place = await htmx_post(
            alice, f"/forum/posts/{first_reply}/hide", {f"hide-{first_reply}": "A moment, please"}
        )
        assert in_place.status_code == 200
        seen.response("convenor", "hiding in place", in_place)
        restored = await htmx_post(alice, f"/forum/posts/{first_reply}/restore", {})
        assert restored.status_code == 200
        seen.response("convenor", "restoring in place", restored)

        # A second thread, opened under a name, runs to a second page; the author answers
        # anonymously on both.
        second = "Swapping shifts fairly"
        group.titles.append(second)
        opened = await post_form(
            bob, f"/groups/{gid}/forum", {"title": second, "body": "How do your teams swap?"}
        )
        t2 = int(opened.headers["location"].rsplit("/", 1)[1])
        group.threads["t2"] = t2
        early = await post_form(
            author, f"/forum/threads/{t2}/replies", {"body": EARLY_REPLY, "anonymous": "true"}
        )
        seen.response("author", "an anonymous reply", early)
        for n in range(forum.POSTS_PER_PAGE):
            await forum.reply(t2, people["member"], {"body": f"Filler reply {n}"}, now())
        late = await post_form(
            author, f"/forum/threads/{t2}/replies", {"body": LATE_REPLY, "anonymous": "true"}
        )
        assert late.status_code == 303 and "?page=2#post-" in late.headers["location"]
        seen.response("author", "an anonymous reply on a later page", late)
        group.posts["early reply"] = await _post_id(t2, EARLY_REPLY)
        group.posts["late reply"] = await _post_id(t2, LATE_REPLY)
        group.posts["named reply"] = await _post_id(t1, NAMED_REPLY)
        group.posts["other anonymous"] = await _post_id(t1, ANONYMOUS_OTHER)
        late_id = group.posts["late reply"]
        seen.response(
            "digest member",
            "I hear you, on a later page",
            await post_form(dina, f"/forum/posts/{late_id}/ack", {}),
        )


# --------------------------------------------------------------------------- looking


def _urls(group: Group) -> list[str]:
    gid, t1, t2 = group.id, group.threads["t1"], group.threads["t2"]
    urls = [
        "/",
        "/groups",
        f"/groups/{gid}",
        f"/groups/{gid}/forum",
        f"/groups/{gid}/forum?page=2",
        f"/groups/{gid}/forum/reports",
        *(f"/groups/{gid}/forum/search?q={word}" for word in SEARCHED),
        f"/groups/{gid}/forum/search?q=Anonymous",
        f"/forum/threads/{t1}",
        f"/forum/threads/{t2}",
        f"/forum/threads/{t2}?page=2",
        f"/groups/{gid}/safeguarding",
        f"/meetings/{group.meeting}/calendar.ics",
        "/account/profile",
        "/account/email",
        "/account/calendar",
        "/account/password",
        "/account/delete",
        "/organiser/groups",
        "/organiser/prompts",
        "/admin/reminders",
        "/admin/mail",
    ]
    for pid in group.posts.values():
        urls.append(f"/forum/posts/{pid}")
        urls.extend(
            f"/forum/posts/{pid}/{action}" for action in ("edit", "delete", "report", "hide")
        )
    urls.append(f"/forum/posts/{max(group.posts.values()) + 1000}")
    return urls


async def _look_around(
    client: httpx.AsyncClient, who: str, group: Group, seen: Seen
) -> dict[str, str]:
    """Fetch every URL, plainly and as htmx; return the plain pages' text by URL."""
    pages: dict[str, str] = {}
    for url in _urls(group):
        plain = seen.response(who, "", await client.get(url))
        seen.response(who, "htmx", await client.get(url, headers=HX))
        pages[url] = plain.text if plain.status_code == 200 else f"HTTP {plain.status_code}"
    by_name = await client.get(f"/groups/{group.id}/forum/search?q={AUTHOR_NAME}")
    pages["search by the author's name"] = by_name.text
    calendar = await client.get("/account/calendar")
    feed = re.search(r"/calendar/([^\"<\s]+\.ics)", calendar.text)
    if feed:
        exported = await client.get(f"/calendar/{feed.group(1)}")
        pages["their calendar feed"] = seen.response(who, "their calendar feed", exported).text
    return pages


def _expect_readable(pages: dict[str, str], group: Group, who: str, *, officer: bool) -> None:
    """The crawl saw the anonymous posts, so not finding the author meant something."""
    gid, t1, t2 = group.id, group.threads["t1"], group.threads["t2"]
    thread = text_of(pages[f"/forum/threads/{t1}"])
    assert "cornflower" in thread and "periwinkle" in thread, who
    assert "Anonymous member 1" in thread and "Anonymous member 2" in thread, who
    assert "Bob Brown" in thread, who
    assert forum.DELETED_NOTICE in thread and "Foxglove" not in thread, who
    assert forum.HIDDEN_NOTICE in thread, who
    assert ("snapdragon" in thread) == (officer or who == "author"), who
    assert "Hollyhock" in text_of(pages[f"/forum/threads/{t2}?page=2"]), who
    found = text_of(pages[f"/groups/{gid}/forum/search?q=marigold"])
    assert "1 post found" in found, who
    # Search looks in what was written, never at who wrote it. (Not fetched with the
    # rest: the page repeats the words searched for, which would be the author's name.)
    assert "0 posts found" in text_of(pages["search by the author's name"]), who
    reports = text_of(pages[f"/groups/{gid}/forum/reports"])
    if officer:
        assert "Please check this one" in reports and "Hid a post" in reports, who
    else:
        assert reports == "HTTP 404", who


def _expect_shut_out(pages: dict[str, str], group: Group, who: str) -> None:
    for url, page in pages.items():
        if "/forum" in url:
            assert page.startswith("HTTP "), f"{who} could read {url}"


async def _break_glass(client: httpx.AsyncClient, group: Group, seen: Seen) -> None:
    opened = await post_form(
        client, f"/groups/{group.id}/safeguarding", {"reason": SAFEGUARDING_REASON}
    )
    assert opened.status_code == 303
    seen.response("admin", "opening break-glass access", opened)


# --------------------------------------------------------------------------- email


def _message_texts(message: EmailMessage) -> dict[str, str]:
    texts = _headers((k, str(v)) for k, v in message.items())
    texts["the whole message, as sent"] = message.as_string()
    for n, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            charset = part.get_content_charset() or "utf-8"
            texts[f"part {n} ({part.get_content_type()})"] = payload.decode(charset, "replace")
    return texts


async def _send_forum_mail(settings: Settings, mailer: MemoryMailer) -> list[EmailMessage]:
    """Send what is due now, then gather the digest and send it at its hour."""
    start = len(mailer.outbox)
    await dispatch(now() + timedelta(seconds=1), mailer, settings)
    await plan_digests(now())
    digest = (
        await Reminder.select(Reminder.due_at)
        .where((Reminder.kind == "digest") & (Reminder.status == "pending"))
        .first()
    )
    if digest is not None:
        await dispatch(digest["due_at"], mailer, settings)
    return mailer.outbox[start:]


def _check_mail(messages: list[EmailMessage], group: Group, seen: Seen) -> None:
    # For a discreet group: its name, and anything written in it.
    words = [
        group.name.lower(),
        group.name.split()[0].lower(),
        *(t.lower() for t in group.titles),
        *CONTENT_WORDS,
    ]
    for message in messages:
        to = str(message["To"])
        texts = _message_texts(message)
        if to != AUTHOR_EMAIL:
            body = "\n".join(v for k, v in texts.items() if not k.startswith("header"))
            seen.look(f"email to {to}: {message['Subject']}", _headers(message.items()), body)
        if group.discreet:
            for label, text in texts.items():
                for word in words:
                    if word in text.lower():
                        seen.problems.append(
                            f"email to {to} from a discreet group: {label} has {word!r}"
                        )


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("kind", list(GROUPS))
async def test_no_page_fragment_error_email_or_export_names_the_author_of_an_anonymous_post(
    app: Litestar, make_account: MakeAccount, settings: Settings, kind: str
) -> None:
    name, discreet = GROUPS[kind]
    group = Group(kind, name, discreet)
    people = await _people(make_account)
    group.id = await group_of(
        kind, people["convenor"], name=group.name, discreet=group.discreet, anonymous_posts=True
    )
    await add(group.id, people["author"], people["member"], people["digest member"])
    # Sessions, so that the calendar exports have something in them.
    first = (date.today() + timedelta(days=7)).isoformat()
    schedule = {"rule": "weekly", "first_date": first, "local_start": "19:00", "minutes": "90"}
    await meetings.save_schedule(group.id, people["convenor"], schedule, now())
    row = await Meeting.select(Meeting.id).where(Meeting.group == group.id).first()
    assert row is not None
    group.meeting = row["id"]
    await ReminderPreference.insert(
        ReminderPreference(user=people["digest member"].id, kind="forum", setting="digest")
    )
    seen = Seen()
    mailer = MemoryMailer(settings.mail_from)

    await _write(app, people, group, seen)
    sent = await _send_forum_mail(settings, mailer)

    roles = ["author", "member", "digest member", "convenor", "organiser", "admin", "outsider"]
    looked: dict[str, dict[str, str]] = {}
    for who in roles:
        async with client_for(app) as client:
            await sign_in(client, AUTHOR_EMAIL if who == "author" else PEOPLE[who][0])
            if who == "admin":
                looked["admin, before break-glass"] = await _look_around(
                    client, "admin, before break-glass", group, seen
                )
                await _break_glass(client, group, seen)
            looked[who] = await _look_around(client, who, group, seen)
    async with client_for(app) as visitor:
        looked["visitor"] = await _look_around(visitor, "visitor", group, seen)

    # Break-glass, read and acknowledgements happened since: anything more to send goes too.
    sent += await _send_forum_mail(settings, mailer)
    _check_mail(sent, group, seen)

    assert not seen.problems, (
        f"{len(seen.problems)} place(s) name the author ({seen.responses} responses, "
        f"{len(sent)} emails looked at):\n" + "\n".join(seen.problems[:60])
    )

    # And the looking was not in vain: the anonymous posts were there to be seen.
    for who in ("author", "member", "digest member", "convenor", "admin"):
        _expect_readable(looked[who], group, who, officer=who == "convenor")
    for who in ("organiser", "outsider", "admin, before break-glass"):
        _expect_shut_out(looked[who], group, who)
    assert all(
        page.startswith("HTTP ") or "Sign in" in text_of(page)
        for url, page in looked["visitor"].items()
        if "/forum" in url
    )
    for who in ("author", "member", "convenor"):
        assert "BEGIN:VEVENT" in looked[who]["their calendar feed"], who
        assert "BEGIN:VEVENT" in looked[who][f"/meetings/{group.meeting}/calendar.ics"], who
    author_thread = text_of(looked["author"][f"/forum/threads/{group.threads['t1']}"])
    assert "Anonymous member 1 You" in author_thread
    for who in ("member", "convenor", "admin"):
        thread = text_of(looked[who][f"/forum/threads/{group.threads['t1']}"])
        assert "Anonymous member 1 You" not in thread, who
    _expect_mail(sent, group, people)


def _expect_mail(sent: list[EmailMessage], group: Group, people: People) -> None:
    to_others = [m for m in sent if str(m["To"]) != AUTHOR_EMAIL]
    assert to_others, "no forum email was sent to anyone"
    digests = [m for m in sent if str(m["Subject"]) == "Your Roundtable digest"]
    assert [str(m["To"]) for m in digests] == [people["digest member"].email]
    folded = "New post in your group" if group.discreet else f"New thread in {group.name}"
    parts = [v for k, v in _message_texts(digests[0]).items() if k.startswith("part")]
    assert all(folded in part for part in parts), parts
    every_text = "\n".join(
        v for m in to_others for k, v in _message_texts(m).items() if not k.startswith("header")
    )
    if group.discreet:
        assert "New post in your group" in every_text
    else:
        # Not vacuous: the anonymous posts' words went out, under "A member".
        assert "A member started a thread" in every_text
        assert "marigold" in every_text and "A member replied" in every_text
