"""The reminder outbox's claim and marks: how any number of workers share due rows.

A claim stamps due rows with the worker's token and a lease inside one write
transaction (rows locked with SKIP LOCKED on PostgreSQL; SQLite's BEGIN IMMEDIATE
already serialises writers). Every mark is conditional on the token, so only the
worker that holds a row can settle it, and a dead worker's rows return when the
lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.db.engine import is_postgres, write_transaction
from app.db.tables import Notification, Reminder
from app.domain import reminders as rules


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    user: int
    meeting: int | None
    swap: int | None
    attempts: int
    created_at: datetime


CLAIMED_COLUMNS = (
    Reminder.id,
    Reminder.key,
    Reminder.kind,
    Reminder.user,
    Reminder.meeting,
    Reminder.swap,
    Reminder.attempts,
    Reminder.created_at,
)


@dataclass(frozen=True)
class InApp:
    """The notification that goes with a message, written in the same transaction as its mark."""

    text: str
    link: str


def _held(reminder_id: int, worker: str) -> object:
    return (
        (Reminder.id == reminder_id)
        & (Reminder.claimed_by == worker)
        & (Reminder.status == "pending")
    )


async def claim(worker: str, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    async with write_transaction():
        due = (
            Reminder.select(Reminder.id)
            .where(
                (Reminder.status == "pending")
                & (Reminder.due_at <= now)
                & (Reminder.lease_until.is_null() | (Reminder.lease_until <= now))
            )
            .order_by(Reminder.due_at)
            .limit(limit)
        )
        if is_postgres(Reminder):
            due = due.lock_rows(skip_locked=True)
        ids = [row["id"] for row in await due]
        if not ids:
            return []
        await Reminder.update(
            {
                Reminder.claimed_by: worker,
                Reminder.lease_until: lease_until,
                Reminder.attempts: Reminder.attempts + 1,
            }
        ).where(Reminder.id.is_in(ids))
    rows = (
        await Reminder.select(*CLAIMED_COLUMNS)
        .where(Reminder.id.is_in(ids) & (Reminder.claimed_by == worker))
        .order_by(Reminder.due_at)
    )
    return [Claimed(**row) for row in rows]


async def settle(
    reminder_id: int,
    worker: str,
    status: str,
    now: datetime,
    *,
    in_app: InApp | None = None,
    user: int | None = None,
    summary: str = "",
) -> bool:
    """Mark a held row sent, void, skipped or folded; False if the claim was lost."""
    async with write_transaction():
        done = (
            await Reminder.update(
                {
                    Reminder.status: status,
                    Reminder.sent_at: now if status == "sent" else None,
                    Reminder.lease_until: None,
                    Reminder.summary: summary,
                }
            )
            .where(_held(reminder_id, worker))  # type: ignore[arg-type]
            .returning(Reminder.id)
        )
        if done and in_app is not None and user is not None:
            await Notification.insert(
                Notification(user=user, text=in_app.text, link=in_app.link, created_at=now)
            )
    return bool(done)


async def failed(reminder_id: int, worker: str, attempts: int, error: str, now: datetime) -> None:
    retry = rules.retry_at(attempts, now)
    values: dict[object, object] = {Reminder.last_error: error[:2000], Reminder.claimed_by: ""}
    if retry is None:
        values |= {Reminder.status: "failed", Reminder.lease_until: None}
    else:
        values |= {Reminder.lease_until: retry}
    await Reminder.update(values).where(_held(reminder_id, worker))  # type: ignore[arg-type]


async def release(reminder_id: int, worker: str, until: datetime | None) -> None:
    """Hand a row back untried (quiet hours, or too little lease left): no attempt is spent."""
    await Reminder.update(
        {
            Reminder.claimed_by: "",
            Reminder.lease_until: until,
            Reminder.attempts: Reminder.attempts - 1,
        }
    ).where(_held(reminder_id, worker))  # type: ignore[arg-type]
