"""Planning the reminder outbox: which messages upcoming meetings and open swaps call for.

Planning only inserts (ON CONFLICT DO NOTHING on the idempotency key), so any number of
processes can plan at once and planning twice changes nothing. Whether a message is
still true is checked again when it is sent.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

from app.db.tables import (
    Action,
    FacilitationTurn,
    Meeting,
    Membership,
    Reminder,
    Rsvp,
    SwapRequest,
)
from app.domain import reminders as rules
from app.services.groups import ACTIVE
from app.services.rota import CoverAsk, eligible_for_each

# Far enough ahead for the earliest reminder (a week before), with a day to spare.
LOOK_AHEAD = rules.FACILITATING_BEFORE + timedelta(days=1)
# Long enough for a facilitator's follow-up to be planned after a session ends.
LOOK_BACK = timedelta(days=2)
FACILITATING_ROLES = ("lead", "co", "shadow")
INSERT_CHUNK = 1000


async def _insert(planned: Iterable[rules.Planned], now: datetime) -> int:
    rows = [
        Reminder(
            key=p.key,
            kind=p.kind,
            user=p.user,
            meeting=p.meeting,
            swap=p.swap,
            due_at=p.due_at,
            created_at=now,
        )
        for p in planned
    ]
    inserted = 0
    # In chunks: PostgreSQL takes at most 32,767 parameters a statement, 15 a row here.
    for start in range(0, len(rows), INSERT_CHUNK):
        inserted += len(
            await Reminder.insert(*rows[start : start + INSERT_CHUNK])
            .on_conflict(action="DO NOTHING")
            .returning(Reminder.id)
        )
    return inserted


async def _facts(meetings: list[dict[str, object]]) -> list[rules.MeetingFacts]:
    """Everything the plan needs for a batch of meetings, in a fixed number of queries."""
    ids = [int(m["id"]) for m in meetings]  # type: ignore[call-overload]
    groups = list({int(m["group"]) for m in meetings})  # type: ignore[call-overload]
    members: dict[int, set[int]] = defaultdict(set)
    for row in await Membership.select(Membership.group, Membership.user).where(
        Membership.group.is_in(groups)
        & (Membership.status == ACTIVE)
        & Membership.user._.is_active.eq(True)
    ):
        members[row["group"]].add(row["user"])
    answers: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for row in await Rsvp.select(Rsvp.meeting, Rsvp.user, Rsvp.answer).where(
        Rsvp.meeting.is_in(ids)
    ):
        answers[row["meeting"]][row["answer"]].add(row["user"])
    turns: dict[int, set[int]] = defaultdict(set)
    for row in await FacilitationTurn.select(
        FacilitationTurn.meeting, FacilitationTurn.member
    ).where(
        FacilitationTurn.meeting.is_in(ids) & FacilitationTurn.role.is_in(list(FACILITATING_ROLES))
    ):
        turns[row["meeting"]].add(row["member"])
    owners: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for row in await Action.select(
        Action.group, Action.owner, Action.meeting.starts_at.as_alias("raised")
    ).where(Action.group.is_in(groups) & Action.status.is_in(["open", "carried_over"])):
        owners[row["group"]].append((row["owner"], row["raised"]))
    facts = []
    for m in meetings:
        mid, gid = int(m["id"]), int(m["group"])  # type: ignore[call-overload]
        starts = m["starts_at"]
        assert isinstance(starts, datetime)
        facts.append(
            rules.MeetingFacts(
                id=mid,
                sequence=int(m["sequence"]),  # type: ignore[call-overload]
                starts_at=starts,
                ends_at=m["ends_at"],  # type: ignore[arg-type]
                zone=ZoneInfo(str(m["timezone"])),
                facilitator=m["facilitator"],  # type: ignore[arg-type]
                attendance_recorded=bool(m["attendance_recorded"]),
                facilitating=frozenset(turns[mid]),
                members=frozenset(members[gid]),
                not_coming=frozenset(answers[mid]["no"]),
                going=frozenset(answers[mid]["going"]),
                action_owners=frozenset(u for u, raised in owners[gid] if raised < starts),
            )
        )
    return facts


_MEETING = (
    Meeting.id,
    Meeting.group,
    Meeting.sequence,
    Meeting.starts_at,
    Meeting.ends_at,
    Meeting.facilitator,
    Meeting.attendance_recorded,
    Meeting.group.timezone.as_alias("timezone"),
)


async def plan_meetings(now: datetime, meeting_ids: list[int] | None = None) -> int:
    """Plan reminders for meetings in the window (or just the ones named)."""
    query = Meeting.select(*_MEETING).where(Meeting.status == "scheduled")
    if meeting_ids is not None:
        query = query.where(Meeting.id.is_in(meeting_ids or [0]))
    else:
        query = query.where(
            (Meeting.starts_at <= now + LOOK_AHEAD) & (Meeting.ends_at >= now - LOOK_BACK)
        )
    meetings = await query
    if not meetings:
        return 0
    facts = await _facts(meetings)
    return await _insert((p for f in facts for p in rules.plan_meeting(f, now)), now)


async def plan_swaps(now: datetime) -> int:
    """Tell eligible members about open swap requests, and chase them as the date nears."""
    swaps = await SwapRequest.select(
        SwapRequest.id,
        SwapRequest.meeting,
        SwapRequest.requester,
        SwapRequest.created_at,
        SwapRequest.meeting.group.as_alias("group"),
        SwapRequest.meeting.starts_at.as_alias("starts_at"),
        SwapRequest.meeting._.group._.timezone.as_alias("timezone"),
    ).where((SwapRequest.status == "open") & (SwapRequest.meeting.starts_at > now))
    zones = [ZoneInfo(swap["timezone"]) for swap in swaps]
    asks = [
        CoverAsk(
            swap["group"],
            swap["meeting"],
            swap["requester"],
            swap["starts_at"].astimezone(zone).date(),
        )
        for swap, zone in zip(swaps, zones, strict=True)
    ]
    planned: list[rules.Planned] = []
    for swap, zone, eligible in zip(swaps, zones, await eligible_for_each(asks), strict=True):
        planned += rules.plan_swap(
            swap["id"], swap["starts_at"], zone, frozenset(eligible), swap["created_at"]
        )
    return await _insert(planned, now)


async def void_for_meeting(meeting_id: int) -> int:
    """A cancelled or moved meeting's pending reminders say something no longer true."""
    return await void_pending(meetings=[meeting_id])


async def void_pending(meetings: Sequence[int] = (), swaps: Sequence[int] = ()) -> int:
    """Void the pending reminders about these meetings and these swap requests."""
    about: list[Any] = []
    if meetings:
        about.append(Reminder.meeting.is_in(list(meetings)))
    if swaps:
        about.append(Reminder.swap.is_in(list(swaps)))
    if not about:
        return 0
    voided = (
        await Reminder.update({Reminder.status: "void", Reminder.lease_until: None})
        .where(reduce(operator.or_, about) & (Reminder.status == "pending"))
        .returning(Reminder.id)
    )
    return len(voided)


async def meeting_moved(meeting_id: int, now: datetime) -> None:
    await void_for_meeting(meeting_id)
    await plan_meetings(now, [meeting_id])


async def plan_forum_post(post_id: int, recipients: Iterable[int], now: datetime) -> int:
    """Email (or fold into the digest) a new forum post for each person told about it."""
    return await _insert(
        (
            rules.Planned(f"forum:{post_id}:{user}", "forum", user, now)
            for user in sorted(set(recipients))
        ),
        now,
    )
