"""Tell eligible members about open swap requests, and chase them as the date nears."""

from __future__ import annotations

from datetime import datetime

from app.services.reminders import plan_swaps


async def run_once(now: datetime) -> int:
    return await plan_swaps(now)
