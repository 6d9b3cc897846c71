"""Make the next few meetings (with agendas) for every group with a schedule, and give
each one its facilitators from the rota."""

from __future__ import annotations

from datetime import datetime

from app.services.meetings import materialise_all
from app.services.rota import plan_all


async def run_once(now: datetime) -> int:
    return await materialise_all(now) + await plan_all(now)
