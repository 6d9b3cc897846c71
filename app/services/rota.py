"""The rota: who facilitates each upcoming meeting, planned fairly by app.domain.rota.

Planning only fills meetings that have no lead yet, inserts under a unique (meeting, role)
index and is deterministic, so any number of processes can plan at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.db.tables import FacilitationTurn, Group, Meeting, Membership, Rsvp, Unavailability
from app.domain import rota as engine
from app.domain.groups import Standing
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.groups import ACTIVE, GroupView, visible_group

ROLES = {"lead": "Lead", "co": "Co-facilitator", "shadow": "Shadowing"}
# A group's facilitation setting -> the engine's mode. A set adviser is a fixed facilitator.
_MODES: dict[str, engine.Mode] = {
    "rotating": "rotating",
    "panel": "panel",
    "fixed": "fixed",
    "fixed_adviser": "fixed",
}


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


async def plan_rota(group_id: int, now: datetime) -> int:
    """Give every upcoming meeting without a lead its facilitators; returns turns made."""
    group = (
        await Group.select(Group.facilitation, Group.timezone).where(Group.id == group_id).first()
    )
    if group is None:
        return 0
    zone = ZoneInfo(group["timezone"])
    memberships = (
        await Membership.select(
            Membership.user,
            Membership.role,
            Membership.joined_at,
            Membership.left_at,
            Membership.status,
            Membership.opted_out_of_leading,
        )
        .where(Membership.group == group_id)
        .order_by(Membership.joined_at)
    )
    members = [
        engine.Member(
            id=row["user"],
            joined=_day(row["joined_at"], zone),
            left=_day(row["left_at"], zone) if row["status"] != ACTIVE and row["left_at"] else None,
            opted_out=row["opted_out_of_leading"],
        )
        for row in memberships
    ]
    rows = (
        await Meeting.select(Meeting.id, Meeting.starts_at)
        .where((Meeting.group == group_id) & (Meeting.status != "cancelled"))
        .order_by(Meeting.starts_at)
    )
    turns = await FacilitationTurn.select(
        FacilitationTurn.meeting,
        FacilitationTurn.member,
        FacilitationTurn.role,
        FacilitationTurn.origin,
        FacilitationTurn.covered_for,
        FacilitationTurn.meeting.starts_at.as_alias("starts_at"),
    ).where(FacilitationTurn.meeting.group == group_id)
    led = {t["meeting"] for t in turns if t["role"] == "lead"}
    upcoming = [
        engine.Meeting(id=r["id"], day=_day(r["starts_at"], zone))
        for r in rows
        if r["starts_at"] > now and r["id"] not in led
    ]
    if not upcoming:
        return 0
    history = [
        engine.Turn(
            meeting_id=t["meeting"],
            day=_day(t["starts_at"], zone),
            member=t["member"],
            role=t["role"],
            origin=t["origin"],
            covered_for=t["covered_for"],
        )
        for t in turns
    ]
    # Convenors count as having shadowed: they set the group up, and without them a new
    # group, where nobody has led yet, could never have a first lead.
    first_day = min([m.day for m in upcoming] + [t.day for t in history]) - timedelta(days=1)
    history += [
        engine.Turn(meeting_id=0, day=first_day, member=r["user"], role="shadow")
        for r in memberships
        if r["status"] == ACTIVE and r["role"] == "convenor"
    ]
    user_ids = [m.id for m in members]
    away = {
        (r["user"], r["day"])
        for r in await Unavailability.select(Unavailability.user, Unavailability.day).where(
            Unavailability.user.is_in(user_ids or [0])
        )
    }
    days = {m.id: m.day for m in upcoming}
    away |= {
        (r["user"], days[r["meeting"]])
        for r in await Rsvp.select(Rsvp.user, Rsvp.meeting).where(
            Rsvp.meeting.is_in(list(days)) & (Rsvp.answer == "no")
        )
    }
    mode: engine.Mode = _MODES.get(group["facilitation"], "rotating")
    fixed = next(
        (r["user"] for r in memberships if r["status"] == ACTIVE and r["role"] == "convenor"), None
    )
    if mode == "fixed" and fixed is None:
        mode = "rotating"
    plan = engine.assign(members, upcoming, history, away, mode=mode, fixed_facilitator=fixed)
    made = 0
    for assignment in plan:
        chosen = [("lead", assignment.lead), ("co", assignment.co), ("shadow", assignment.shadow)]
        rows_to_add = [
            FacilitationTurn(meeting=assignment.meeting_id, member=member, role=role)
            for role, member in chosen
            if member is not None
        ]
        if not rows_to_add:
            continue
        inserted = (
            await FacilitationTurn.insert(*rows_to_add)
            .on_conflict(action="DO NOTHING")
            .returning(FacilitationTurn.id)
        )
        made += len(inserted)
        if assignment.lead is not None:
            await Meeting.update({Meeting.facilitator: assignment.lead}).where(
                (Meeting.id == assignment.meeting_id) & Meeting.facilitator.is_null()
            )
    return made


async def plan_all(now: datetime) -> int:
    groups = await Group.select(Group.id).where(Group.schedule_rule != "")
    return sum([await plan_rota(row["id"], now) for row in groups])


@dataclass(frozen=True)
class Slot:
    meeting_id: int
    starts_at: datetime
    people: dict[str, str]  # role -> name


@dataclass(frozen=True)
class LedgerRow:
    name: str
    is_me: bool
    standing: engine.Standing


@dataclass(frozen=True)
class RotaPage:
    group: GroupView
    standing: Standing
    upcoming: list[Slot]
    ledger: list[LedgerRow]
    whole_ledger: bool
    not_led: list[str] | None  # names, where the member list may be seen
    opted_out: bool
    away_days: list[tuple[int, date]]


async def rota_page(group_id: int, account: Account, now: datetime) -> RotaPage:
    group, standing, mine = await visible_group(group_id, account, now)
    if not standing.is_member or mine is None:
        raise NotFound()
    zone = ZoneInfo(group.timezone)
    whole = standing.is_officer or group.member_list == "members"
    member_rows = (
        await Membership.select(
            Membership.user,
            Membership.user.display_name.as_alias("name"),
            Membership.joined_at,
            Membership.opted_out_of_leading,
        )
        .where((Membership.group == group.id) & (Membership.status == ACTIVE))
        .order_by(Membership.joined_at)
    )
    names = {r["user"]: r["name"] for r in member_rows}
    members = [
        engine.Member(
            id=r["user"], joined=_day(r["joined_at"], zone), opted_out=r["opted_out_of_leading"]
        )
        for r in member_rows
    ]
    turns = (
        await FacilitationTurn.select(
            FacilitationTurn.meeting,
            FacilitationTurn.member,
            FacilitationTurn.role,
            FacilitationTurn.origin,
            FacilitationTurn.covered_for,
            FacilitationTurn.member.display_name.as_alias("name"),
            FacilitationTurn.meeting.starts_at.as_alias("starts_at"),
            FacilitationTurn.meeting.status.as_alias("status"),
        )
        .where(FacilitationTurn.meeting.group == group.id)
        .order_by(FacilitationTurn.meeting.starts_at)
    )
    past = [
        engine.Turn(
            meeting_id=t["meeting"],
            day=_day(t["starts_at"], zone),
            member=t["member"],
            role=t["role"],
            origin=t["origin"],
            covered_for=t["covered_for"],
        )
        for t in turns
        if t["starts_at"] <= now and t["status"] != "cancelled"
    ]
    slots: dict[int, Slot] = {}
    for t in turns:
        if t["starts_at"] > now and t["status"] != "cancelled":
            slot = slots.setdefault(t["meeting"], Slot(t["meeting"], t["starts_at"], {}))
            slot.people[t["role"]] = t["name"]
    book = engine.ledger(members, past)
    ledger = [
        LedgerRow(name=names[uid], is_me=uid == account.id, standing=book[uid])
        for uid in names
        if uid in book and (whole or uid == account.id)
    ]
    not_led = (
        [names[uid] for uid in engine.who_has_not_led(members, past, now.astimezone(zone).date())]
        if whole
        else None
    )
    away = (
        await Unavailability.select(Unavailability.id, Unavailability.day)
        .where((Unavailability.user == account.id) & (Unavailability.day >= now.date()))
        .order_by(Unavailability.day)
    )
    opted = next(r["opted_out_of_leading"] for r in member_rows if r["user"] == account.id)
    return RotaPage(
        group=group,
        standing=standing,
        upcoming=list(slots.values()),
        ledger=ledger,
        whole_ledger=whole,
        not_led=not_led,
        opted_out=opted,
        away_days=[(r["id"], r["day"]) for r in away],
    )


async def set_opt_out(group_id: int, account: Account, opted_out: bool, now: datetime) -> None:
    _, standing, _ = await visible_group(group_id, account, now)
    if not standing.is_member:
        raise NotFound()
    await Membership.update({Membership.opted_out_of_leading: opted_out}).where(
        (Membership.group == group_id)
        & (Membership.user == account.id)
        & (Membership.status == ACTIVE)
    )


async def add_away_day(account: Account, raw: str, now: datetime) -> date:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise FormErrors({"day": "Enter a date like 2027-01-31."}) from None
    if day < now.date():
        raise FormErrors({"day": "Choose today or a date in the future."})
    await Unavailability.insert(Unavailability(user=account.id, day=day)).on_conflict(
        action="DO NOTHING"
    )
    return day


async def remove_away_day(account: Account, away_id: int) -> None:
    await Unavailability.delete().where(
        (Unavailability.id == away_id) & (Unavailability.user == account.id)
    )
