"""Fold the messages people chose to receive in a digest into their next daily one."""

from __future__ import annotations

from datetime import datetime

from app.services.digests import plan_digests


async def run_once(now: datetime) -> int:
    return await plan_digests(now)
