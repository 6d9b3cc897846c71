"""What each claimed reminder says, or why it should no longer be sent.

Everything a batch needs is loaded in a fixed number of queries, then each row is
checked against the present (a swap taken, a meeting cancelled, an RSVP changed) and
rendered from templates/emails/. For a discreet group nothing outside the body's
sign-in link names the group: not the subject, not a header, not the calendar file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Min

from app.config import Settings
from app.db.tables import (
    Action,
    AgendaItem,
    FacilitationTurn,
    ForumPost,
    Meeting,
    Membership,
    Prompt,
    Reminder,
    ReminderPreference,
    Rsvp,
    SwapRequest,
    User,
)
from app.domain import reminders as rules
from app.domain.forum_text import plain_excerpt
from app.mail import Email, render
from app.services.calendar import single_event
from app.services.groups import ACTIVE
from app.services.meetings import MEETING_COLUMNS, MeetingView
from app.services.outbox import Claimed, InApp

DISCREET_NAME = "your group"
ROLE_WORDS = {"lead": "leading", "co": "co-facilitating", "shadow": "shadowing"}


@dataclass(frozen=True)
class Outcome:
    """send (subject to the person's preference), void (no longer true) or defer."""

    action: str
    email: Email | None = None
    in_app: InApp | None = None
    until: datetime | None = None
    preference: str = rules.DEFAULT_SETTING


VOID = Outcome("void")


@dataclass
class Batch:
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    preferences: dict[tuple[int, str], str] = field(default_factory=dict)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: set[tuple[int, int]] = field(default_factory=set)
    turns: dict[int, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    answers: dict[int, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    agendas: dict[int, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    questions: list[str] = field(default_factory=list)
    actions: dict[tuple[int, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    swaps: dict[int, dict[str, Any]] = field(default_factory=dict)
    folded: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    forum_members: set[tuple[int, int]] = field(default_factory=set)
    # A meeting's calendar file is the same for every member, so a batch builds it once.
    calendars: dict[int, bytes] = field(default_factory=dict)


async def load(rows: list[Claimed]) -> Batch:
    batch = Batch()
    user_ids = list({r.user for r in rows})
    for u in await User.select(
        User.id,
        User.email,
        User.display_name,
        User.timezone,
        User.quiet_from,
        User.quiet_until,
        User.is_active,
    ).where(User.id.is_in(user_ids)):
        batch.users[u["id"]] = u
    for p in await ReminderPreference.select(
        ReminderPreference.user, ReminderPreference.kind, ReminderPreference.setting
    ).where(ReminderPreference.user.is_in(user_ids)):
        batch.preferences[(p["user"], p["kind"])] = p["setting"]

    swap_ids = list({r.swap for r in rows if r.swap is not None})
    if swap_ids:
        for s in await SwapRequest.select(
            SwapRequest.id,
            SwapRequest.meeting,
            SwapRequest.role,
            SwapRequest.kind,
            SwapRequest.status,
            SwapRequest.requester.display_name.as_alias("requester_name"),
        ).where(SwapRequest.id.is_in(swap_ids)):
            batch.swaps[s["id"]] = s

    meeting_ids = list(
        {r.meeting for r in rows if r.meeting is not None}
        | {s["meeting"] for s in batch.swaps.values()}
    )
    if meeting_ids:
        await _load_meetings(batch, meeting_ids, user_ids)

    if any(r.kind == "facilitating" for r in rows):
        batch.questions = [
            q["text"]
            for q in await Prompt.select(Prompt.text)
            .where((Prompt.bank == "tool3") & (Prompt.lens == "supervisor"))
            .order_by(Prompt.number)
        ]
    post_ids = [int(r.key.split(":")[1]) for r in rows if r.kind == "forum"]
    if post_ids:
        await _load_posts(batch, post_ids, user_ids)
    digests = [r.id for r in rows if r.kind == "digest"]
    if digests:
        for f in (
            await Reminder.select(Reminder.digest, Reminder.summary)
            .where(Reminder.digest.is_in(digests) & (Reminder.status == "folded"))
            .order_by(Reminder.due_at)
        ):
            batch.folded[f["digest"]].append(f["summary"])
    return batch


async def _load_posts(batch: Batch, post_ids: list[int], user_ids: list[int]) -> None:
    for p in await ForumPost.select(
        ForumPost.id,
        ForumPost.thread,
        ForumPost.anonymous,
        ForumPost.body,
        ForumPost.deleted_at,
        ForumPost.hidden_at,
        ForumPost.author.display_name.as_alias("author_name"),
        ForumPost.thread.title.as_alias("title"),
        ForumPost.thread.group.as_alias("group"),
        ForumPost.thread._.group._.name.as_alias("group_name"),
        ForumPost.thread._.group._.discreet.as_alias("discreet"),
    ).where(ForumPost.id.is_in(post_ids)):
        batch.posts[p["id"]] = p
    firsts = {
        r["thread"]: r["first"]
        for r in await ForumPost.select(ForumPost.thread, Min(ForumPost.id, alias="first"))
        .where(ForumPost.thread.is_in([p["thread"] for p in batch.posts.values()] or [0]))
        .group_by(ForumPost.thread)
    }
    for post in batch.posts.values():
        post["opens_thread"] = firsts.get(post["thread"]) == post["id"]
    groups = list({p["group"] for p in batch.posts.values()})
    for row in await Membership.select(Membership.group, Membership.user).where(
        Membership.group.is_in(groups or [0])
        & Membership.user.is_in(user_ids)
        & (Membership.status == ACTIVE)
    ):
        batch.forum_members.add((row["group"], row["user"]))


async def _load_meetings(batch: Batch, meeting_ids: list[int], user_ids: list[int]) -> None:
    for m in await Meeting.select(
        *MEETING_COLUMNS,
        Meeting.group.name.as_alias("group_name"),
        Meeting.group.discreet.as_alias("discreet"),
        Meeting.group.timezone.as_alias("group_timezone"),
    ).where(Meeting.id.is_in(meeting_ids)):
        batch.meetings[m["id"]] = m
    group_ids = list({m["group"] for m in batch.meetings.values()})
    for row in await Membership.select(Membership.group, Membership.user).where(
        Membership.group.is_in(group_ids or [0])
        & Membership.user.is_in(user_ids)
        & (Membership.status == ACTIVE)
    ):
        batch.members.add((row["group"], row["user"]))
    for t in await FacilitationTurn.select(
        FacilitationTurn.meeting, FacilitationTurn.member, FacilitationTurn.role
    ).where(FacilitationTurn.meeting.is_in(meeting_ids)):
        batch.turns[t["meeting"]][t["member"]] = t["role"]
    for a in await Rsvp.select(Rsvp.meeting, Rsvp.user, Rsvp.answer).where(
        Rsvp.meeting.is_in(meeting_ids) & Rsvp.user.is_in(user_ids)
    ):
        batch.answers[a["meeting"]][a["user"]] = a["answer"]
    for item in (
        await AgendaItem.select(AgendaItem.meeting, AgendaItem.title, AgendaItem.minutes)
        .where(AgendaItem.meeting.is_in(meeting_ids))
        .order_by(AgendaItem.position)
    ):
        batch.agendas[item["meeting"]].append((item["title"], item["minutes"]))
    for action in (
        await Action.select(Action.group, Action.owner, Action.text)
        .where(
            Action.group.is_in(group_ids or [0])
            & Action.owner.is_in(user_ids)
            & Action.status.is_in(["open", "carried_over"])
        )
        .order_by(Action.id)
    ):
        batch.actions[(action["group"], action["owner"])].append(action["text"])


def compose(row: Claimed, batch: Batch, settings: Settings, now: datetime) -> Outcome:
    person = batch.users.get(row.user)
    if person is None or not person["is_active"]:
        return VOID
    zone = ZoneInfo(person["timezone"])
    quiet = rules.parse_quiet_hours(person["quiet_from"], person["quiet_until"])
    if (until := rules.deferred_until(row.kind, quiet, zone, now)) is not None:
        return Outcome("defer", until=until)
    writer = _WRITERS.get(row.kind)
    if writer is None:
        return VOID
    outcome = writer(row, batch, person, settings, now)
    if outcome.action != "send" or row.kind == "digest":
        return outcome
    preference = batch.preferences.get(
        (row.user, rules.preference_of(row.kind)), rules.DEFAULT_SETTING
    )
    return Outcome("send", outcome.email, outcome.in_app, preference=preference)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%A %-d %B at %H:%M").replace(" at 00:00", "")


def _headers(settings: Settings, user: int, kind: str) -> tuple[tuple[str, str], ...]:
    return (
        ("List-Unsubscribe", f"<{_unsubscribe_link(settings, user, kind)}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


def _unsubscribe_link(settings: Settings, user: int, kind: str) -> str:
    token = rules.unsubscribe_token(settings.secret_key, user, kind)
    return f"{settings.base_url}/email/unsubscribe/{user}/{kind}/{token}"


def _meeting_context(
    row: Claimed, meeting: dict[str, Any], person: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    zone = ZoneInfo(person["timezone"])
    discreet = bool(meeting["discreet"])
    kind = rules.preference_of(row.kind)
    return {
        "name": person["display_name"],
        "group": None if discreet else meeting["group_name"],
        "label": DISCREET_NAME if discreet else meeting["group_name"],
        "discreet": discreet,
        "when": _when(meeting["starts_at"], zone),
        "day": meeting["starts_at"].astimezone(zone).strftime("%A %-d %B"),
        "meeting_link": f"{settings.base_url}/meetings/{meeting['id']}",
        "preferences_link": f"{settings.base_url}/account/email",
        "unsubscribe_link": _unsubscribe_link(settings, row.user, kind),
        "kind_label": rules.KINDS.get(kind, ""),
    }


def _render(
    row: Claimed, person: dict[str, Any], settings: Settings, context: dict[str, Any], **extra: Any
) -> Email:
    kind = rules.preference_of(row.kind) if row.kind != "digest" else "all"
    return render(
        row.kind,
        person["email"],
        context,
        key=row.key,
        headers=_headers(settings, row.user, kind),
        **extra,
    )


def _live_meeting(row: Claimed, batch: Batch, now: datetime) -> dict[str, Any] | None:
    meeting = batch.meetings.get(row.meeting) if row.meeting is not None else None
    if meeting is None or meeting["status"] != "scheduled":
        return None
    # The key carries the sequence it was planned for; a moved meeting was planned afresh.
    parts = row.key.split(":")
    if len(parts) < 4 or parts[2] != str(meeting["sequence"]):
        return None
    if (meeting["group"], row.user) not in batch.members:
        return None
    return meeting


def _upcoming_meeting(row: Claimed, batch: Batch, now: datetime) -> dict[str, Any] | None:
    meeting = _live_meeting(row, batch, now)
    return meeting if meeting is not None and meeting["starts_at"] > now else None


def _facilitating(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    meeting = _upcoming_meeting(row, batch, now)
    if meeting is None:
        return VOID
    role = batch.turns[meeting["id"]].get(row.user)
    if role not in ROLE_WORDS:
        return VOID
    context = _meeting_context(row, meeting, person, settings)
    context |= {
        "role": role,
        "role_words": ROLE_WORDS[role],
        "prepare_link": f"{settings.base_url}/meetings/{meeting['id']}/prepare",
        "questions": batch.questions,
    }
    return Outcome(
        "send",
        _render(row, person, settings, context),
        InApp(
            f"You are {ROLE_WORDS[role]} the session on {context['day']}.",
            f"/meetings/{meeting['id']}/prepare",
        ),
    )


def _session(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    meeting = _upcoming_meeting(row, batch, now)
    if meeting is None:
        return VOID
    if batch.answers[meeting["id"]].get(row.user) == "no":
        return VOID
    view = MeetingView(**{k: meeting[k] for k in MeetingView.__dataclass_fields__ if k in meeting})
    context = _meeting_context(row, meeting, person, settings)
    access = [
        label
        for flag, label in (
            ("step_free", "Step-free access"),
            ("hearing_loop", "Hearing loop"),
            ("captions", "Live captions"),
            ("quiet_room", "A quiet room to step out to"),
        )
        if meeting[flag]
    ]
    context |= {
        "agenda": batch.agendas[meeting["id"]],
        "place": meeting["place"],
        "online_link": meeting["online_link"],
        "access": access,
        "access_notes": meeting["access_notes"],
    }
    ics = batch.calendars.get(meeting["id"])
    if ics is None:
        ics = batch.calendars[meeting["id"]] = single_event(
            view, meeting["group_name"], bool(meeting["discreet"]), settings.base_url, now
        )
    email = _render(
        row, person, settings, context, attachments=(("session.ics", "text/calendar", ics),)
    )
    return Outcome("send", email)


def _today(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    meeting = _upcoming_meeting(row, batch, now)
    if meeting is None:
        return VOID
    if batch.answers[meeting["id"]].get(row.user) != "going":
        return VOID
    context = _meeting_context(row, meeting, person, settings)
    context |= {"place": meeting["place"], "online_link": meeting["online_link"]}
    return Outcome("send", _render(row, person, settings, context))


def _follow_up(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    meeting = _live_meeting(row, batch, now)
    if meeting is None or meeting["attendance_recorded"] or meeting["facilitator"] != row.user:
        return VOID
    context = _meeting_context(row, meeting, person, settings)
    return Outcome(
        "send",
        _render(row, person, settings, context),
        InApp(
            f"Record who came and the themes of the session on {context['day']}.",
            f"/meetings/{meeting['id']}",
        ),
    )


def _actions(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    meeting = _upcoming_meeting(row, batch, now)
    if meeting is None:
        return VOID
    actions = batch.actions[(meeting["group"], row.user)]
    if not actions:
        return VOID
    context = _meeting_context(row, meeting, person, settings) | {"actions": actions}
    return Outcome(
        "send",
        _render(row, person, settings, context),
        InApp(
            f"You have {len(actions)} open action(s) to report on {context['day']}.",
            f"/meetings/{meeting['id']}",
        ),
    )


def _swap(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    swap = batch.swaps.get(row.swap) if row.swap is not None else None
    if swap is None or swap["status"] != "open":
        return VOID
    meeting = batch.meetings.get(swap["meeting"])
    if meeting is None or meeting["status"] != "scheduled" or meeting["starts_at"] <= now:
        return VOID
    if (meeting["group"], row.user) not in batch.members:
        return VOID
    context = _meeting_context(row, meeting, person, settings)
    context |= {
        "requester": swap["requester_name"],
        "swap_kind": swap["kind"],
        "role_words": ROLE_WORDS.get(swap["role"], "facilitating"),
        "rota_link": f"{settings.base_url}/groups/{meeting['group']}/rota",
        "chase": row.kind == "swap_chase",
    }
    return Outcome("send", _render(row, person, settings, context))


def _digest(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    items = batch.folded.get(row.id, [])
    if not items:
        return VOID
    context = {
        "name": person["display_name"],
        "items": items,
        "home_link": f"{settings.base_url}/",
        "preferences_link": f"{settings.base_url}/account/email",
        "unsubscribe_link": _unsubscribe_link(settings, row.user, "all"),
    }
    return Outcome("send", _render(row, person, settings, context))


def _forum(
    row: Claimed, batch: Batch, person: dict[str, Any], settings: Settings, now: datetime
) -> Outcome:
    post = batch.posts.get(int(row.key.split(":")[1]))
    if post is None or post["deleted_at"] or post["hidden_at"]:
        return VOID
    if (post["group"], row.user) not in batch.forum_members:
        return VOID
    discreet = bool(post["discreet"])
    context = {
        "name": person["display_name"],
        "group": None if discreet else post["group_name"],
        "discreet": discreet,
        "opens_thread": post["opens_thread"],
        # The subject goes into digests as it is: never a title or words from the post,
        # so nothing hidden later can have been folded into one.
        "title": post["title"],
        "author": "A member" if post["anonymous"] else post["author_name"],
        "excerpt": plain_excerpt(post["body"], 300),
        "link": f"{settings.base_url}/forum/posts/{post['id']}",
        "preferences_link": f"{settings.base_url}/account/email",
        "unsubscribe_link": _unsubscribe_link(settings, row.user, "forum"),
        "kind_label": rules.KINDS["forum"],
    }
    return Outcome("send", _render(row, person, settings, context))


_WRITERS = {
    "facilitating": _facilitating,
    "session": _session,
    "today": _today,
    "follow_up": _follow_up,
    "actions": _actions,
    "swap": _swap,
    "swap_chase": _swap,
    "digest": _digest,
    "forum": _forum,
}
