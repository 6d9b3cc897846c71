"""Make the next few meetings (with their agendas) for every group with a schedule."""

from __future__ import annotations

from datetime import datetime

from app.services.meetings import materialise_all


async def run_once(now: datetime) -> int:
    return await materialise_all(now)
