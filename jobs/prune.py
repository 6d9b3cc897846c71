"""Delete what has expired: sessions, reset links, sign-in attempts and settled reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.services.maintenance import prune

# Sign-in attempts matter for 15 minutes; a day's worth is kept for an admin who asks
# "was someone trying my account last night?".
KEEP_SIGN_IN_ATTEMPTS = timedelta(days=1)


async def run_once(now: datetime) -> int:
    return await prune(now, keep_attempts=KEEP_SIGN_IN_ATTEMPTS)
