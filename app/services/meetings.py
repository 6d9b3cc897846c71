"""Meetings: the schedule, making upcoming meetings, RSVPs, attendance, changes and themes.

Meetings and their agendas are for a group's members only: even for a listed group, when
and where a staff network meets is private. Outsiders see the schedule's description.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.db.engine import lock_row, write_transaction
from app.db.tables import (
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
    User,
)
from app.domain import agendas, prompt_rotation
from app.domain.groups import Standing
from app.domain.recurrence import Schedule, describe, occurrences, validate_schedule
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.groups import ACTIVE, GroupView, officer_group, visible_group
from app.services.notifications import notify
from app.services.reminders import meeting_moved, void_for_meeting

HORIZON = 4
ANSWERS = {"going": "Going", "maybe": "Maybe", "no": "Can't come"}
ACCESS_FLAGS = ("step_free", "hearing_loop", "captions", "quiet_room")
ACCESS_LABELS = {
    "step_free": "Step-free access",
    "hearing_loop": "Hearing loop",
    "captions": "Captions",
    "quiet_room": "Quiet room available",
}


def schedule_of(row: dict[str, Any]) -> Schedule | None:
    if not row["schedule_rule"] or row["schedule_first_date"] is None:
        return None
    return Schedule(
        rule=row["schedule_rule"],
        first_date=row["schedule_first_date"],
        local_start=time.fromisoformat(row["schedule_time"]),
        minutes=row["schedule_minutes"],
        timezone=row["timezone"],
        weekday=row["schedule_weekday"],
        nth=row["schedule_nth"],
    )


_SCHEDULE_COLUMNS = (
    Group.id,
    Group.kind,
    Group.timezone,
    Group.schedule_rule,
    Group.schedule_first_date,
    Group.schedule_time,
    Group.schedule_minutes,
    Group.schedule_weekday,
    Group.schedule_nth,
    Group.place,
    Group.online_link,
    Group.step_free,
    Group.hearing_loop,
    Group.captions,
    Group.quiet_room,
    Group.access_notes,
    Group.venue_capacity,
    Group.status,
)


async def schedule_description(group_id: int) -> str:
    row = await Group.select(*_SCHEDULE_COLUMNS).where(Group.id == group_id).first()
    schedule = schedule_of(row) if row else None
    return describe(schedule) if schedule else ""


def _parse_place(raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    link = raw.get("online_link", "").strip()
    if link and not link.startswith("https://"):
        errors["online_link"] = "Enter a meeting link that starts with https://"
    if len(raw.get("place", "")) > 255:
        errors["place"] = "Use at most 255 characters."
    if len(raw.get("access_notes", "")) > 1000:
        errors["access_notes"] = "Use at most 1000 characters."
    capacity_raw = raw.get("venue_capacity", "").strip()
    capacity = (
        int(capacity_raw) if capacity_raw.isdigit() and 0 < int(capacity_raw) <= 1000 else None
    )
    if capacity_raw and capacity is None:
        errors["venue_capacity"] = "Enter how many people the room holds, or leave it empty."
    values: dict[str, Any] = {
        "venue_capacity": capacity,
        "place": raw.get("place", "").strip(),
        "online_link": link,
        "access_notes": raw.get("access_notes", "").strip(),
        **{flag: raw.get(flag) == "true" for flag in ACCESS_FLAGS},
    }
    return values, errors


async def save_schedule(group_id: int, officer: Account, raw: dict[str, str], now: datetime) -> int:
    """Set the group's repeat rule, place and access details; make the next meetings."""
    group = await officer_group(group_id, officer, now)
    schedule, errors = validate_schedule({**raw, "timezone": group.timezone})
    place, place_errors = _parse_place(raw)
    errors.update(place_errors)
    if schedule is None or errors:
        raise FormErrors(errors)
    await Group.update(
        {
            Group.schedule_rule: schedule.rule,
            Group.schedule_first_date: schedule.first_date,
            Group.schedule_time: schedule.local_start.strftime("%H:%M"),
            Group.schedule_minutes: schedule.minutes,
            Group.schedule_weekday: schedule.weekday,
            Group.schedule_nth: schedule.nth,
            **{getattr(Group, k): v for k, v in place.items()},
        }
    ).where(Group.id == group_id)
    return await materialise(group_id, now)


async def _tool3_history(group_id: int) -> list[int]:
    rows = (
        await AgendaItem.select(AgendaItem.prompt.number.as_alias("number"))
        .where(
            (AgendaItem.meeting.group == group_id)
            & (AgendaItem.meeting.status != "cancelled")
            & (AgendaItem.prompt.bank == "tool3")
        )
        .order_by(AgendaItem.meeting.starts_at)
        .order_by(AgendaItem.position)
    )
    return [row["number"] for row in rows]


async def _tool3_ids() -> dict[int, int]:
    rows = await Prompt.select(Prompt.id, Prompt.number).where(Prompt.bank == "tool3")
    return {row["number"]: row["id"] for row in rows}


def _phases_text(phases: tuple[tuple[str, int], ...]) -> str:
    return "\n".join(f"{name}={minutes}" for name, minutes in phases)


async def _draft_agenda(meeting_id: int, group_id: int, kind: str, minutes: int) -> None:
    """Inside the caller's transaction: the kind's agenda with the next Tool 3 prompts."""
    drafts = agendas.draft_agenda(kind, minutes)
    slots = [i for i, d in enumerate(drafts) if d.prompt_lens is not None]
    chosen = (
        prompt_rotation.next_questions(await _tool3_history(group_id), len(slots)) if slots else []
    )
    # The check-in wants a Self question: give it one whenever this draw has one. The
    # promise across meetings (every question before any repeats) comes first.
    chosen.sort(key=lambda n: prompt_rotation.LENS_OF[n] != "self")
    ids = await _tool3_ids()
    prompt_for = dict(zip(slots, chosen, strict=False))
    await _insert_items(
        meeting_id,
        [(d, ids.get(prompt_for[n]) if n in prompt_for else None) for n, d in enumerate(drafts)],
    )


async def _insert_items(meeting_id: int, items: list[tuple[agendas.ItemDraft, int | None]]) -> None:
    await AgendaItem.insert(
        *[
            AgendaItem(
                meeting=meeting_id,
                position=position,
                kind=draft.kind,
                title=draft.title,
                minutes=draft.minutes,
                prompt=prompt_id,
                phases=_phases_text(draft.phases),
            )
            for position, (draft, prompt_id) in enumerate(items)
        ]
    )


async def materialise(group_id: int, now: datetime, horizon: int = HORIZON) -> int:
    """Make the next few meetings from the schedule, each once however often this runs."""
    row = await Group.select(*_SCHEDULE_COLUMNS).where(Group.id == group_id).first()
    schedule = schedule_of(row) if row else None
    # An ended action learning set meets no more.
    if row is None or schedule is None or row["status"] == "ended":
        return 0
    made = 0
    zone = ZoneInfo(schedule.timezone)
    for starts_at, ends_at in occurrences(schedule, now, horizon):
        key = f"{group_id}:{starts_at.astimezone(zone).date().isoformat()}"
        async with write_transaction():
            created = (
                await Meeting.insert(
                    Meeting(
                        group=group_id,
                        occurrence_key=key,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        created_at=now,
                        **{
                            k: row[k]
                            for k in (
                                "place",
                                "online_link",
                                "access_notes",
                                "venue_capacity",
                                *ACCESS_FLAGS,
                            )
                        },
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(Meeting.id)
            )
            if created:
                await _draft_agenda(created[0]["id"], group_id, row["kind"], schedule.minutes)
                made += 1
    return made


async def materialise_all(now: datetime) -> int:
    groups = await Group.select(Group.id).where(
        (Group.schedule_rule != "") & (Group.status != "ended")
    )
    return sum([await materialise(row["id"], now) for row in groups])


@dataclass(frozen=True)
class MeetingView:
    id: int
    group: int
    starts_at: datetime
    ends_at: datetime
    place: str
    online_link: str
    step_free: bool
    hearing_loop: bool
    captions: bool
    quiet_room: bool
    access_notes: str
    venue_capacity: int | None
    status: str
    sequence: int
    attendance_recorded: bool
    notes: str
    facilitator: int | None

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def access(self) -> list[str]:
        return [label for flag, label in ACCESS_LABELS.items() if getattr(self, flag)]


MEETING_COLUMNS = (
    Meeting.id,
    Meeting.group,
    Meeting.starts_at,
    Meeting.ends_at,
    Meeting.place,
    Meeting.online_link,
    Meeting.step_free,
    Meeting.hearing_loop,
    Meeting.captions,
    Meeting.quiet_room,
    Meeting.access_notes,
    Meeting.venue_capacity,
    Meeting.status,
    Meeting.sequence,
    Meeting.attendance_recorded,
    Meeting.notes,
    Meeting.facilitator,
)


async def group_meetings(
    group_id: int, now: datetime, past: int = 6
) -> tuple[list[MeetingView], list[MeetingView]]:
    upcoming = (
        await Meeting.select(*MEETING_COLUMNS)
        .where((Meeting.group == group_id) & (Meeting.ends_at >= now))
        .order_by(Meeting.starts_at)
        .limit(HORIZON * 2)
    )
    earlier = (
        await Meeting.select(*MEETING_COLUMNS)
        .where((Meeting.group == group_id) & (Meeting.ends_at < now))
        .order_by(Meeting.starts_at, ascending=False)
        .limit(past)
    )
    return [MeetingView(**r) for r in upcoming], [MeetingView(**r) for r in earlier]


@dataclass(frozen=True)
class AgendaItemView:
    id: int
    position: int
    kind: str
    title: str
    minutes: int
    prompt_id: int | None
    prompt_bank: str | None
    prompt_number: int | None
    prompt_lens: str | None
    prompt_text: str | None
    prompt_source: str | None
    phases: list[tuple[str, int]]


async def agenda_of(meeting_id: int) -> list[AgendaItemView]:
    rows = (
        await AgendaItem.select(
            AgendaItem.id,
            AgendaItem.position,
            AgendaItem.kind,
            AgendaItem.title,
            AgendaItem.minutes,
            AgendaItem.prompt.id.as_alias("prompt_id"),
            AgendaItem.prompt.bank.as_alias("prompt_bank"),
            AgendaItem.prompt.number.as_alias("prompt_number"),
            AgendaItem.prompt.lens.as_alias("prompt_lens"),
            AgendaItem.prompt.text.as_alias("prompt_text"),
            AgendaItem.prompt.source.as_alias("prompt_source"),
            AgendaItem.phases,
        )
        .where(AgendaItem.meeting == meeting_id)
        .order_by(AgendaItem.position)
    )
    items = []
    for row in rows:
        phases = [
            (name, int(minutes))
            for name, _, minutes in (line.partition("=") for line in row.pop("phases").splitlines())
            if minutes.isdigit()
        ]
        items.append(AgendaItemView(**row, phases=phases))
    return items


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    pronouns: str
    accessibility_needs: str


@dataclass(frozen=True)
class MeetingPage:
    group: GroupView
    standing: Standing
    meeting: MeetingView
    agenda: list[AgendaItemView]
    my_answer: str | None
    answers: dict[str, list[Person]] | None  # for the facilitator and convenors
    attended: set[int]
    members: list[Person]
    needs: list[Person]  # attendees' accessibility needs, for the facilitator only
    themes: list[str]
    facilitator_name: str | None
    past: bool
    # Tool 2's paired questions, as aids for an action learning presenter's questioning.
    question_aids: list[tuple[str, str]]
    # Who else has a turn at this meeting, by role (co, shadow, presenter), for members.
    turns: dict[str, list[str]]

    @property
    def can_run(self) -> bool:
        return self.standing.is_officer or self.is_facilitator

    @property
    def is_facilitator(self) -> bool:
        return self.meeting.facilitator is not None and self.meeting.facilitator == self.viewer_id

    viewer_id: int = 0


async def member_meeting(
    meeting_id: int, account: Account, now: datetime
) -> tuple[GroupView, Standing, MeetingView]:
    row = await Meeting.select(*MEETING_COLUMNS).where(Meeting.id == meeting_id).first()
    if row is None:
        raise NotFound()
    group, standing, _ = await visible_group(row["group"], account, now)
    if not (standing.is_member or standing.break_glass):
        raise NotFound()
    return group, standing, MeetingView(**row)


async def _runner_meeting(
    meeting_id: int, account: Account, now: datetime
) -> tuple[GroupView, MeetingView]:
    group, standing, meeting = await member_meeting(meeting_id, account, now)
    if not (standing.is_officer or meeting.facilitator == account.id):
        raise NotFound()
    return group, meeting


async def meeting_page(meeting_id: int, account: Account, now: datetime) -> MeetingPage:
    group, standing, meeting = await member_meeting(meeting_id, account, now)
    runner = standing.is_officer or meeting.facilitator == account.id
    member_rows = (
        (
            await Membership.select(
                Membership.user.id.as_alias("id"),
                Membership.user.display_name.as_alias("name"),
                Membership.user.pronouns.as_alias("pronouns"),
                Membership.user.accessibility_needs.as_alias("accessibility_needs"),
            )
            .where((Membership.group == group.id) & (Membership.status == ACTIVE))
            .order_by(Membership.joined_at)
        )
        if runner
        else []
    )
    members = [Person(**r) for r in member_rows]
    rsvp_rows = await Rsvp.select(Rsvp.user, Rsvp.answer).where(Rsvp.meeting == meeting_id)
    by_user = {r["user"]: r["answer"] for r in rsvp_rows}
    answers = None
    if runner:
        answers = {key: [p for p in members if by_user.get(p.id) == key] for key in ANSWERS}
    attended = {
        r["user"]
        for r in await Attendance.select(Attendance.user).where(Attendance.meeting == meeting_id)
    }
    is_facilitator = meeting.facilitator == account.id
    needs = (
        [p for p in members if p.accessibility_needs and by_user.get(p.id) != "no"]
        if is_facilitator
        else []
    )
    theme_rows = await MeetingTheme.select(MeetingTheme.theme.name.as_alias("name")).where(
        MeetingTheme.meeting == meeting_id
    )
    facilitator = (
        await User.select(User.display_name).where(User.id == meeting.facilitator).first()
        if meeting.facilitator
        else None
    )
    agenda = await agenda_of(meeting_id)
    turns = await _turns(group, standing, meeting_id, account.id) if standing.is_member else {}
    aids = []
    if any(item.kind == "presenter" for item in agenda):
        rows = (
            await Prompt.select(Prompt.text, Prompt.pair)
            .where((Prompt.bank == "tool2") & Prompt.retired.eq(False))
            .order_by(Prompt.number)
        )
        aids = [(row["text"], row["pair"]) for row in rows]
    return MeetingPage(
        group=group,
        standing=standing,
        meeting=meeting,
        agenda=agenda,
        my_answer=by_user.get(account.id),
        answers=answers,
        attended=attended,
        members=members,
        needs=needs,
        themes=sorted(r["name"] for r in theme_rows),
        facilitator_name=facilitator["display_name"] if facilitator else None,
        past=meeting.starts_at <= now,
        question_aids=aids,
        turns=turns,
        viewer_id=account.id,
    )


TURN_ROLES = ("co", "shadow", "presenter")


async def _turns(
    group: GroupView, standing: Standing, meeting_id: int, viewer_id: int
) -> dict[str, list[str]]:
    """Co-facilitators, shadows and presenters, in one query.

    Named as on the rota page: where only convenors may see the member list, other
    members see "A member" for anyone but themselves.
    """
    roles = TURN_ROLES if group.kind == "action_learning" else TURN_ROLES[:2]
    rows = (
        await FacilitationTurn.select(
            FacilitationTurn.role,
            FacilitationTurn.member,
            FacilitationTurn.member.display_name.as_alias("name"),
        )
        .where((FacilitationTurn.meeting == meeting_id) & FacilitationTurn.role.is_in(list(roles)))
        .order_by(FacilitationTurn.id)
    )
    whole = standing.is_officer or group.member_list == "members"
    turns: dict[str, list[str]] = {}
    for row in rows:
        name = row["name"] if whole or row["member"] == viewer_id else "A member"
        turns.setdefault(row["role"], []).append(name)
    return turns


async def set_rsvp(meeting_id: int, account: Account, answer: str, now: datetime) -> None:
    _group, standing, meeting = await member_meeting(meeting_id, account, now)
    if not standing.is_member:
        raise NotFound()
    if answer not in ANSWERS:
        raise FormErrors({"answer": "Choose going, maybe or can't come."})
    if meeting.cancelled or meeting.ends_at < now:
        raise FormErrors({"answer": "This session has been cancelled or has already happened."})
    async with write_transaction():
        if answer == "going" and meeting.venue_capacity is not None:
            # Counted under the meeting's lock: two people taking the last place at once
            # cannot both get it.
            await lock_row(Meeting, meeting_id)
            going = await Rsvp.count().where(
                (Rsvp.meeting == meeting_id) & (Rsvp.answer == "going") & (Rsvp.user != account.id)
            )
            if going >= meeting.venue_capacity:
                raise FormErrors(
                    {
                        "answer": f"The room holds {meeting.venue_capacity} and every place is "
                        "taken. Choose maybe, and you'll be told if a place comes free."
                    }
                )
        await Rsvp.insert(
            Rsvp(meeting=meeting_id, user=account.id, answer=answer, answered_at=now)
        ).on_conflict(
            target=(Rsvp.meeting, Rsvp.user),
            action="DO UPDATE",
            values=[Rsvp.answer, Rsvp.answered_at],
        )


async def record_attendance(
    meeting_id: int, account: Account, attended: list[int], now: datetime
) -> None:
    group, meeting = await _runner_meeting(meeting_id, account, now)
    if meeting.starts_at > now:
        raise FormErrors({"attended": "Attendance can be recorded once the session has started."})
    members = {
        r["user"]
        for r in await Membership.select(Membership.user).where(
            (Membership.group == group.id) & (Membership.status == ACTIVE)
        )
    }
    async with write_transaction():
        await Attendance.delete().where(Attendance.meeting == meeting_id)
        rows = [Attendance(meeting=meeting_id, user=uid) for uid in sorted(set(attended) & members)]
        if rows:
            await Attendance.insert(*rows)
        await Meeting.update({Meeting.attendance_recorded: True}).where(Meeting.id == meeting_id)


THEME_MAX = 60


async def record_themes(
    meeting_id: int, account: Account, tags: list[str], notes: str, now: datetime
) -> None:
    """Themes from a shared vocabulary (new tags allowed), and short unattributed notes."""
    await _runner_meeting(meeting_id, account, now)
    names = sorted({" ".join(t.split()).lower() for t in tags if t.strip()})
    errors: dict[str, str] = {}
    if any(len(n) > THEME_MAX for n in names):
        errors["themes"] = f"Keep each theme to {THEME_MAX} characters."
    if len(notes) > 1000:
        errors["notes"] = "Keep notes to 1000 characters: themes, not a transcript."
    if errors:
        raise FormErrors(errors)
    async with write_transaction():
        if names:
            await Theme.insert(*[Theme(name=n) for n in names]).on_conflict(action="DO NOTHING")
        ids = [r["id"] for r in await Theme.select(Theme.id).where(Theme.name.is_in(names or [""]))]
        await MeetingTheme.delete().where(MeetingTheme.meeting == meeting_id)
        if ids:
            await MeetingTheme.insert(*[MeetingTheme(meeting=meeting_id, theme=i) for i in ids])
        await Meeting.update({Meeting.notes: notes.strip()}).where(Meeting.id == meeting_id)


async def theme_vocabulary() -> list[str]:
    return [r["name"] for r in await Theme.select(Theme.name).order_by(Theme.name).limit(200)]


async def cancel_meeting(meeting_id: int, officer: Account, now: datetime) -> MeetingView:
    group, meeting = await _runner_meeting(meeting_id, officer, now)
    cancelled = (
        await Meeting.update({Meeting.status: "cancelled", Meeting.sequence: Meeting.sequence + 1})
        .where((Meeting.id == meeting_id) & (Meeting.status != "cancelled"))
        .returning(Meeting.id)
    )
    if cancelled:
        await void_for_meeting(meeting_id)
        going = await Rsvp.select(Rsvp.user).where(
            (Rsvp.meeting == meeting_id) & (Rsvp.answer == "going")
        )
        what = (
            "a session of a group you belong to" if group.discreet else f"the {group.name} session"
        )
        local = meeting.starts_at.astimezone(ZoneInfo(group.timezone)).strftime(
            "%a %-d %b at %H:%M"
        )
        await notify(
            [r["user"] for r in going],
            f"Cancelled: {what} on {local}.",
            f"/meetings/{meeting_id}",
            now,
        )
    return meeting


async def change_meeting(
    meeting_id: int, officer: Account, raw: dict[str, str], now: datetime
) -> None:
    """Move or change one meeting; the others are untouched."""
    group, meeting = await _runner_meeting(meeting_id, officer, now)
    errors: dict[str, str] = {}
    zone = ZoneInfo(group.timezone)
    starts_at = meeting.starts_at
    try:
        local = datetime.combine(
            date.fromisoformat(raw.get("date", "")), time.fromisoformat(raw.get("start", ""))
        )
        starts_at = local.replace(tzinfo=zone).astimezone(meeting.starts_at.tzinfo)
    except ValueError:
        errors["date"] = "Enter a date like 2027-01-31 and a time like 19:00."
    minutes_raw = raw.get("minutes", "")
    minutes = int(minutes_raw) if minutes_raw.isdigit() else 0
    if not 15 <= minutes <= 480:
        errors["minutes"] = "Enter a length from 15 to 480 minutes."
    place, place_errors = _parse_place(raw)
    errors.update(place_errors)
    if errors:
        raise FormErrors(errors)
    await Meeting.update(
        {
            Meeting.starts_at: starts_at,
            Meeting.ends_at: starts_at + timedelta(minutes=minutes),
            Meeting.sequence: Meeting.sequence + 1,
            **{getattr(Meeting, k): v for k, v in place.items()},
        }
    ).where(Meeting.id == meeting_id)
    await meeting_moved(meeting_id, now)


async def set_facilitator(
    meeting_id: int, officer: Account, user_id: int | None, now: datetime
) -> None:
    group = (await member_meeting(meeting_id, officer, now))[0]
    await officer_group(group.id, officer, now)
    if user_id is not None and not await Membership.exists().where(
        (Membership.group == group.id)
        & (Membership.user == user_id)
        & (Membership.status == ACTIVE)
    ):
        raise FormErrors({"facilitator": "Choose a member of the group."})
    await Meeting.update({Meeting.facilitator: user_id}).where(Meeting.id == meeting_id)


async def swap_prompt(
    meeting_id: int, item_id: int, account: Account, lens: str, now: datetime
) -> None:
    """Swap one agenda item's Tool 3 question, keeping the group's rotation promise."""
    group, _meeting = await _runner_meeting(meeting_id, account, now)
    agenda = await agenda_of(meeting_id)
    item = next((i for i in agenda if i.id == item_id and i.prompt_bank == "tool3"), None)
    if item is None or item.prompt_number is None:
        raise NotFound()
    current = [i.prompt_number for i in agenda if i.prompt_bank == "tool3" and i.prompt_number]
    history = [n for n in await _tool3_history(group.id)]
    # This meeting's own questions are what is being changed, so they are not history.
    for number in current:
        if number in history:
            history.remove(number)
    try:
        number = prompt_rotation.swap(history, current, item.prompt_number, lens or None)
    except ValueError as e:
        raise FormErrors({f"lens-{item_id}": str(e)}) from None
    ids = await _tool3_ids()
    await AgendaItem.update({AgendaItem.prompt: ids[number]}).where(AgendaItem.id == item_id)


async def schedule_form_values(group_id: int) -> dict[str, str]:
    row = await Group.select(*_SCHEDULE_COLUMNS).where(Group.id == group_id).first()
    assert row is not None
    first = row["schedule_first_date"]
    return {
        "rule": row["schedule_rule"] or "every_2_weeks",
        "first_date": first.isoformat() if first else "",
        "local_start": row["schedule_time"] or "18:30",
        "minutes": str(row["schedule_minutes"]),
        "weekday": "" if row["schedule_weekday"] is None else str(row["schedule_weekday"]),
        "nth": "" if row["schedule_nth"] is None else str(row["schedule_nth"]),
        "place": row["place"],
        "online_link": row["online_link"],
        "access_notes": row["access_notes"],
        "venue_capacity": "" if row["venue_capacity"] is None else str(row["venue_capacity"]),
        **{flag: "true" if row[flag] else "" for flag in ACCESS_FLAGS},
    }


def change_form_values(meeting: MeetingView, timezone: str) -> dict[str, str]:
    local = meeting.starts_at.astimezone(ZoneInfo(timezone))
    return {
        "date": local.date().isoformat(),
        "start": local.strftime("%H:%M"),
        "minutes": str(meeting.minutes),
        "place": meeting.place,
        "online_link": meeting.online_link,
        "access_notes": meeting.access_notes,
        "venue_capacity": "" if meeting.venue_capacity is None else str(meeting.venue_capacity),
        **{flag: "true" if getattr(meeting, flag) else "" for flag in ACCESS_FLAGS},
    }


@dataclass(frozen=True)
class GroupSessions:
    description: str
    upcoming: list[MeetingView]
    past: list[MeetingView]
    coverage: dict[str, list[int]]
    shown: bool  # meetings are for members: others see only the description


async def group_sessions(group: GroupView, standing: Standing, now: datetime) -> GroupSessions:
    description = await schedule_description(group.id)
    if not (standing.is_member or standing.break_glass):
        return GroupSessions(description, [], [], {}, shown=False)
    upcoming, past = await group_meetings(group.id, now)
    coverage = prompt_rotation.coverage(await _tool3_history(group.id))
    return GroupSessions(description, upcoming, past, coverage, shown=True)


# Editing an agenda. Every change keeps the items adding up to the meeting's length: the
# largest flexible item (discussion, reflection, presenter's slot) absorbs the difference.


def _draft_of(item: AgendaItemView) -> agendas.ItemDraft:
    return agendas.ItemDraft(
        kind=item.kind, title=item.title, minutes=item.minutes, phases=tuple(item.phases)
    )


async def _write_agenda(meeting_id: int, items: list[tuple[agendas.ItemDraft, int | None]]) -> None:
    async with write_transaction():
        await AgendaItem.delete().where(AgendaItem.meeting == meeting_id)
        await _insert_items(meeting_id, items)


def _fit(
    drafts: list[agendas.ItemDraft], minutes: int, keep: int | None, field: str
) -> list[agendas.ItemDraft]:
    """Rebalance, leaving the item just edited (index `keep`) as the person set it."""
    try:
        if keep is None:
            return agendas.rebalance(drafts, minutes)
        others = drafts[:keep] + drafts[keep + 1 :]
        fitted = agendas.rebalance(others, minutes - drafts[keep].minutes) if others else []
        return [*fitted[:keep], drafts[keep], *fitted[keep:]]
    except ValueError as e:
        raise FormErrors({field: str(e)}) from None


def _item_fields(title: str, minutes: str, field: str) -> tuple[str, int]:
    title = " ".join(title.split())
    errors: dict[str, str] = {}
    if not 1 <= len(title) <= 200:
        errors[f"title-{field}"] = "Give the item a title of up to 200 characters."
    if not minutes.isdigit() or not 1 <= int(minutes) <= 480:
        errors[f"minutes-{field}"] = "Enter a whole number of minutes."
    if errors:
        raise FormErrors(errors)
    return title, int(minutes)


async def edit_agenda(
    meeting_id: int,
    account: Account,
    action: str,
    item_id: int | None,
    raw: dict[str, str],
    now: datetime,
) -> None:
    """Edit, add, remove or move an item; `action` is edit|add|remove|up|down."""
    _, meeting = await _runner_meeting(meeting_id, account, now)
    if meeting.cancelled or meeting.starts_at <= now:
        raise FormErrors({"agenda": "This session's agenda can no longer be changed."})
    current = await agenda_of(meeting_id)
    drafts = [_draft_of(item) for item in current]
    prompts = [item.prompt_id for item in current]
    at = next((n for n, item in enumerate(current) if item.id == item_id), None)
    if action != "add" and at is None:
        raise NotFound()
    if action == "edit" and at is not None:
        title, minutes = _item_fields(raw.get("title", ""), raw.get("minutes", ""), str(item_id))
        drafts[at] = replace(drafts[at], title=title, minutes=minutes)
        drafts = _fit(drafts, meeting.minutes, at, f"minutes-{item_id}")
    elif action == "add":
        title, minutes = _item_fields(raw.get("title", ""), raw.get("minutes", ""), "new")
        drafts.append(agendas.ItemDraft(kind="other", title=title, minutes=minutes))
        prompts.append(None)
        drafts = _fit(drafts, meeting.minutes, len(drafts) - 1, "minutes-new")
    elif action == "remove" and at is not None:
        del drafts[at], prompts[at]
        drafts = _fit(drafts, meeting.minutes, None, "agenda")
    elif action in {"up", "down"} and at is not None:
        to = at - 1 if action == "up" else at + 1
        if 0 <= to < len(drafts):
            drafts[at], drafts[to] = drafts[to], drafts[at]
            prompts[at], prompts[to] = prompts[to], prompts[at]
    await _write_agenda(meeting_id, list(zip(drafts, prompts, strict=True)))


async def suggest_topic(meeting_id: int, account: Account, topic: str, now: datetime) -> None:
    """A staff network member adds a topic before the session, unattributed."""
    group, standing, meeting = await member_meeting(meeting_id, account, now)
    if group.kind != "staff_network" or not standing.is_member:
        raise NotFound()
    if meeting.cancelled or meeting.starts_at <= now:
        raise FormErrors({"topic": "Topics can be suggested until the session starts."})
    topic = " ".join(topic.split())
    if not 3 <= len(topic) <= 150:
        raise FormErrors({"topic": "Describe the topic in 3 to 150 characters."})
    current = await agenda_of(meeting_id)
    drafts = [_draft_of(item) for item in current]
    prompts = [item.prompt_id for item in current]
    # Before any other business, where the format puts members' items.
    at = next((n for n, d in enumerate(drafts) if d.kind == "aob"), len(drafts))
    drafts.insert(
        at, agendas.ItemDraft(kind="member_items", title=f"Suggested topic: {topic}", minutes=5)
    )
    prompts.insert(at, None)
    drafts = _fit(drafts, meeting.minutes, at, "topic")
    await _write_agenda(meeting_id, list(zip(drafts, prompts, strict=True)))


async def pick_prompt(
    meeting_id: int, item_id: int, account: Account, prompt_id: str, now: datetime
) -> None:
    """Put a prompt from another bank (Tool 1, Nussbaum, caring conversations, custom) here."""
    await _runner_meeting(meeting_id, account, now)
    if not prompt_id.isdigit():
        raise FormErrors({f"bank-{item_id}": "Choose a prompt from the list."})
    chosen = (
        await Prompt.select(Prompt.id)
        .where((Prompt.id == int(prompt_id)) & (Prompt.bank != "tool3") & Prompt.retired.eq(False))
        .first()
    )
    if chosen is None:
        raise FormErrors({f"bank-{item_id}": "Choose a prompt from the list."})
    updated = (
        await AgendaItem.update({AgendaItem.prompt: chosen["id"]})
        .where((AgendaItem.id == item_id) & (AgendaItem.meeting == meeting_id))
        .returning(AgendaItem.id)
    )
    if not updated:
        raise NotFound()


async def other_bank_prompts() -> list[tuple[str, list[tuple[int, str]]]]:
    """Prompts outside Tool 3, grouped by bank, for the facilitator's picker."""
    rows = (
        await Prompt.select(Prompt.id, Prompt.bank, Prompt.text)
        .where((Prompt.bank != "tool3") & (Prompt.bank != "tool2") & Prompt.retired.eq(False))
        .order_by(Prompt.bank)
        .order_by(Prompt.number)
    )
    grouped: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        grouped.setdefault(row["bank"], []).append((row["id"], row["text"]))
    return list(grouped.items())
