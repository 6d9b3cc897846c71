"""The rota: who facilitates each upcoming meeting, planned fairly by app.domain.rota.

Planning only fills meetings that have no lead yet, inserts under a unique (meeting, role)
index and is deterministic, so any number of processes can plan at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.db.engine import lock_row, write_transaction
from app.db.tables import (
    Action,
    FacilitationTurn,
    Group,
    Meeting,
    Membership,
    Prompt,
    Rsvp,
    SwapRequest,
    Unavailability,
    User,
)
from app.domain import rota as engine
from app.domain.groups import Standing
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.groups import ACTIVE, GroupView, officer_group, visible_group
from app.services.notifications import notify

ROLES = {"lead": "Lead", "co": "Co-facilitator", "shadow": "Shadowing", "presenter": "Presenting"}
FACILITATING = ("lead", "co", "shadow")
# A group's facilitation setting -> the engine's mode. A set adviser is a fixed facilitator.
_MODES: dict[str, engine.Mode] = {
    "rotating": "rotating",
    "panel": "panel",
    "fixed": "fixed",
    "fixed_adviser": "fixed",
}


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _turn(row: dict[str, Any], zone: ZoneInfo) -> engine.Turn:
    """A stored turn, as the engine sees it."""
    return engine.Turn(
        meeting_id=row["meeting"],
        day=_day(row["starts_at"], zone),
        member=row["member"],
        role=row["role"],
        origin=row["origin"],
        covered_for=row["covered_for"],
    )


async def plan_rota(group_id: int, now: datetime) -> int:
    """Give every upcoming meeting without a lead its facilitators; returns turns made."""
    group = (
        await Group.select(Group.facilitation, Group.timezone, Group.kind, Group.status)
        .where(Group.id == group_id)
        .first()
    )
    if group is None or group["status"] == "ended":
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
    ).where(
        (FacilitationTurn.meeting.group == group_id)
        & FacilitationTurn.role.is_in(list(FACILITATING))
    )
    led = {t["meeting"] for t in turns if t["role"] == "lead"}
    upcoming = [
        engine.Meeting(id=r["id"], day=_day(r["starts_at"], zone))
        for r in rows
        if r["starts_at"] > now and r["id"] not in led
    ]
    made = 0
    if group["kind"] == "action_learning":
        made += await _plan_presenters(group_id, memberships, members, rows, zone, now)
    if not upcoming:
        return made
    history = [_turn(t, zone) for t in turns]
    # Convenors count as having shadowed: they set the group up, and without them a new
    # group, where nobody has led yet, could never have a first lead.
    first_day = min([m.day for m in upcoming] + [t.day for t in history]) - timedelta(days=1)
    history += [
        engine.Turn(meeting_id=0, day=first_day, member=r["user"], role="shadow")
        for r in memberships
        if r["status"] == ACTIVE and r["role"] == "convenor"
    ]
    away = await _away([m.id for m in members], {m.id: m.day for m in upcoming})
    mode: engine.Mode = _MODES.get(group["facilitation"], "rotating")
    fixed = next(
        (r["user"] for r in memberships if r["status"] == ACTIVE and r["role"] == "convenor"), None
    )
    if mode == "fixed" and fixed is None:
        mode = "rotating"
    plan = engine.assign(members, upcoming, history, away, mode=mode, fixed_facilitator=fixed)
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
    groups = await Group.select(Group.id).where(
        (Group.schedule_rule != "") & (Group.status != "ended")
    )
    return sum([await plan_rota(row["id"], now) for row in groups])


@dataclass(frozen=True)
class Slot:
    meeting_id: int
    starts_at: datetime
    people: dict[str, str]  # role -> name
    how: dict[str, str]  # role -> "covered", "swapped" or a convenor's note


@dataclass(frozen=True)
class OpenSwap:
    id: int
    meeting_id: int
    starts_at: datetime
    role: str
    kind: str
    requester: str | None  # None where the member list is for convenors only
    mine: bool
    # Free that day, not opted out, and with no other part in that session.
    can_take: bool = False


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
    my_turns: list[tuple[int, datetime, str]]  # meeting, start, role
    open_swaps: list[OpenSwap]
    history: list[Slot]
    members: list[tuple[int, str]]  # for a convenor's override


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
            FacilitationTurn.note,
            FacilitationTurn.meeting.starts_at.as_alias("starts_at"),
            FacilitationTurn.meeting.status.as_alias("status"),
        )
        .where(FacilitationTurn.meeting.group == group.id)
        .order_by(FacilitationTurn.meeting.starts_at)
    )
    past = [
        _turn(t, zone)
        for t in turns
        if t["starts_at"] <= now and t["status"] != "cancelled" and t["role"] in FACILITATING
    ]
    slots: dict[int, Slot] = {}
    done: dict[int, Slot] = {}
    how = {"cover": "covered", "swap": "swapped"}
    for t in turns:
        if t["status"] == "cancelled":
            continue
        into = slots if t["starts_at"] > now else done
        slot = into.setdefault(t["meeting"], Slot(t["meeting"], t["starts_at"], {}, {}))
        slot.people[t["role"]] = t["name"] if whole or t["member"] == account.id else "A member"
        if t["origin"] == "override":
            slot.how[t["role"]] = f"changed by a convenor: {t['note']}"
        elif t["origin"] in how:
            slot.how[t["role"]] = how[t["origin"]]
    my_turns = [
        (t["meeting"], t["starts_at"], t["role"])
        for t in turns
        if t["member"] == account.id and t["starts_at"] > now and t["status"] != "cancelled"
    ]
    swaps = (
        await SwapRequest.select(
            SwapRequest.id,
            SwapRequest.meeting,
            SwapRequest.meeting.starts_at.as_alias("starts_at"),
            SwapRequest.role,
            SwapRequest.kind,
            SwapRequest.requester,
            SwapRequest.requester.display_name.as_alias("name"),
        )
        .where(
            (SwapRequest.meeting.group == group.id)
            & (SwapRequest.status == "open")
            & (SwapRequest.meeting.starts_at > now)
        )
        .order_by(SwapRequest.meeting.starts_at)
    )
    away = (
        await Unavailability.select(Unavailability.id, Unavailability.day)
        .where((Unavailability.user == account.id) & (Unavailability.day >= now.date()))
        .order_by(Unavailability.day)
    )
    opted = next(r["opted_out_of_leading"] for r in member_rows if r["user"] == account.id)
    away_days = {r["day"] for r in away}
    taking = {t["meeting"] for t in turns if t["member"] == account.id}
    open_swaps = [
        OpenSwap(
            id=w["id"],
            meeting_id=w["meeting"],
            starts_at=w["starts_at"],
            role=w["role"],
            kind=w["kind"],
            requester=w["name"] if whole else None,
            mine=w["requester"] == account.id,
            can_take=w["requester"] != account.id
            and not opted
            and w["meeting"] not in taking
            and _day(w["starts_at"], zone) not in away_days,
        )
        for w in swaps
    ]
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
    return RotaPage(
        group=group,
        standing=standing,
        upcoming=list(slots.values()),
        ledger=ledger,
        whole_ledger=whole,
        not_led=not_led,
        opted_out=opted,
        away_days=[(r["id"], r["day"]) for r in away],
        my_turns=my_turns,
        open_swaps=open_swaps,
        history=sorted(done.values(), key=lambda slot: slot.starts_at, reverse=True)[:12],
        members=list(names.items()) if standing.is_officer else [],
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
    # Already given a turn that day? Ask for cover straight away, so nobody has to notice.
    turns = await FacilitationTurn.select(
        FacilitationTurn.meeting,
        FacilitationTurn.meeting.starts_at.as_alias("starts_at"),
        FacilitationTurn.meeting._.group._.timezone.as_alias("timezone"),
    ).where((FacilitationTurn.member == account.id) & (FacilitationTurn.meeting.starts_at > now))
    for turn in turns:
        if _day(turn["starts_at"], ZoneInfo(turn["timezone"])) == day:
            await ask_for_swap(turn["meeting"], account, "cover", now)
    return day


async def remove_away_day(account: Account, away_id: int) -> None:
    await Unavailability.delete().where(
        (Unavailability.id == away_id) & (Unavailability.user == account.id)
    )


# Swaps, cover and overrides.

SWAP_KINDS = {
    "cover": "Cover: someone takes this turn and you give one back later",
    "exchange": "Exchange: someone takes this turn and you take their next one",
}
TAKEN = "Someone else has already taken this turn. Thank you for offering."


class SwapTaken(Exception):
    pass


CANNOT_TAKE = (
    "You can't take this turn: you already have a part in that session, you are away that "
    "day, or you have opted out of leading."
)


class CannotTake(Exception):
    pass


async def _my_turn(
    meeting_id: int, account: Account, now: datetime, role: str | None = None
) -> dict[str, Any]:
    query = FacilitationTurn.select(
        FacilitationTurn.role,
        FacilitationTurn.meeting.group.as_alias("group"),
        FacilitationTurn.meeting.starts_at.as_alias("starts_at"),
    ).where((FacilitationTurn.meeting == meeting_id) & (FacilitationTurn.member == account.id))
    if role:
        query = query.where(FacilitationTurn.role == role)
    row = await query.order_by(FacilitationTurn.id).first()
    if row is None or row["starts_at"] <= now:
        raise NotFound()
    await visible_group(row["group"], account, now)
    return row


@dataclass(frozen=True)
class CoverAsk:
    group: int
    meeting: int
    requester: int
    day: date


async def eligible_to_cover(ask: CoverAsk) -> list[int]:
    [eligible] = await eligible_for_each([ask])
    return eligible


async def eligible_for_each(asks: Sequence[CoverAsk]) -> list[list[int]]:
    """For each ask, who could take the turn: active members who lead, other than the
    requester, not away that day and with no part in that session already. Three
    queries, however many asks."""
    if not asks:
        return []
    members: dict[int, list[int]] = defaultdict(list)
    for row in await Membership.select(Membership.group, Membership.user).where(
        Membership.group.is_in(sorted({a.group for a in asks}))
        & (Membership.status == ACTIVE)
        & Membership.opted_out_of_leading.eq(False)
    ):
        members[row["group"]].append(row["user"])
    people = sorted({uid for a in asks for uid in members[a.group]})
    away = {
        (r["user"], r["day"])
        for r in await Unavailability.select(Unavailability.user, Unavailability.day).where(
            Unavailability.user.is_in(people or [0])
            & Unavailability.day.is_in(sorted({a.day for a in asks}))
        )
    }
    taking = {
        (r["meeting"], r["member"])
        for r in await FacilitationTurn.select(
            FacilitationTurn.meeting, FacilitationTurn.member
        ).where(FacilitationTurn.meeting.is_in(sorted({a.meeting for a in asks})))
    }
    return [
        [
            uid
            for uid in members[a.group]
            if uid != a.requester and (uid, a.day) not in away and (a.meeting, uid) not in taking
        ]
        for a in asks
    ]


async def ask_for_swap(
    meeting_id: int, account: Account, kind: str, now: datetime, role: str | None = None
) -> None:
    turn = await _my_turn(meeting_id, account, now, role)
    if kind not in SWAP_KINDS:
        # Keyed to the turn's own choices, which the error summary links to.
        raise FormErrors({f"kind-{meeting_id}-{turn['role']}": "Choose cover or exchange."})
    created = (
        await SwapRequest.insert(
            SwapRequest(
                meeting=meeting_id,
                role=turn["role"],
                requester=account.id,
                kind=kind,
                created_at=now,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(SwapRequest.id)
    )
    if not created:
        return
    group = (
        await Group.select(Group.name, Group.discreet, Group.timezone)
        .where(Group.id == turn["group"])
        .first()
    )
    assert group is not None
    zone = ZoneInfo(group["timezone"])
    what = "a group you belong to" if group["discreet"] else group["name"]
    when = turn["starts_at"].astimezone(zone).strftime("%a %-d %b")
    await notify(
        await eligible_to_cover(
            CoverAsk(turn["group"], meeting_id, account.id, _day(turn["starts_at"], zone))
        ),
        f"Can you take a facilitation turn for {what} on {when}?",
        f"/groups/{turn['group']}/rota",
        now,
    )


async def take_swap(swap_id: int, account: Account, now: datetime) -> None:
    """The first eligible member to accept gets the turn; everyone later is told kindly."""
    swap = (
        await SwapRequest.select(
            SwapRequest.meeting,
            SwapRequest.status,
            SwapRequest.meeting.group.as_alias("group"),
            SwapRequest.meeting.starts_at.as_alias("starts_at"),
        )
        .where(SwapRequest.id == swap_id)
        .first()
    )
    if swap is None:
        raise NotFound()
    group, _, mine = await visible_group(swap["group"], account, now)
    if mine is None or swap["starts_at"] <= now:
        raise NotFound()
    if swap["status"] != "open":
        raise SwapTaken()
    day = _day(swap["starts_at"], ZoneInfo(group.timezone))
    if account.id not in await eligible_to_cover(CoverAsk(swap["group"], swap["meeting"], 0, day)):
        raise CannotTake()
    async with write_transaction():
        claimed = (
            await SwapRequest.update(
                {
                    SwapRequest.status: "taken",
                    SwapRequest.taken_by: account.id,
                    SwapRequest.taken_at: now,
                }
            )
            .where(
                (SwapRequest.id == swap_id)
                & (SwapRequest.status == "open")
                & (SwapRequest.requester != account.id)
            )
            .returning(
                SwapRequest.meeting, SwapRequest.role, SwapRequest.requester, SwapRequest.kind
            )
        )
        if not claimed:
            raise SwapTaken()
        claim = claimed[0]
        cover = claim["kind"] == "cover"
        await FacilitationTurn.update(
            {
                FacilitationTurn.member: account.id,
                FacilitationTurn.origin: "cover" if cover else "swap",
                FacilitationTurn.covered_for: claim["requester"] if cover else None,
            }
        ).where(
            (FacilitationTurn.meeting == claim["meeting"])
            & (FacilitationTurn.role == claim["role"])
        )
        if claim["role"] == "lead":
            await Meeting.update({Meeting.facilitator: account.id}).where(
                Meeting.id == claim["meeting"]
            )
        if not cover:
            await _give_next_turn(
                swap["group"], account.id, claim["requester"], claim["meeting"], claim["role"], now
            )
    await notify(
        [claim["requester"]],
        "Your facilitation turn has been taken. Thank you both.",
        f"/meetings/{claim['meeting']}",
        now,
    )


async def _give_next_turn(
    group_id: int, giver: int, to: int, besides: int, role: str, now: datetime
) -> None:
    """An exchange trades like for like: the helper's next turn in the same role."""
    nxt = (
        await FacilitationTurn.select(
            FacilitationTurn.id, FacilitationTurn.meeting, FacilitationTurn.role
        )
        .where(
            (FacilitationTurn.meeting.group == group_id)
            & (FacilitationTurn.member == giver)
            & (FacilitationTurn.role == role)
            & (FacilitationTurn.meeting != besides)
            & (FacilitationTurn.meeting.starts_at > now)
        )
        .order_by(FacilitationTurn.meeting.starts_at)
        .first()
    )
    if nxt is None:
        return
    await FacilitationTurn.update(
        {FacilitationTurn.member: to, FacilitationTurn.origin: "swap"}
    ).where(FacilitationTurn.id == nxt["id"])
    if nxt["role"] == "lead":
        await Meeting.update({Meeting.facilitator: to}).where(Meeting.id == nxt["meeting"])


async def withdraw_swap(swap_id: int, account: Account) -> None:
    await SwapRequest.update({SwapRequest.status: "withdrawn"}).where(
        (SwapRequest.id == swap_id)
        & (SwapRequest.requester == account.id)
        & (SwapRequest.status == "open")
    )


async def override_turn(
    meeting_id: int, officer: Account, role: str, member_raw: str, note: str, now: datetime
) -> None:
    """A convenor sets who takes a turn, with a note that stays in the rota's history."""
    meeting = await Meeting.select(Meeting.group).where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFound()
    await officer_group(meeting["group"], officer, now)
    field = f"member-{meeting_id}"
    if role not in ROLES:
        raise FormErrors({field: "Choose lead, co-facilitator or shadowing."})
    member = int(member_raw) if member_raw.isdigit() else 0
    if not await Membership.exists().where(
        (Membership.group == meeting["group"])
        & (Membership.user == member)
        & (Membership.status == ACTIVE)
    ):
        raise FormErrors({field: "Choose a member of the group."})
    if not 3 <= len(note.strip()) <= 300:
        raise FormErrors(
            {field: "Add a short note saying why (3 to 300 characters); it stays in the history."}
        )
    async with write_transaction():
        # Two convenors changing one turn at once are decided one after the other.
        await lock_row(Meeting, meeting_id)
        changed = (
            await FacilitationTurn.update(
                {
                    FacilitationTurn.member: member,
                    FacilitationTurn.origin: "override",
                    FacilitationTurn.covered_for: None,
                    FacilitationTurn.note: note.strip(),
                }
            )
            .where((FacilitationTurn.meeting == meeting_id) & (FacilitationTurn.role == role))
            .returning(FacilitationTurn.id)
        )
        if not changed:
            await FacilitationTurn.insert(
                FacilitationTurn(
                    meeting=meeting_id,
                    member=member,
                    role=role,
                    origin="override",
                    note=note.strip(),
                )
            )
        if role == "lead":
            await Meeting.update({Meeting.facilitator: member}).where(Meeting.id == meeting_id)


async def group_of_meeting(meeting_id: int) -> int:
    row = await Meeting.select(Meeting.group).where(Meeting.id == meeting_id).first()
    if row is None:
        raise NotFound()
    return int(row["group"])


async def group_of_swap(swap_id: int) -> int:
    row = (
        await SwapRequest.select(SwapRequest.meeting.group.as_alias("group"))
        .where(SwapRequest.id == swap_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return int(row["group"])


SHADOW_NOTE = (
    "You are shadowing: the lead runs the session, and you watch how. Notice how they open "
    "with the ground rules, how they hold silences, how they bring in quieter voices, and "
    "how they keep time. Afterwards, ask them what they were thinking at the moments that "
    "struck you. Next time you may co-facilitate or lead."
)


@dataclass(frozen=True)
class Preparation:
    meeting_id: int
    group: GroupView
    starts_at: datetime
    role: str | None  # this person's turn, or None for a convenor looking on
    self_check: list[tuple[int, str]]  # Tool 3's Supervisor/leader questions
    needs: list[tuple[str, str]]  # (name, needs) of people coming
    open_actions: list[tuple[str, str]]  # (owner, action) for an action learning set
    shadow_note: str


async def preparation(meeting_id: int, account: Account, now: datetime) -> Preparation:
    meeting = (
        await Meeting.select(Meeting.group, Meeting.starts_at)
        .where(Meeting.id == meeting_id)
        .first()
    )
    if meeting is None:
        raise NotFound()
    group, standing, _ = await visible_group(meeting["group"], account, now)
    turn = (
        await FacilitationTurn.select(FacilitationTurn.role)
        .where((FacilitationTurn.meeting == meeting_id) & (FacilitationTurn.member == account.id))
        .first()
    )
    if turn is None and not standing.is_officer:
        raise NotFound()
    questions = (
        await Prompt.select(Prompt.number, Prompt.text)
        .where((Prompt.bank == "tool3") & (Prompt.lens == "supervisor"))
        .order_by(Prompt.number)
    )
    # Needs go to whoever facilitates, lead, co or shadow: they plan the room together.
    needs: list[tuple[str, str]] = []
    if turn is not None:
        coming = await Rsvp.select(Rsvp.user).where(
            (Rsvp.meeting == meeting_id) & (Rsvp.answer != "no")
        )
        ids = [r["user"] for r in coming]
        people = await User.select(User.display_name, User.accessibility_needs).where(
            User.id.is_in(ids or [0]) & (User.accessibility_needs != "")
        )
        needs = [(p["display_name"], p["accessibility_needs"]) for p in people]
    actions: list[tuple[str, str]] = []
    if group.kind == "action_learning":
        rows = await Action.select(Action.owner.display_name.as_alias("owner"), Action.text).where(
            (Action.group == group.id)
            & Action.status.is_in(["open", "carried_over"])
            & (Action.meeting.starts_at < meeting["starts_at"])
        )
        actions = [(r["owner"], r["text"]) for r in rows]
    return Preparation(
        meeting_id=meeting_id,
        group=group,
        starts_at=meeting["starts_at"],
        role=turn["role"] if turn else None,
        self_check=[(q["number"], q["text"]) for q in questions],
        needs=needs,
        open_actions=actions,
        shadow_note=SHADOW_NOTE,
    )


async def _away(user_ids: list[int], days: dict[int, date]) -> set[tuple[int, date]]:
    """Days each person is away: declared away days, and sessions they said they'd miss."""
    away = {
        (r["user"], r["day"])
        for r in await Unavailability.select(Unavailability.user, Unavailability.day).where(
            Unavailability.user.is_in(user_ids or [0])
        )
    }
    return away | {
        (r["user"], days[r["meeting"]])
        for r in await Rsvp.select(Rsvp.user, Rsvp.meeting).where(
            Rsvp.meeting.is_in(list(days) or [0]) & (Rsvp.answer == "no")
        )
    }


async def _plan_presenters(
    group_id: int,
    memberships: list[dict[str, Any]],
    members: list[engine.Member],
    meeting_rows: list[dict[str, Any]],
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """An action learning set's presenters rotate by the same fair engine as facilitators.

    The set adviser (a convenor) does not present, and presenting needs no shadowing first,
    so everyone else counts as ready from the start.
    """
    turns = await FacilitationTurn.select(
        FacilitationTurn.meeting,
        FacilitationTurn.member,
        FacilitationTurn.meeting.starts_at.as_alias("starts_at"),
    ).where((FacilitationTurn.meeting.group == group_id) & (FacilitationTurn.role == "presenter"))
    presented = {t["meeting"] for t in turns}
    upcoming = [
        engine.Meeting(id=r["id"], day=_day(r["starts_at"], zone))
        for r in meeting_rows
        if r["starts_at"] > now and r["id"] not in presented
    ]
    if not upcoming:
        return 0
    advisers = {r["user"] for r in memberships if r["role"] == "convenor"}
    presenters = [
        engine.Member(id=m.id, joined=m.joined, left=m.left)
        for m in members
        if m.id not in advisers
    ]
    first = min(m.day for m in upcoming) - timedelta(days=1)
    history = [
        engine.Turn(
            meeting_id=t["meeting"], day=_day(t["starts_at"], zone), member=t["member"], role="lead"
        )
        for t in turns
    ] + [engine.Turn(meeting_id=0, day=first, member=m.id, role="shadow") for m in presenters]
    away = await _away([m.id for m in presenters], {m.id: m.day for m in upcoming})
    plan = engine.assign(presenters, upcoming, history, away, mode="rotating")
    rows = [
        FacilitationTurn(meeting=a.meeting_id, member=a.lead, role="presenter")
        for a in plan
        if a.lead is not None
    ]
    if not rows:
        return 0
    inserted = (
        await FacilitationTurn.insert(*rows)
        .on_conflict(action="DO NOTHING")
        .returning(FacilitationTurn.id)
    )
    return len(inserted)
