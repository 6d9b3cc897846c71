"""A small organisation whose insights figures were worked out by hand.

Period: January to March 2026, seen on 15 April 2026.

Peer group A (listed): u1..u6 joined in June 2025, u7 joined 1 Feb, u6 left 1 Mar.
  Dec 10: u1 led (before the period)
  Jan 14: u1 led, u2 shadowed; u1..u5 came; u1..u6 said going (u6 didn't come)
  Feb 11: u2 led (first time, shadowed before); u1, u2, u3, u7 came and had said going
  Mar 11: cancelled
  Mar 25: u1 led; u1..u5 came
Staff network B (listed): u1, u3, u8 joined June 2025. Jan 20: u1 and u8 came.
Peer group C (unlisted): u1..u6, a meeting in February: only its members know of it.
Action learning set D (listed): u1..u6. Jan 21: 12 actions set, by where they stand now:
  done 6 (six owners), carried over 5 (five owners), open 1 (one owner).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.db.tables import (
    Action,
    AgendaItem,
    Attendance,
    FacilitationTurn,
    Group,
    Meeting,
    MeetingTheme,
    Membership,
    Prompt,
    Rsvp,
    Theme,
)
from app.domain.insight_filters import InsightFilters
from tests.services.groups_support import person

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
FILTERS = InsightFilters(first_day=date(2026, 1, 1), last_day=date(2026, 3, 31))
JOINED = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Organisation:
    a: int
    b: int
    c: int
    d: int
    users: dict[int, int]


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


async def _group(name: str, kind: str, visibility: str = "listed") -> int:
    rows = await Group.insert(
        Group(name=name, kind=kind, visibility=visibility, join_policy="open")
    ).returning(Group.id)
    return int(rows[0]["id"])


async def _member(group: int, user: int, joined: datetime, left: datetime | None = None) -> None:
    await Membership.insert(
        Membership(
            group=group,
            user=user,
            joined_at=joined,
            left_at=left,
            status="left" if left else "active",
        )
    )


async def _meeting(
    group: int,
    starts: datetime,
    came: list[int],
    *,
    cancelled: bool = False,
    lead: int | None = None,
    shadow: int | None = None,
    going: list[int] | None = None,
    themes: Sequence[str] = (),
    questions: Sequence[int] = (),
) -> int:
    rows = await Meeting.insert(
        Meeting(
            group=group,
            occurrence_key=f"{group}:{starts.isoformat()}",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=90),
            status="cancelled" if cancelled else "scheduled",
            attendance_recorded=not cancelled,
        )
    ).returning(Meeting.id)
    meeting = int(rows[0]["id"])
    for user in came:
        await Attendance.insert(Attendance(meeting=meeting, user=user))
    for user in going or []:
        await Rsvp.insert(Rsvp(meeting=meeting, user=user, answer="going", answered_at=starts))
    for role, user in (("lead", lead), ("shadow", shadow)):
        if user is not None:
            await FacilitationTurn.insert(FacilitationTurn(meeting=meeting, member=user, role=role))
    for name in themes:
        await Theme.insert(Theme(name=name)).on_conflict(action="DO NOTHING")
        theme = await Theme.select(Theme.id).where(Theme.name == name).first()
        assert theme is not None
        await MeetingTheme.insert(MeetingTheme(meeting=meeting, theme=theme["id"]))
    for position, number in enumerate(questions):
        prompt = (
            await Prompt.select(Prompt.id)
            .where((Prompt.bank == "tool3") & (Prompt.number == number))
            .first()
        )
        assert prompt is not None
        await AgendaItem.insert(
            AgendaItem(
                meeting=meeting,
                position=position,
                kind="prompt",
                title=f"Question {number}",
                minutes=10,
                prompt=prompt["id"],
            )
        )
    return meeting


async def build() -> Organisation:
    users = {n: (await person(f"insight{n}")).id for n in range(1, 9)}
    u = users
    a = await _group("Peer group A", "peer_support")
    b = await _group("Network B", "staff_network")
    c = await _group("Private group C", "peer_support", visibility="unlisted")
    d = await _group("Set D", "action_learning")
    for n in range(1, 6):
        await _member(a, u[n], JOINED)
    await _member(a, u[6], JOINED, left=at(3, 1))
    await _member(a, u[7], at(2, 1))
    for n in (1, 3, 8):
        await _member(b, u[n], JOINED)
    for n in range(1, 7):
        await _member(c, u[n], JOINED)
        await _member(d, u[n], JOINED)

    await _meeting(a, at(12, 10, 2025), [u[1], u[2]], lead=u[1])
    await _meeting(
        a,
        at(1, 14),
        [u[n] for n in range(1, 6)],
        lead=u[1],
        shadow=u[2],
        going=[u[n] for n in range(1, 7)],
        themes=["Workload", "Wellbeing"],
        questions=[1, 6],
    )
    await _meeting(
        a,
        at(2, 11),
        [u[1], u[2], u[3], u[7]],
        lead=u[2],
        going=[u[1], u[2], u[3], u[7]],
        themes=["Workload"],
        questions=[11],
    )
    await _meeting(a, at(3, 11), [], cancelled=True)
    await _meeting(a, at(3, 25), [u[n] for n in range(1, 6)], lead=u[1])
    await _meeting(b, at(1, 20), [u[1], u[8]], themes=["Belonging"])
    await _meeting(c, at(2, 3), [u[n] for n in range(1, 7)], lead=u[3], themes=["Secret theme"])
    set_meeting = await _meeting(d, at(1, 21), [u[n] for n in range(1, 7)])
    states = ["done"] * 6 + ["carried_over"] * 5 + ["open"]
    owners = [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]
    for state, owner in zip(states, owners, strict=True):
        await Action.insert(
            Action(
                group=d,
                meeting=set_meeting,
                owner=u[owner],
                text="An action nobody outside the set may read",
                status=state,
                created_at=at(1, 21),
            )
        )
    return Organisation(a=a, b=b, c=c, d=d, users=users)
