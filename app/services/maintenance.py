"""Housekeeping the scheduler runs: removing rows nobody can use any more."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.db.tables import PasswordReset, SignInAttempt
from app.services.session_store import prune_expired_sessions


async def prune(now: datetime, keep_attempts: timedelta) -> int:
    removed = await prune_expired_sessions(now)
    removed += len(
        await PasswordReset.delete()
        .where((PasswordReset.expires_at < now) | PasswordReset.used_at.is_not_null())
        .returning(PasswordReset.id)
    )
    removed += len(
        await SignInAttempt.delete()
        .where(SignInAttempt.attempted_at < now - keep_attempts)
        .returning(SignInAttempt.id)
    )
    return removed
