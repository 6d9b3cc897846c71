"""Plan the reminders that upcoming and just-finished meetings call for."""

from __future__ import annotations

from datetime import datetime

from app.services.reminders import plan_meetings


async def run_once(now: datetime) -> int:
    return await plan_meetings(now)
