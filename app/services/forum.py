"""Each group's forum: threads, replies, "I hear you", unread markers, moderation, search.

Who may do what:
- active members read and write; convenors also pin threads, see reports, hide and restore;
- a member who left keeps read-only access to the threads they posted in, until the group
  ends (or they delete their account, which ends their sign-in);
- an administrator with break-glass access may read, and nothing more;
- everyone else gets NotFound for every thread, post, fragment and search, as if the group
  had no forum.

Anonymity is enforced here, not in templates. An author leaves this module only as a
label ("Anonymous member 1", a name, or "Former member") and a `mine` flag: no view carries
an author's id, name or email for an anonymous post, and no notification, audit event or
error message built here names one. Within a thread, anonymous authors are numbered by
their first anonymous post, so a conversation can be followed without identifying anyone;
the numbers start again in every thread, so they can't link posts across threads.

Every page is read in a fixed number of statements, however many threads or posts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.query.functions.aggregate import Min

from app.db.engine import is_postgres, write_transaction
from app.db.tables import (
    AuditEvent,
    ForumAck,
    ForumPost,
    ForumRead,
    ForumReport,
    ForumThread,
    Membership,
    Reminder,
)
from app.domain import forum_text
from app.domain import groups as rules
from app.domain.groups import Standing
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.groups import ACTIVE, GroupView, load_group, standing_of
from app.services.notifications import notify
from app.services.reminders import plan_forum_post

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 30
SEARCH_LIMIT = 50
TITLE_MAX = 150
BODY_MAX = forum_text.MAX_LENGTH
REASON_MAX = 1000
QUERY_MAX = 200

ANONYMOUS = "Anonymous member"
FORMER_MEMBER = "Former member"
HIDDEN_NOTICE = "This post was hidden by the group's convenors."
DELETED_NOTICE = "This post was deleted by the person who wrote it."

# Moderation actions, as audit events the group's convenors can see.
MODERATION = {
    "forum_hide": "Hid a post",
    "forum_restore": "Restored a post",
    "forum_dismiss": "Dismissed the reports on a post",
    "forum_pin": "Pinned a thread",
    "forum_unpin": "Unpinned a thread",
}


# Who is asking, and what they may do here.


@dataclass(frozen=True)
class ForumAccess:
    group: GroupView
    standing: Standing
    user_id: int
    # The threads a former member took part in; None when every thread is readable.
    only_threads: frozenset[int] | None = None

    @property
    def former(self) -> bool:
        return self.only_threads is not None

    @property
    def can_write(self) -> bool:
        # An ended set's forum stays readable for its members but takes no new posts.
        return self.standing.is_member and not self.group.ended

    @property
    def is_officer(self) -> bool:
        return self.standing.is_officer

    @property
    def can_post_anonymously(self) -> bool:
        return self.can_write and self.group.anonymous_posts

    @property
    def can_see_group_page(self) -> bool:
        return rules.can_see_group(self.group.listed, self.standing)

    def may_read(self, thread_id: int) -> bool:
        return self.only_threads is None or thread_id in self.only_threads


async def forum_access(group_id: int, account: Account, now: datetime) -> ForumAccess:
    group = await load_group(group_id)
    if group is None:
        raise NotFound()
    standing, _ = await standing_of(group, account, now)
    if standing.is_member or standing.break_glass:
        return ForumAccess(group, standing, account.id)
    if not group.ended:
        threads = await _threads_of_former_member(group.id, account.id)
        if threads:
            return ForumAccess(group, standing, account.id, threads)
    raise NotFound()


async def _threads_of_former_member(group_id: int, user_id: int) -> frozenset[int]:
    # "left" only: someone a convenor removed keeps nothing.
    left = await Membership.exists().where(
        (Membership.group == group_id)
        & (Membership.user == user_id)
        & (Membership.status == "left")
    )
    if not left:
        return frozenset()
    rows = await ForumPost.select(ForumPost.thread).where(
        (ForumPost.author == user_id) & (ForumPost.thread._.group == group_id)
    )
    return frozenset(row["thread"] for row in rows)


async def _writer(group_id: int, account: Account, now: datetime) -> ForumAccess:
    access = await forum_access(group_id, account, now)
    if not access.can_write:
        raise NotFound()
    return access


async def _officer(group_id: int, account: Account, now: datetime) -> ForumAccess:
    access = await forum_access(group_id, account, now)
    if not access.is_officer:
        raise NotFound()
    return access


# Threads.


@dataclass(frozen=True)
class ThreadView:
    id: int
    group_id: int
    title: str
    pinned: bool
    created_at: datetime
    last_post_at: datetime


_THREAD_COLUMNS = (
    ForumThread.id,
    ForumThread.group.as_alias("group_id"),
    ForumThread.title,
    ForumThread.pinned,
    ForumThread.created_at,
    ForumThread.last_post_at,
)


async def _thread(
    thread_id: int, account: Account, now: datetime
) -> tuple[ForumAccess, ThreadView]:
    row = await ForumThread.select(*_THREAD_COLUMNS).where(ForumThread.id == thread_id).first()
    if row is None:
        raise NotFound()
    access = await forum_access(row["group_id"], account, now)
    if not access.may_read(thread_id):
        raise NotFound()
    return access, ThreadView(**row)


@dataclass(frozen=True)
class ThreadContext:
    access: ForumAccess
    thread: ThreadView

    @property
    def group(self) -> GroupView:
        return self.access.group


async def thread_in_context(thread_id: int, account: Account, now: datetime) -> ThreadContext:
    """A thread's title and state, without its posts (and without marking anything read)."""
    access, thread = await _thread(thread_id, account, now)
    return ThreadContext(access, thread)


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    title: str
    pinned: bool
    last_post_at: datetime
    posts: int
    unread: int

    @property
    def replies(self) -> int:
        return max(self.posts - 1, 0)


@dataclass(frozen=True)
class ForumPage:
    access: ForumAccess
    threads: list[ThreadSummary]
    page: int
    has_more: bool

    @property
    def group(self) -> GroupView:
        return self.access.group


async def forum_page(group_id: int, account: Account, now: datetime, page: int = 1) -> ForumPage:
    """A group's threads: pinned first, then the most recently active."""
    access = await forum_access(group_id, account, now)
    page = max(page, 1)
    where: Combinable = ForumThread.group == group_id
    if access.only_threads is not None:
        where &= ForumThread.id.is_in(sorted(access.only_threads))
    rows = (
        await ForumThread.select(*_THREAD_COLUMNS)
        .where(where)
        .order_by(ForumThread.pinned, ascending=False)
        .order_by(ForumThread.last_post_at, ascending=False)
        .order_by(ForumThread.id, ascending=False)
        .limit(THREADS_PER_PAGE + 1)
        .offset((page - 1) * THREADS_PER_PAGE)
    )
    shown = rows[:THREADS_PER_PAGE]
    counts = await _thread_counts([row["id"] for row in shown], account.id)
    threads = [
        ThreadSummary(
            id=row["id"],
            title=row["title"],
            pinned=row["pinned"],
            last_post_at=row["last_post_at"],
            posts=counts.get(row["id"], (0, 0))[0],
            unread=counts.get(row["id"], (0, 0))[1],
        )
        for row in shown
    ]
    return ForumPage(access, threads, page, has_more=len(rows) > THREADS_PER_PAGE)


async def _thread_counts(thread_ids: list[int], user_id: int) -> dict[int, tuple[int, int]]:
    """Posts, and posts by others this person hasn't seen, per thread: one statement."""
    ids = thread_ids or [0]
    # Only "{}" placeholders are formatted into the text; every value is a parameter.
    marks = ", ".join("{}" for _ in ids)
    rows = await ForumPost.raw(
        "SELECT p.thread AS thread, COUNT(*) AS posts, "  # noqa: S608
        "SUM(CASE WHEN p.author <> {} AND p.id > COALESCE(r.last_post, 0) "
        "THEN 1 ELSE 0 END) AS unread "
        "FROM rt_forum_post p "
        'LEFT JOIN rt_forum_read r ON r.thread = p.thread AND r."user" = {} '
        f"WHERE p.deleted_at IS NULL AND p.thread IN ({marks}) "
        "GROUP BY p.thread",
        user_id,
        user_id,
        *ids,
    )
    return {int(r["thread"]): (int(r["posts"]), int(r["unread"] or 0)) for r in rows}


# Posts.


@dataclass(frozen=True)
class PostView:
    """One post as this person may see it. Never carries who wrote an anonymous post."""

    id: int
    thread_id: int
    label: str
    anonymous: bool
    mine: bool
    body_html: str
    # The text as typed, for the author's edit form only; empty for everyone else.
    own_text: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    # Why it was hidden: shown to its author and the convenors only.
    hidden_reason: str
    acks: int
    acked: bool
    reported: bool
    # Open reports, counted for convenors only.
    reports: int
    new: bool
    can_edit: bool
    can_ack: bool
    can_report: bool
    can_moderate: bool

    @property
    def edited(self) -> bool:
        return self.edited_at is not None and not self.deleted


_POST_COLUMNS = (
    ForumPost.id,
    ForumPost.thread,
    ForumPost.author,
    ForumPost.anonymous,
    ForumPost.body,
    ForumPost.created_at,
    ForumPost.edited_at,
    ForumPost.deleted_at,
    ForumPost.hidden_at,
    ForumPost.hidden_reason,
    ForumPost.author._.display_name.as_alias("author_name"),
    ForumPost.author._.is_active.as_alias("author_active"),
)


@dataclass(frozen=True)
class _PostRow:
    """A post as stored, with its author's name and state. Never leaves this module."""

    id: int
    thread: int
    author: int
    anonymous: bool
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_reason: str
    author_name: str
    author_active: bool


async def _anonymous_numbers(thread_ids: list[int]) -> dict[tuple[int, int], int]:
    """(thread, author) -> the number in "Anonymous member N", counted per thread."""
    rows = (
        await ForumPost.select(ForumPost.thread, ForumPost.author, Min(ForumPost.id, alias="first"))
        .where(ForumPost.thread.is_in(thread_ids or [0]) & ForumPost.anonymous.eq(True))
        .group_by(ForumPost.thread, ForumPost.author)
    )
    numbers: dict[tuple[int, int], int] = {}
    seen: dict[int, int] = defaultdict(int)
    for row in sorted(rows, key=lambda r: r["first"]):
        seen[row["thread"]] += 1
        numbers[(row["thread"], row["author"])] = seen[row["thread"]]
    return numbers


def _label(row: _PostRow, numbers: dict[tuple[int, int], int]) -> str:
    if row.anonymous:
        return f"{ANONYMOUS} {numbers.get((row.thread, row.author), 1)}"
    if not row.author_active:
        return FORMER_MEMBER
    return row.author_name


@dataclass
class _PostExtras:
    acks: dict[int, int]
    acked: set[int]
    reported: set[int]
    reports: dict[int, int]


async def _extras(post_ids: list[int], user_id: int) -> _PostExtras:
    """Acknowledgements and open reports for a page of posts: two statements."""
    ids = post_ids or [0]
    acks: dict[int, int] = defaultdict(int)
    acked: set[int] = set()
    for row in await ForumAck.select(ForumAck.post, ForumAck.user).where(ForumAck.post.is_in(ids)):
        acks[row["post"]] += 1
        if row["user"] == user_id:
            acked.add(row["post"])
    reports: dict[int, int] = defaultdict(int)
    reported: set[int] = set()
    for row in await ForumReport.select(ForumReport.post, ForumReport.reporter).where(
        ForumReport.post.is_in(ids) & ForumReport.resolved_at.is_null()
    ):
        reports[row["post"]] += 1
        if row["reporter"] == user_id:
            reported.add(row["post"])
    return _PostExtras(acks, acked, reported, reports)


def _post_view(
    row: _PostRow,
    access: ForumAccess,
    numbers: dict[tuple[int, int], int],
    extras: _PostExtras,
    last_read: int | None,
) -> PostView:
    post_id = row.id
    mine = row.author == access.user_id
    deleted = row.deleted_at is not None
    hidden = row.hidden_at is not None and not deleted
    officer = access.is_officer
    # A hidden post is shown to its author, with the reason, and to the convenors.
    readable = not deleted and (not hidden or mine or officer)
    body = row.body
    return PostView(
        id=post_id,
        thread_id=row.thread,
        label="" if deleted else _label(row, numbers),
        anonymous=row.anonymous,
        mine=mine,
        body_html=forum_text.to_html(body) if readable else "",
        own_text=body if mine and not deleted else "",
        created_at=row.created_at,
        edited_at=row.edited_at,
        deleted=deleted,
        hidden=hidden,
        hidden_reason=row.hidden_reason if hidden and (mine or officer) else "",
        acks=0 if deleted else extras.acks.get(post_id, 0),
        acked=post_id in extras.acked,
        reported=post_id in extras.reported,
        reports=extras.reports.get(post_id, 0) if officer and not deleted else 0,
        new=last_read is not None and not mine and not deleted and post_id > last_read,
        can_edit=mine and access.can_write and not deleted,
        can_ack=access.can_write and not mine and not deleted and not hidden,
        can_report=access.can_write and not mine and not deleted and not hidden,
        can_moderate=officer and not deleted,
    )


@dataclass(frozen=True)
class ThreadPage:
    access: ForumAccess
    thread: ThreadView
    posts: list[PostView]
    page: int
    has_more: bool
    # The first post, which opens the thread, is on the first page only.
    opening_post_id: int | None

    @property
    def group(self) -> GroupView:
        return self.access.group


async def thread_page(thread_id: int, account: Account, now: datetime, page: int = 1) -> ThreadPage:
    """A page of a thread's posts, oldest first; seeing them marks them read."""
    access, thread = await _thread(thread_id, account, now)
    page = max(page, 1)
    numbers = await _anonymous_numbers([thread_id])
    rows = (
        await ForumPost.select(*_POST_COLUMNS)
        .where(ForumPost.thread == thread_id)
        .order_by(ForumPost.id)
        .limit(POSTS_PER_PAGE + 1)
        .offset((page - 1) * POSTS_PER_PAGE)
    )
    shown = [_PostRow(**r) for r in rows[:POSTS_PER_PAGE]]
    extras = await _extras([r.id for r in shown], account.id)
    last_read = await _last_read(thread_id, account.id)
    posts = [_post_view(r, access, numbers, extras, last_read or 0) for r in shown]
    if shown and not access.standing.break_glass:
        await _mark_read(thread_id, account.id, shown[-1].id)
    return ThreadPage(
        access,
        thread,
        posts,
        page,
        has_more=len(rows) > POSTS_PER_PAGE,
        opening_post_id=shown[0].id if shown and page == 1 else None,
    )


async def _last_read(thread_id: int, user_id: int) -> int | None:
    row = (
        await ForumRead.select(ForumRead.last_post)
        .where((ForumRead.thread == thread_id) & (ForumRead.user == user_id))
        .first()
    )
    return int(row["last_post"]) if row else None


async def _mark_read(thread_id: int, user_id: int, up_to: int) -> None:
    # One upsert that only ever moves the marker forward, so reading an early page of a
    # long thread, or two tabs at once, never marks later posts unread again.
    greatest = "GREATEST" if is_postgres(ForumRead) else "MAX"
    await ForumRead.raw(
        'INSERT INTO rt_forum_read (thread, "user", last_post) VALUES ({}, {}, {}) '  # noqa: S608
        'ON CONFLICT (thread, "user") DO UPDATE '
        f"SET last_post = {greatest}(rt_forum_read.last_post, excluded.last_post)",
        thread_id,
        user_id,
        up_to,
    )


@dataclass(frozen=True)
class PostContext:
    access: ForumAccess
    thread: ThreadView
    post: PostView

    @property
    def group(self) -> GroupView:
        return self.access.group


async def _readable_post(
    post_id: int, account: Account, now: datetime
) -> tuple[ForumAccess, ThreadView, _PostRow]:
    """A post in a thread this person may read; NotFound otherwise, whatever the reason."""
    found = await ForumPost.select(*_POST_COLUMNS).where(ForumPost.id == post_id).first()
    if found is None:
        raise NotFound()
    row = _PostRow(**found)
    access, thread = await _thread(row.thread, account, now)
    return access, thread, row


async def post_in_context(post_id: int, account: Account, now: datetime) -> PostContext:
    """One post, as this person may see it (for a fragment, an edit or a report form)."""
    access, thread, row = await _readable_post(post_id, account, now)
    numbers = await _anonymous_numbers([thread.id])
    extras = await _extras([post_id], account.id)
    return PostContext(access, thread, _post_view(row, access, numbers, extras, None))


@dataclass(frozen=True)
class PostPlace:
    """Where a post is: its thread and the page of that thread that shows it."""

    group_id: int
    thread_id: int
    page: int
    post_id: int

    @property
    def url(self) -> str:
        query = f"?page={self.page}" if self.page > 1 else ""
        return f"/forum/threads/{self.thread_id}{query}#post-{self.post_id}"


async def _place(thread: ThreadView, post_id: int) -> PostPlace:
    before = await ForumPost.count().where(
        (ForumPost.thread == thread.id) & (ForumPost.id < post_id)
    )
    return PostPlace(thread.group_id, thread.id, before // POSTS_PER_PAGE + 1, post_id)


async def post_place(post_id: int, account: Account, now: datetime) -> PostPlace:
    row = await ForumPost.select(ForumPost.thread).where(ForumPost.id == post_id).first()
    if row is None:
        raise NotFound()
    _, thread = await _thread(row["thread"], account, now)
    return await _place(thread, post_id)


# Writing.


def _check_body(body: str, errors: dict[str, str], empty: str) -> str:
    body = body.strip()
    if not body:
        errors["body"] = empty
    elif len(body) > BODY_MAX:
        errors["body"] = f"Use at most {BODY_MAX:,} characters. You have {len(body):,}."
    return body


def _check_anonymous(raw: str, access: ForumAccess, errors: dict[str, str]) -> bool:
    # Any way a browser or client can say "ticked" counts: failing the other way would
    # post under the person's name when they asked not to be named.
    anonymous = raw.strip().lower() in {"true", "on", "1", "yes"}
    if anonymous and not access.group.anonymous_posts:
        # Never post under someone's name when they asked not to: say so, and keep the text.
        errors["anonymous"] = (
            "This group doesn't allow anonymous posts. Untick the box to post with your name."
        )
    return anonymous


def _notice(group: GroupView, title: str, discreet_text: str, plain_text: str) -> str:
    # Discreet groups are never named, and their notifications carry no post content (a
    # title is content). No notification names an author, anonymous or not.
    return discreet_text if group.discreet else f"{plain_text} in {group.name}: {title}"


async def start_thread(
    group_id: int, account: Account, values: dict[str, str], now: datetime
) -> int:
    """Open a thread with its first post; tell the group. Returns the thread's id."""
    access = await _writer(group_id, account, now)
    errors: dict[str, str] = {}
    title = " ".join(values.get("title", "").split())
    if not title:
        errors["title"] = "Give your thread a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Use at most {TITLE_MAX} characters. You have {len(title)}."
    body = _check_body(values.get("body", ""), errors, "Write the first post of your thread.")
    anonymous = _check_anonymous(values.get("anonymous", ""), access, errors)
    if errors:
        raise FormErrors(errors)
    async with write_transaction():
        thread_rows = await ForumThread.insert(
            ForumThread(group=group_id, title=title, created_at=now, last_post_at=now)
        ).returning(ForumThread.id)
        thread_id = int(thread_rows[0]["id"])
        post_rows = await ForumPost.insert(
            ForumPost(
                thread=thread_id, author=account.id, anonymous=anonymous, body=body, created_at=now
            )
        ).returning(ForumPost.id)
    post_id = int(post_rows[0]["id"])
    members = await Membership.select(Membership.user).where(
        (Membership.group == group_id)
        & (Membership.status == ACTIVE)
        & (Membership.user != account.id)
        & Membership.user._.is_active.eq(True)
    )
    recipients = [int(row["user"]) for row in members]
    await notify(
        recipients,
        _notice(access.group, title, "New thread in a group you belong to", "New thread"),
        f"/forum/threads/{thread_id}",
        now,
    )
    await plan_forum_post(post_id, recipients, now)
    return thread_id


async def reply(
    thread_id: int, account: Account, values: dict[str, str], now: datetime
) -> PostPlace:
    """Add a reply; tell the thread's other participants. Concurrent replies all land."""
    access, thread = await _thread(thread_id, account, now)
    if not access.can_write:
        raise NotFound()
    errors: dict[str, str] = {}
    body = _check_body(values.get("body", ""), errors, "Write your reply.")
    anonymous = _check_anonymous(values.get("anonymous", ""), access, errors)
    if errors:
        raise FormErrors(errors)
    async with write_transaction():
        rows = await ForumPost.insert(
            ForumPost(
                thread=thread_id, author=account.id, anonymous=anonymous, body=body, created_at=now
            )
        ).returning(ForumPost.id)
        # Only ever moves forward: no read-modify-write, so no reply's time is lost.
        await ForumThread.update({ForumThread.last_post_at: now}).where(
            (ForumThread.id == thread_id) & (ForumThread.last_post_at < now)
        )
    post_id = int(rows[0]["id"])
    # Who took part, and still belongs: someone who left chose to, and is not chased.
    authors = (
        await ForumPost.select(ForumPost.author)
        .where((ForumPost.thread == thread_id) & (ForumPost.author != account.id))
        .distinct()
    )
    members = await Membership.select(Membership.user).where(
        (Membership.group == thread.group_id)
        & (Membership.status == ACTIVE)
        & Membership.user.is_in([int(r["author"]) for r in authors] or [0])
        & Membership.user._.is_active.eq(True)
    )
    recipients = [int(row["user"]) for row in members]
    place = await _place(thread, post_id)
    text = _notice(access.group, thread.title, "New reply in a thread you're in", "New reply")
    await notify(recipients, text, place.url, now)
    await plan_forum_post(post_id, recipients, now)
    return place


async def _own_post(post_id: int, account: Account, now: datetime) -> ThreadView:
    access, thread, row = await _readable_post(post_id, account, now)
    if row.author != account.id or row.deleted_at is not None or not access.can_write:
        raise NotFound()
    return thread


async def edit_post(post_id: int, account: Account, body: str, now: datetime) -> PostPlace:
    thread = await _own_post(post_id, account, now)
    errors: dict[str, str] = {}
    text = _check_body(body, errors, "Write something, or delete the post instead.")
    if errors:
        raise FormErrors(errors)
    await ForumPost.update({ForumPost.body: text, ForumPost.edited_at: now}).where(
        (ForumPost.id == post_id) & (ForumPost.author == account.id)
    )
    return await _place(thread, post_id)


@dataclass(frozen=True)
class Deleted:
    group_id: int
    # Where the post was, or None when deleting it removed a thread nobody had replied to.
    place: PostPlace | None


async def delete_post(post_id: int, account: Account, now: datetime) -> Deleted:
    """Delete one's own post. Its text is erased; a thread with no replies goes with it."""
    thread = await _own_post(post_id, account, now)
    async with write_transaction():
        others = await ForumPost.exists().where(
            (ForumPost.thread == thread.id) & (ForumPost.id != post_id)
        )
        if not others:
            await ForumThread.delete().where(ForumThread.id == thread.id)
        else:
            await ForumPost.update(
                {ForumPost.body: "", ForumPost.deleted_at: now, ForumPost.hidden_reason: ""}
            ).where((ForumPost.id == post_id) & (ForumPost.author == account.id))
            await ForumReport.update({ForumReport.resolved_at: now}).where(
                (ForumReport.post == post_id) & ForumReport.resolved_at.is_null()
            )
    await _void_mail(post_id)
    return Deleted(thread.group_id, await _place(thread, post_id) if others else None)


async def _void_mail(post_id: int) -> None:
    """Emails and digest lines not yet sent about a post that is now hidden or deleted."""
    await Reminder.update({Reminder.status: "void", Reminder.lease_until: None}).where(
        Reminder.key.like(f"forum:{post_id}:%") & (Reminder.status == "pending")
    )


async def toggle_ack(post_id: int, account: Account, now: datetime) -> PostPlace:
    """ "I hear you", or take it back. Not on one's own, a hidden or a deleted post."""
    access, thread, row = await _readable_post(post_id, account, now)
    if (
        not access.can_write
        or row.author == account.id
        or row.deleted_at is not None
        or row.hidden_at is not None
    ):
        raise NotFound()
    added = (
        await ForumAck.insert(ForumAck(post=post_id, user=account.id))
        .on_conflict(action="DO NOTHING")
        .returning(ForumAck.id)
    )
    if not added:
        await ForumAck.delete().where((ForumAck.post == post_id) & (ForumAck.user == account.id))
    return await _place(thread, post_id)


# Moderation.


def _check_reason(reason: str, message: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise FormErrors({"reason": message})
    if len(reason) > REASON_MAX:
        raise FormErrors({"reason": f"Use at most {REASON_MAX:,} characters."})
    return reason


async def _officers(group_id: int, but: int) -> list[int]:
    rows = await Membership.select(Membership.user).where(
        (Membership.group == group_id)
        & (Membership.status == ACTIVE)
        & (Membership.role == "convenor")
        & (Membership.user != but)
    )
    return [int(r["user"]) for r in rows]


async def report_post(post_id: int, account: Account, reason: str, now: datetime) -> PostPlace:
    """Ask the convenors to look at a post. Reporting twice updates the one report."""
    access, thread, row = await _readable_post(post_id, account, now)
    if (
        not access.can_write
        or row.author == account.id
        or row.deleted_at is not None
        or row.hidden_at is not None
    ):
        raise NotFound()
    text = _check_reason(
        reason, "Say briefly what is wrong with this post. Only the group's convenors see it."
    )
    # A second report from the same person while the first is open changes its reason,
    # and does not tell the convenors twice.
    already_open = await ForumReport.exists().where(
        (ForumReport.post == post_id)
        & (ForumReport.reporter == account.id)
        & ForumReport.resolved_at.is_null()
    )
    await ForumReport.insert(
        ForumReport(post=post_id, reporter=account.id, reason=text, created_at=now)
    ).on_conflict(
        target=(ForumReport.post, ForumReport.reporter),
        action="DO UPDATE",
        values=[ForumReport.reason, ForumReport.created_at, (ForumReport.resolved_at, None)],
    )
    group = access.group
    where = "a group you convene" if group.discreet else group.name
    if not already_open:
        await notify(
            await _officers(group.id, but=account.id),
            f"A forum post in {where} was reported. Please look at it.",
            f"/groups/{group.id}/forum/reports",
            now,
        )
    return await _place(thread, post_id)


async def _audit(
    officer: Account, group_id: int, action: str, thread: ThreadView, detail: str, now: datetime
) -> None:
    # Never the author: a convenor reading the log must learn no more than the thread shows.
    text = f"“{thread.title}”" + (f": {detail}" if detail else "")
    await AuditEvent.insert(
        AuditEvent(actor=officer.id, group=group_id, action=action, detail=text, occurred_at=now)
    )


async def hide_post(post_id: int, officer: Account, reason: str, now: datetime) -> PostPlace:
    """Hide a post from members. Its author still sees it, with the reason."""
    access, thread, row = await _readable_post(post_id, officer, now)
    if not access.is_officer or row.deleted_at is not None:
        raise NotFound()
    text = _check_reason(reason, "Give a reason. The person who wrote the post will see it.")
    async with write_transaction():
        await ForumPost.update({ForumPost.hidden_at: now, ForumPost.hidden_reason: text}).where(
            ForumPost.id == post_id
        )
        await ForumReport.update({ForumReport.resolved_at: now}).where(
            (ForumReport.post == post_id) & ForumReport.resolved_at.is_null()
        )
        await _audit(officer, access.group.id, "forum_hide", thread, f"post {post_id}. {text}", now)
    await _void_mail(post_id)
    place = await _place(thread, post_id)
    group = access.group
    where = "a group you belong to" if group.discreet else group.name
    await notify(
        [row.author],
        f"A convenor of {where} hid one of your forum posts. You can still see it, "
        "with their reason.",
        place.url,
        now,
    )
    return place


async def restore_post(post_id: int, officer: Account, now: datetime) -> PostPlace:
    access, thread, row = await _readable_post(post_id, officer, now)
    if not access.is_officer or row.deleted_at is not None or row.hidden_at is None:
        raise NotFound()
    async with write_transaction():
        await ForumPost.update({ForumPost.hidden_at: None, ForumPost.hidden_reason: ""}).where(
            ForumPost.id == post_id
        )
        await _audit(officer, access.group.id, "forum_restore", thread, f"post {post_id}", now)
    return await _place(thread, post_id)


async def dismiss_reports(post_id: int, officer: Account, now: datetime) -> PostPlace:
    """The convenors looked, and the post stays."""
    access, thread, _ = await _readable_post(post_id, officer, now)
    if not access.is_officer:
        raise NotFound()
    async with write_transaction():
        await ForumReport.update({ForumReport.resolved_at: now}).where(
            (ForumReport.post == post_id) & ForumReport.resolved_at.is_null()
        )
        await _audit(officer, access.group.id, "forum_dismiss", thread, f"post {post_id}", now)
    return await _place(thread, post_id)


async def set_pinned(thread_id: int, officer: Account, pinned: bool, now: datetime) -> None:
    access, thread = await _thread(thread_id, officer, now)
    if not access.is_officer:
        raise NotFound()
    async with write_transaction():
        await ForumThread.update({ForumThread.pinned: pinned}).where(ForumThread.id == thread_id)
        action = "forum_pin" if pinned else "forum_unpin"
        await _audit(officer, access.group.id, action, thread, "", now)


@dataclass(frozen=True)
class _Report:
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class ReportedPost:
    post: PostView
    thread_id: int
    thread_title: str
    reasons: list[str]
    first_reported_at: datetime


@dataclass(frozen=True)
class ModerationEvent:
    officer: str
    action: str
    detail: str
    occurred_at: datetime


@dataclass(frozen=True)
class ReportsPage:
    access: ForumAccess
    reported: list[ReportedPost]
    log: list[ModerationEvent]

    @property
    def group(self) -> GroupView:
        return self.access.group


async def reports_page(group_id: int, officer: Account, now: datetime) -> ReportsPage:
    """Open reports, oldest first, and the moderation log. Reporters are not named."""
    access = await _officer(group_id, officer, now)
    reports = (
        await ForumReport.select(ForumReport.post, ForumReport.reason, ForumReport.created_at)
        .where(
            ForumReport.resolved_at.is_null()
            & (ForumReport.post._.thread._.group == group_id)
            & ForumReport.post._.deleted_at.is_null()
        )
        .order_by(ForumReport.id)
        .limit(200)
    )
    by_post: dict[int, list[_Report]] = defaultdict(list)
    for r in reports:
        by_post[r["post"]].append(_Report(r["reason"], r["created_at"]))
    post_ids = list(by_post)
    found = (
        await ForumPost.select(*_POST_COLUMNS, ForumPost.thread._.title.as_alias("title"))
        .where(ForumPost.id.is_in(post_ids or [0]))
        .order_by(ForumPost.id)
    )
    titles = {int(r["id"]): str(r.pop("title")) for r in found}
    rows = [_PostRow(**r) for r in found]
    numbers = await _anonymous_numbers(sorted({r.thread for r in rows}))
    extras = await _extras(post_ids, officer.id)
    reported = [
        ReportedPost(
            post=_post_view(row, access, numbers, extras, None),
            thread_id=row.thread,
            thread_title=titles[row.id],
            reasons=[r.reason for r in by_post[row.id]],
            first_reported_at=by_post[row.id][0].created_at,
        )
        for row in rows
    ]
    reported.sort(key=lambda r: r.first_reported_at)
    events = (
        await AuditEvent.select(
            AuditEvent.actor._.display_name.as_alias("officer"),
            AuditEvent.action,
            AuditEvent.detail,
            AuditEvent.occurred_at,
        )
        .where((AuditEvent.group == group_id) & AuditEvent.action.is_in(list(MODERATION)))
        .order_by(AuditEvent.occurred_at, ascending=False)
        .order_by(AuditEvent.id, ascending=False)
        .limit(50)
    )
    log = [
        ModerationEvent(
            officer=e["officer"] or "A former convenor",
            action=MODERATION[e["action"]],
            detail=e["detail"],
            occurred_at=e["occurred_at"],
        )
        for e in events
    ]
    return ReportsPage(access, reported, log)


# Search.


@dataclass(frozen=True)
class SearchResult:
    post_id: int
    thread_id: int
    thread_title: str
    excerpt: str
    created_at: datetime
    # One's own hidden post: found, and marked as hidden.
    hidden: bool


@dataclass(frozen=True)
class SearchPage:
    access: ForumAccess
    q: str
    results: list[SearchResult]
    searched: bool

    @property
    def group(self) -> GroupView:
        return self.access.group


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(group_id: int, account: Account, q: str, now: datetime) -> SearchPage:
    """Posts in this group's threads that match, among those this person may read."""
    access = await forum_access(group_id, account, now)
    q = " ".join(q.split())[:QUERY_MAX]
    if not q:
        return SearchPage(access, q, [], searched=False)
    where = (
        (ForumPost.thread._.group == group_id)
        & ForumPost.deleted_at.is_null()
        & (ForumPost.hidden_at.is_null() | (ForumPost.author == account.id))
    )
    if access.only_threads is not None:
        where &= ForumPost.thread.is_in(sorted(access.only_threads))
    if is_postgres(ForumPost):
        # The same expression as the GIN index, so the index serves it.
        where &= WhereRaw(
            "to_tsvector('english', \"rt_forum_post\".\"body\") @@ plainto_tsquery('english', {})",
            q,
        )
    else:
        # SQLite's LIKE ignores case (for ASCII); % and _ typed by the person match themselves.
        where &= WhereRaw('"rt_forum_post"."body" LIKE {} ESCAPE \'\\\'', _like_pattern(q))
    rows = (
        await ForumPost.select(
            ForumPost.id,
            ForumPost.thread,
            ForumPost.thread._.title.as_alias("title"),
            ForumPost.body,
            ForumPost.created_at,
            ForumPost.hidden_at,
        )
        .where(where)
        .order_by(ForumPost.id, ascending=False)
        .limit(SEARCH_LIMIT)
    )
    results = [
        SearchResult(
            post_id=r["id"],
            thread_id=r["thread"],
            thread_title=r["title"],
            excerpt=forum_text.plain_excerpt(r["body"], 200),
            created_at=r["created_at"],
            hidden=r["hidden_at"] is not None,
        )
        for r in rows
    ]
    return SearchPage(access, q, results, searched=True)
