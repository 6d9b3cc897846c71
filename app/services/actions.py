"""Action learning actions: a presenter's commitments, reviewed at the next check-in.

Only the set's members see them, through meeting pages that are members-only already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable

from app.db.tables import Action
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.meetings import member_meeting

STATUSES = {"open": "Open", "done": "Done", "carried_over": "Carried over", "dropped": "Dropped"}
STILL_OPEN = ("open", "carried_over")
ENDED = "This set has ended, so its actions can no longer be added or changed."


@dataclass(frozen=True)
class ActionView:
    id: int
    owner: int
    owner_name: str
    text: str
    status: str
    review_note: str

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


_COLUMNS = (
    Action.id,
    Action.owner,
    Action.owner.display_name.as_alias("owner_name"),
    Action.text,
    Action.status,
    Action.review_note,
)


async def raised_at(meeting_id: int, owner: int | None = None) -> list[ActionView]:
    """The meeting's actions; only `owner`'s when given (an ended set shows only your own)."""
    where: Combinable = Action.meeting == meeting_id
    if owner is not None:
        where &= Action.owner == owner
    rows = await Action.select(*_COLUMNS).where(where).order_by(Action.id)
    return [ActionView(**row) for row in rows]


async def open_before(
    group_id: int, starts_at: datetime, owner: int | None = None
) -> list[ActionView]:
    """Actions still open from the set's earlier meetings, for this meeting's report-back."""
    where = (
        (Action.group == group_id)
        & Action.status.is_in(list(STILL_OPEN))
        & (Action.meeting.starts_at < starts_at)
    )
    if owner is not None:
        where &= Action.owner == owner
    rows = (
        await Action.select(*_COLUMNS)
        .where(where)
        .order_by(Action.meeting.starts_at)
        .order_by(Action.id)
    )
    return [ActionView(**row) for row in rows]


async def add_action(meeting_id: int, account: Account, text: str, now: datetime) -> None:
    group, standing, meeting = await member_meeting(meeting_id, account, now)
    if group.kind != "action_learning" or not standing.is_member:
        raise NotFound()
    if group.ended:
        raise FormErrors({"action": ENDED})
    text = " ".join(text.split())
    if not 3 <= len(text) <= 500:
        raise FormErrors({"action": "Describe the action in 3 to 500 characters."})
    if meeting.starts_at > now:
        raise FormErrors({"action": "Actions are recorded once the session has started."})
    await Action.insert(
        Action(group=group.id, meeting=meeting_id, owner=account.id, text=text, created_at=now)
    )


async def review_action(
    meeting_id: int, action_id: int, account: Account, status: str, note: str, now: datetime
) -> None:
    """The owner, the facilitator or a convenor records how an action went."""
    group, standing, meeting = await member_meeting(meeting_id, account, now)
    row = await Action.select(Action.owner, Action.group).where(Action.id == action_id).first()
    if row is None or row["group"] != group.id:
        raise NotFound()
    allowed = row["owner"] == account.id or standing.is_officer or meeting.facilitator == account.id
    if not allowed:
        raise NotFound()
    field = f"status-{action_id}"
    if group.ended:
        raise FormErrors({field: ENDED})
    if status not in STATUSES:
        raise FormErrors({field: "Choose how the action went."})
    if len(note) > 500:
        raise FormErrors({field: "Keep the note to 500 characters."})
    await Action.update(
        {Action.status: status, Action.review_note: note.strip(), Action.reviewed_at: now}
    ).where(Action.id == action_id)
