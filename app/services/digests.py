"""The daily digest: messages people asked to have folded together arrive as one email."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.db.tables import Reminder
from app.domain import reminders as rules


async def plan_digests(now: datetime) -> int:
    """Gather each person's folded messages into their next 07:00 digest."""
    waiting = await Reminder.select(
        Reminder.user, Reminder.user.timezone.as_alias("timezone")
    ).where((Reminder.status == "folded") & Reminder.digest.is_null())
    planned = 0
    for user, timezone in sorted({(r["user"], r["timezone"]) for r in waiting}):
        zone = ZoneInfo(timezone)
        due = rules.next_digest(zone, now)
        key = f"digest:{user}:{due.astimezone(zone).date().isoformat()}"
        planned += len(
            await Reminder.insert(
                Reminder(key=key, kind="digest", user=user, due_at=due, created_at=now)
            )
            .on_conflict(action="DO NOTHING")
            .returning(Reminder.id)
        )
        digest = await Reminder.select(Reminder.id).where(Reminder.key == key).first()
        assert digest is not None
        await Reminder.update({Reminder.digest: digest["id"]}).where(
            (Reminder.user == user) & (Reminder.status == "folded") & Reminder.digest.is_null()
        )
    return planned
