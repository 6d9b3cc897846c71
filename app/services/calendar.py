"""Calendar files: one meeting's .ics, and each person's private feed of their groups.

Times are written in UTC, which every calendar (Outlook and Google included) converts
to the reader's own zone correctly. UIDs are stable, SEQUENCE rises with every change,
and a cancelled meeting stays in the feed marked CANCELLED so calendars remove it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from app.db.tables import Meeting, Membership, User
from app.services.accounts import Account
from app.services.groups import ACTIVE
from app.services.meetings import MEETING_COLUMNS, MeetingView, member_meeting

PRODID = "-//Roundtable//Peer groups//EN"
NEUTRAL_TITLE = "Peer session"
FEED_PAST = timedelta(days=60)


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _event(meeting: MeetingView, name: str, discreet: bool, base_url: str, now: datetime) -> Event:
    host = urlsplit(base_url).hostname or "roundtable"
    link = f"{base_url}/meetings/{meeting.id}"
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    # A discreet group's calendar entry must be safe on a shared screen or a work
    # calendar that colleagues can see: no group name, anywhere in it.
    event.add("summary", NEUTRAL_TITLE if discreet else name)
    lines = [] if discreet else [f"Session of {name}."]
    if meeting.online_link:
        lines.append(f"Join online: {meeting.online_link}")
    lines.append(f"Agenda and details (sign-in needed): {link}")
    event.add("description", "\n".join(lines))
    if meeting.place:
        event.add("location", meeting.place)
    event.add("url", link)
    return event


def single_event(
    meeting: MeetingView, name: str, discreet: bool, base_url: str, now: datetime
) -> bytes:
    calendar = _calendar()
    calendar.add_component(_event(meeting, name, discreet, base_url, now))
    return bytes(calendar.to_ical())


async def meeting_ics(meeting_id: int, account: Account, base_url: str, now: datetime) -> bytes:
    group, _, meeting = await member_meeting(meeting_id, account, now)
    return single_event(meeting, group.name, group.discreet, base_url, now)


async def feed_token(account: Account) -> str:
    row = await User.select(User.calendar_token).where(User.id == account.id).first()
    if row and row["calendar_token"]:
        return str(row["calendar_token"])
    return await reset_feed_token(account)


async def reset_feed_token(account: Account) -> str:
    token = secrets.token_urlsafe(32)
    await User.update({User.calendar_token: token}).where(User.id == account.id)
    return token


async def personal_feed(token: str, base_url: str, now: datetime) -> bytes | None:
    """The feed for whoever holds this token, or None: an unknown token learns nothing."""
    if len(token) < 20:
        return None
    person = (
        await User.select(User.id)
        .where((User.calendar_token == token) & User.is_active.eq(True))
        .first()
    )
    if person is None:
        return None
    groups = await Membership.select(Membership.group).where(
        (Membership.user == person["id"]) & (Membership.status == ACTIVE)
    )
    ids = [row["group"] for row in groups]
    calendar = _calendar()
    calendar.add("x-wr-calname", "Roundtable sessions")
    if ids:
        rows: list[dict[str, Any]] = (
            await Meeting.select(
                *MEETING_COLUMNS,
                Meeting.group.name.as_alias("group_name"),
                Meeting.group.discreet.as_alias("discreet"),
            )
            .where(Meeting.group.is_in(ids) & (Meeting.starts_at > now - FEED_PAST))
            .order_by(Meeting.starts_at)
        )
        for row in rows:
            name, discreet = row.pop("group_name"), row.pop("discreet")
            calendar.add_component(_event(MeetingView(**row), name, discreet, base_url, now))
    return calendar.to_ical()
