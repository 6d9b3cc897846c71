"""Housekeeping the scheduler runs: removing rows nobody can use any more."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.db.tables import PasswordReset, Reminder, SignInAttempt
from app.services.session_store import prune_expired_sessions

# Settled reminders are kept a while so an admin can answer "did they get the email?".
# Failed ones stay until an admin has seen them.
KEEP_SETTLED_REMINDERS = timedelta(days=90)
SETTLED = ["sent", "void", "skipped", "folded"]


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
    removed += len(
        await Reminder.delete()
        .where(
            Reminder.status.is_in(SETTLED) & (Reminder.created_at < now - KEEP_SETTLED_REMINDERS)
        )
        .returning(Reminder.id)
    )
    return removed
