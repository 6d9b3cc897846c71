"""In-app notifications: shown on the home page until read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.db.tables import Notification


@dataclass(frozen=True)
class NotificationView:
    id: int
    text: str
    link: str
    created_at: datetime


async def notify(user_ids: Iterable[int], text: str, link: str, now: datetime) -> None:
    rows = [Notification(user=uid, text=text, link=link, created_at=now) for uid in set(user_ids)]
    if rows:
        await Notification.insert(*rows)


async def unread(user_id: int, limit: int = 20) -> list[NotificationView]:
    rows = (
        await Notification.select(
            Notification.id, Notification.text, Notification.link, Notification.created_at
        )
        .where((Notification.user == user_id) & Notification.read_at.is_null())
        .order_by(Notification.created_at, ascending=False)
        .limit(limit)
    )
    return [NotificationView(**row) for row in rows]


async def mark_read(user_id: int, notification_id: int, now: datetime) -> None:
    # Scoped to the owner: nobody can clear someone else's notification by guessing an id.
    await Notification.update({Notification.read_at: now}).where(
        (Notification.id == notification_id) & (Notification.user == user_id)
    )
