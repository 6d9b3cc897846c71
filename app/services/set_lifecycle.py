"""An action learning set's end: the closing review prompt, recording the review, then
ending the set or carrying on self-facilitated.

The rules are in app.domain.set_lifecycle. Every change is decided under the group's row
lock, so two convenors clicking "End" and "Continue" at once are decided one at a time,
and the prompt is claimed by a conditional update, so any number of job processes send
it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from app.db.engine import lock_row, write_transaction
from app.db.tables import (
    Action,
    FacilitationTurn,
    Group,
    Invitation,
    JoinRequest,
    Meeting,
    Membership,
    SwapRequest,
)
from app.domain import set_lifecycle as rules
from app.domain.groups import Standing
from app.domain.set_lifecycle import Phase
from app.services.accounts import Account
from app.services.actions import STATUSES
from app.services.errors import FormErrors, NotFound
from app.services.groups import ACTIVE, GroupView, officer_group
from app.services.notifications import notify
from app.services.reminders import void_pending
from app.services.rota import FACILITATING, plan_rota

_PHASE_COLUMNS = (Group.status, Group.term_ends, Group.closing_review_at, Group.timezone)


def _phase(
    status: str,
    term_ends: date | None,
    closing_review_at: datetime | None,
    timezone: str,
    now: datetime,
) -> Phase:
    reviewed_on = rules.local_date(closing_review_at, timezone) if closing_review_at else None
    return rules.phase(
        status=status,
        term_ends=term_ends,
        reviewed_on=reviewed_on,
        today=rules.local_date(now, timezone),
    )


def phase_of(group: GroupView, now: datetime) -> Phase | None:
    """A set's phase; None for the other kinds of group, which have no closing review."""
    if group.kind != "action_learning":
        return None
    return _phase(group.status, group.term_ends, group.closing_review_at, group.timezone, now)


def _name(group: GroupView | dict[str, Any]) -> str:
    # Discreet groups are never named in notifications, which can be read over a shoulder.
    if isinstance(group, GroupView):
        discreet, name = group.discreet, group.name
    else:
        discreet, name = group["discreet"], group["name"]
    return "an action learning set you belong to" if discreet else str(name)


async def _member_ids(group_id: int) -> list[int]:
    rows = await Membership.select(Membership.user).where(
        (Membership.group == group_id) & (Membership.status == ACTIVE)
    )
    return [r["user"] for r in rows]


# ----------------------------------------------------------------------- the group page


@dataclass(frozen=True)
class MyAction:
    id: int
    text: str
    status: str
    review_note: str
    raised_at: datetime

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


@dataclass(frozen=True)
class ClosingPanel:
    phase: Phase
    term_ends: date | None
    overdue: bool  # the term's last day has passed
    reviewed_at: datetime | None
    review_note: str
    ended_at: datetime | None
    steps: tuple[str, ...]  # what this person may do next: "end", "continue"
    can_record: bool
    my_actions: list[MyAction]  # an ended set's member's own actions


async def my_actions(group_id: int, user_id: int) -> list[MyAction]:
    rows = (
        await Action.select(
            Action.id,
            Action.text,
            Action.status,
            Action.review_note,
            Action.meeting.starts_at.as_alias("raised_at"),
        )
        .where((Action.group == group_id) & (Action.owner == user_id))
        .order_by(Action.meeting.starts_at)
        .order_by(Action.id)
    )
    return [MyAction(**row) for row in rows]


async def closing_panel(
    group: GroupView, standing: Standing, user_id: int, now: datetime
) -> ClosingPanel | None:
    """What the group page says about the set's term, and what this person may do."""
    phase = phase_of(group, now)
    if phase is None:
        return None
    officer = standing.is_officer
    return ClosingPanel(
        phase=phase,
        term_ends=group.term_ends,
        overdue=group.term_ends is not None
        and group.term_ends < rules.local_date(now, group.timezone),
        reviewed_at=group.closing_review_at,
        review_note=group.closing_review_note,
        ended_at=group.ended_at,
        steps=rules.STEPS.get(phase, ()) if officer else (),
        can_record=officer and phase == "review_due",
        my_actions=await my_actions(group.id, user_id)
        if phase == "ended" and standing.is_member
        else [],
    )


# ----------------------------------------------------------------------- convenors' steps


async def _set_of(group_id: int, officer: Account, now: datetime) -> GroupView:
    group = await officer_group(group_id, officer, now)
    if group.kind != "action_learning":
        raise NotFound()
    return group


async def _locked_phase(group_id: int, now: datetime) -> tuple[Phase, dict[str, Any]]:
    """Inside a write transaction: lock the group, then read its phase afresh."""
    await lock_row(Group, group_id)
    row = await Group.select(*_PHASE_COLUMNS).where(Group.id == group_id).first()
    if row is None:
        raise NotFound()
    phase = _phase(row["status"], row["term_ends"], row["closing_review_at"], row["timezone"], now)
    return phase, row


async def record_review(group_id: int, officer: Account, note: str, now: datetime) -> bool:
    """Record that the closing review was held (now), with what it concluded.

    False when it was recorded already (a second click); NotFound when no review is due.
    """
    group = await _set_of(group_id, officer, now)
    if phase_of(group, now) not in ("review_due", "reviewed"):
        raise NotFound()
    error = rules.check_review_note(note)
    if error:
        raise FormErrors({"closing_note": error})
    async with write_transaction():
        phase, _ = await _locked_phase(group_id, now)
        if phase == "reviewed":
            return False
        if phase != "review_due":
            raise NotFound()
        await Group.update(
            {Group.closing_review_at: now, Group.closing_review_note: note.strip()}
        ).where(Group.id == group_id)
    return True


@dataclass(frozen=True)
class StepView:
    group: GroupView
    step: str  # "end" | "continue"
    new_term_ends: date | None  # where carrying on moves the end date


async def confirm_step(group_id: int, officer: Account, step: str, now: datetime) -> StepView:
    """The confirmation page for ending or continuing; NotFound when the step isn't open."""
    group = await _set_of(group_id, officer, now)
    phase = phase_of(group, now)
    if phase is None or step not in rules.STEPS.get(phase, ()):
        raise NotFound()
    today = rules.local_date(now, group.timezone)
    new_end = rules.continued_term_ends(group.term_ends, today) if step == "continue" else None
    return StepView(group=group, step=step, new_term_ends=new_end)


async def end_set(group_id: int, officer: Account, now: datetime) -> bool:
    """End the set after its closing review: no more meetings, joining closed.

    Members keep the group page, with their own actions, read-only. False when the set
    had ended already.
    """
    group = await _set_of(group_id, officer, now)
    async with write_transaction():
        phase, _ = await _locked_phase(group_id, now)
        if phase == "ended":
            return False
        if "end" not in rules.STEPS.get(phase, ()):
            raise NotFound()
        await Group.update({Group.status: rules.ENDED, Group.ended_at: now}).where(
            Group.id == group_id
        )
        cancelled = (
            await Meeting.update(
                {Meeting.status: "cancelled", Meeting.sequence: Meeting.sequence + 1}
            )
            .where(
                (Meeting.group == group_id)
                & (Meeting.starts_at > now)
                & (Meeting.status != "cancelled")
            )
            .returning(Meeting.id)
        )
        if cancelled:
            meetings = [r["id"] for r in cancelled]
            withdrawn = (
                await SwapRequest.update({SwapRequest.status: "withdrawn"})
                .where(SwapRequest.meeting.is_in(meetings) & (SwapRequest.status == "open"))
                .returning(SwapRequest.id)
            )
            # Nobody should be reminded of, or asked to cover, a session that will not be.
            await void_pending(meetings, [r["id"] for r in withdrawn])
        await Invitation.update({Invitation.revoked_at: now}).where(
            (Invitation.group == group_id) & Invitation.revoked_at.is_null()
        )
        declined = (
            await JoinRequest.update(
                {
                    JoinRequest.status: "declined",
                    JoinRequest.decision_message: "The set has ended.",
                    JoinRequest.decided_by: officer.id,
                    JoinRequest.decided_at: now,
                }
            )
            .where((JoinRequest.group == group_id) & (JoinRequest.status == "pending"))
            .returning(JoinRequest.user)
        )
    members = [uid for uid in await _member_ids(group_id) if uid != officer.id]
    await notify(
        members,
        f"Ended: {_name(group)}. Its page keeps your own actions from the set.",
        f"/groups/{group_id}",
        now,
    )
    await notify(
        [r["user"] for r in declined],
        f"Your request to join {_name(group)} was not accepted: the set has ended.",
        "/groups",
        now,
    )
    return True


async def continue_set(group_id: int, officer: Account, now: datetime) -> bool:
    """Carry on self-facilitated: facilitation rotates among members, for a further term.

    Upcoming sessions that the rota gave to the set adviser are planned again in rotation;
    turns people swapped, covered or a convenor set by hand stay. False when the set was
    carrying on already.
    """
    group = await _set_of(group_id, officer, now)
    today = rules.local_date(now, group.timezone)
    async with write_transaction():
        phase, row = await _locked_phase(group_id, now)
        if phase == "continuing":
            return False
        if "continue" not in rules.STEPS.get(phase, ()):
            raise NotFound()
        new_end = rules.continued_term_ends(row["term_ends"], today)
        await Group.update(
            {
                Group.facilitation: "rotating",
                Group.term_ends: new_end,
                # The next term has its own closing review, and its own prompt.
                Group.closing_prompted_at: None,
            }
        ).where(Group.id == group_id)
        await _clear_planned_turns(group_id, now)
    await plan_rota(group_id, now)
    members = [uid for uid in await _member_ids(group_id) if uid != officer.id]
    await notify(
        members,
        f"Carrying on self-facilitated: {_name(group)}, until "
        f"{new_end.strftime('%-d %B %Y')}. Facilitation now rotates among members.",
        f"/groups/{group_id}/rota",
        now,
    )
    return True


async def _clear_planned_turns(group_id: int, now: datetime) -> None:
    """Inside the caller's transaction: forget the rota's leads for upcoming sessions."""
    planned = await FacilitationTurn.select(FacilitationTurn.meeting).where(
        (FacilitationTurn.meeting.group == group_id)
        & (FacilitationTurn.meeting.starts_at > now)
        & (FacilitationTurn.meeting.status != "cancelled")
        & (FacilitationTurn.role == "lead")
        & (FacilitationTurn.origin == "rota")
    )
    meeting_ids = [r["meeting"] for r in planned]
    if not meeting_ids:
        return
    roles = list(FACILITATING)
    await SwapRequest.update({SwapRequest.status: "withdrawn"}).where(
        SwapRequest.meeting.is_in(meeting_ids)
        & SwapRequest.role.is_in(roles)
        & (SwapRequest.status == "open")
    )
    await FacilitationTurn.delete().where(
        FacilitationTurn.meeting.is_in(meeting_ids)
        & FacilitationTurn.role.is_in(roles)
        & (FacilitationTurn.origin == "rota")
    )
    await Meeting.update({Meeting.facilitator: None}).where(Meeting.id.is_in(meeting_ids))


# ----------------------------------------------------------------------- the hourly prompt


async def prompt_closing_reviews(now: datetime) -> int:
    """Tell every member of each set entering its review window, once per term.

    The claim is a conditional update of closing_prompted_at inside the transaction that
    sends the notifications: two processes at once prompt once, and a failed send leaves
    the set unclaimed for the next tick.
    """
    # Local dates differ from UTC's by less than a day: look one day further, then decide
    # in each set's own timezone.
    horizon = (now + rules.REVIEW_WINDOW + timedelta(days=1)).date()
    rows = await Group.select(Group.id, Group.name, Group.discreet, *_PHASE_COLUMNS).where(
        (Group.kind == "action_learning")
        & (Group.status == rules.ACTIVE)
        & Group.closing_prompted_at.is_null()
        & Group.term_ends.is_not_null()
        & (Group.term_ends <= horizon)
    )
    prompted = 0
    for row in rows:
        phase = _phase(
            row["status"], row["term_ends"], row["closing_review_at"], row["timezone"], now
        )
        if phase != "review_due":
            continue
        async with write_transaction():
            claimed = (
                await Group.update({Group.closing_prompted_at: now})
                .where((Group.id == row["id"]) & Group.closing_prompted_at.is_null())
                .returning(Group.id)
            )
            if not claimed:
                continue
            today = rules.local_date(now, row["timezone"])
            await notify(
                await _member_ids(row["id"]),
                rules.prompt_text(_name(row), row["term_ends"], today),
                f"/groups/{row['id']}#closing",
                now,
            )
            prompted += 1
    return prompted
