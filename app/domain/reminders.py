"""Reminder rules: what is sent, when, and how a failed send is retried.

Pure: every function takes the moment it reasons about. Times before a meeting are
counted on the group's wall clock, so "two days before a 10:00 session" is 10:00 two
days earlier even when the clocks change in between.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# What people can switch on, off or fold into a daily digest, in the order the
# preferences page lists them.
KINDS: dict[str, str] = {
    "facilitating": "When it is your turn to facilitate, co-facilitate or shadow",
    "session": "Two days before each session of your groups",
    "today": "On the day of a session you said you are going to",
    "follow_up": "After a session you facilitated: record attendance and themes",
    "actions": "A week before a set meets: your open actions",
    "swaps": "When someone asks for cover or a swap you could take",
    "forum": "New forum posts in your groups",
}
SETTINGS: dict[str, str] = {
    "on": "Email me",
    "digest": "Put it in my daily digest",
    "off": "Don't email me (still shown when I sign in)",
}
DEFAULT_SETTING = "on"

# A message that is useless after a few hours goes out even in quiet hours.
URGENT = frozenset({"today", "swap_chase"})
# The daily digest goes at this local time.
DIGEST_AT = time(7, 0)

FACILITATING_BEFORE = timedelta(days=7)
SESSION_BEFORE = timedelta(days=2)
ACTIONS_BEFORE = timedelta(days=7)
SWAP_CHASE_BEFORE = timedelta(days=3)
FOLLOW_UP_AFTER = timedelta(hours=1)
MORNING = time(7, 30)

MAX_ATTEMPTS = 6
_BACKOFF = (60, 300, 900, 3600, 3 * 3600)


def preference_of(kind: str) -> str:
    """The preference that governs a reminder kind (a swap chase follows swaps)."""
    return {"swap": "swaps", "swap_chase": "swaps"}.get(kind, kind)


def before(starts_at: datetime, gap: timedelta, zone: ZoneInfo) -> datetime:
    # Arithmetic on an aware datetime keeps its wall clock, which is what people mean.
    local = starts_at.astimezone(zone)
    return (local - gap).astimezone(starts_at.tzinfo)


def on_the_day(starts_at: datetime, zone: ZoneInfo) -> datetime:
    """07:30 on the day, or an hour before if the session starts earlier than 08:30."""
    local = starts_at.astimezone(zone)
    morning = datetime.combine(local.date(), MORNING, tzinfo=zone)
    return min(morning, local - timedelta(hours=1)).astimezone(starts_at.tzinfo)


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after a failure, or None when it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + timedelta(seconds=_BACKOFF[min(attempts, len(_BACKOFF)) - 1])


@dataclass(frozen=True)
class QuietHours:
    starts: time
    ends: time

    def contains(self, moment: time) -> bool:
        if self.starts == self.ends:
            return False
        if self.starts < self.ends:
            return self.starts <= moment < self.ends
        return moment >= self.starts or moment < self.ends  # across midnight


def parse_quiet_hours(starts: str, ends: str) -> QuietHours | None:
    if not starts or not ends:
        return None
    return QuietHours(time.fromisoformat(starts), time.fromisoformat(ends))


def deferred_until(
    kind: str, quiet: QuietHours | None, zone: ZoneInfo, now: datetime
) -> datetime | None:
    """The end of the person's quiet hours if a non-urgent message falls inside them."""
    if quiet is None or kind in URGENT:
        return None
    local = now.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return None
    end = datetime.combine(local.date(), quiet.ends, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.ends, tzinfo=zone)
    return end.astimezone(now.tzinfo)


def next_digest(zone: ZoneInfo, now: datetime) -> datetime:
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), DIGEST_AT, tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, tzinfo=zone)
    return due.astimezone(now.tzinfo)


def unsubscribe_token(secret: str, user_id: int, kind: str) -> str:
    """A signature over (person, kind), so a link can switch off one kind without sign-in."""
    message = f"unsubscribe:{user_id}:{kind}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid_unsubscribe(secret: str, user_id: int, kind: str, token: str) -> bool:
    if kind not in KINDS and kind != "all":
        return False
    return hmac.compare_digest(unsubscribe_token(secret, user_id, kind), token)


@dataclass(frozen=True)
class MeetingFacts:
    id: int
    sequence: int
    starts_at: datetime
    ends_at: datetime
    zone: ZoneInfo
    facilitator: int | None
    attendance_recorded: bool
    facilitating: frozenset[int]  # lead, co and shadow
    members: frozenset[int]
    not_coming: frozenset[int]
    going: frozenset[int]
    action_owners: frozenset[int]


@dataclass(frozen=True)
class Planned:
    key: str
    kind: str
    user: int
    due_at: datetime
    meeting: int | None = None
    swap: int | None = None


def plan_meeting(m: MeetingFacts, now: datetime) -> list[Planned]:
    """Every reminder a meeting calls for now. The sequence is in each key, so a moved
    meeting's reminders are planned afresh while the old ones are voided."""

    def row(kind: str, user: int, due: datetime) -> Planned:
        return Planned(f"{kind}:{m.id}:{m.sequence}:{user}", kind, user, due, meeting=m.id)

    planned: list[Planned] = []
    if m.starts_at > now:
        lead_time = before(m.starts_at, FACILITATING_BEFORE, m.zone)
        planned += [row("facilitating", u, lead_time) for u in sorted(m.facilitating)]
        session = before(m.starts_at, SESSION_BEFORE, m.zone)
        planned += [row("session", u, session) for u in sorted(m.members - m.not_coming)]
        today = on_the_day(m.starts_at, m.zone)
        planned += [row("today", u, today) for u in sorted(m.going & m.members)]
        actions = before(m.starts_at, ACTIONS_BEFORE, m.zone)
        planned += [row("actions", u, actions) for u in sorted(m.action_owners & m.members)]
    elif m.facilitator is not None and not m.attendance_recorded:
        planned.append(row("follow_up", m.facilitator, m.ends_at + FOLLOW_UP_AFTER))
    return planned


def plan_swap(
    swap_id: int,
    meeting_starts: datetime,
    zone: ZoneInfo,
    eligible: frozenset[int],
    asked: datetime,
) -> list[Planned]:
    """Tell the eligible at once, and chase them three days before if nobody has taken it."""
    planned = [
        Planned(f"swap:{swap_id}:{u}", "swap", u, asked, swap=swap_id) for u in sorted(eligible)
    ]
    chase = before(meeting_starts, SWAP_CHASE_BEFORE, zone)
    if chase > asked:
        planned += [
            Planned(f"swap_chase:{swap_id}:{u}", "swap_chase", u, chase, swap=swap_id)
            for u in sorted(eligible)
        ]
    return planned
