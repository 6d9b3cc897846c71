"""Send every due reminder, exactly once whatever else is running."""

from __future__ import annotations

from datetime import datetime

from app.services.dispatch import dispatch
from jobs.runtime import current


async def run_once(now: datetime) -> int:
    runtime = current()
    return await dispatch(now, runtime.mailer, runtime.settings)
