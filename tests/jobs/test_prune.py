from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db.tables import PasswordReset, SignInAttempt
from app.services.session_store import DatabaseSessionStore
from jobs import prune, runtime
from jobs.scheduler import SCHEDULE, build_scheduler, run_all_once
from tests.conftest import make_settings


async def test_pruning_removes_expired_and_used_rows_and_keeps_live_ones(make_account) -> None:
    account = await make_account("bob@example.org")
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    await PasswordReset.insert(
        PasswordReset(user=account.id, token_hash="a" * 64, expires_at=now - timedelta(minutes=1)),
        PasswordReset(
            user=account.id, token_hash="b" * 64, expires_at=now + timedelta(hours=1), used_at=now
        ),
        PasswordReset(user=account.id, token_hash="c" * 64, expires_at=now + timedelta(hours=1)),
    )
    await SignInAttempt.insert(
        SignInAttempt(
            email="x@example.org", address="1.2.3.4", attempted_at=now - timedelta(days=2)
        ),
        SignInAttempt(
            email="x@example.org", address="1.2.3.4", attempted_at=now - timedelta(hours=1)
        ),
    )
    assert await prune.run_once(now) == 3
    assert await PasswordReset.select(PasswordReset.token_hash) == [{"token_hash": "c" * 64}]
    assert await SignInAttempt.count() == 1
    assert await prune.run_once(now) == 0


async def test_one_pass_of_the_worker_runs_every_job(db: str) -> None:
    await DatabaseSessionStore().set("gone", "x", expires_in=1)
    runtime.configure(make_settings())
    results = await run_all_once()
    assert set(results) == set(SCHEDULE)
    assert None not in results.values()


async def test_a_failing_job_is_reported_and_the_rest_of_the_pass_still_runs(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(now: datetime) -> int:
        raise RuntimeError("the database went away")

    runtime.configure(make_settings())
    monkeypatch.setitem(SCHEDULE, "meetings", (broken, 3600))
    results = await run_all_once()
    assert results["meetings"] is None
    assert all(isinstance(results[name], int) for name in SCHEDULE if name != "meetings")


def test_the_schedule_is_static_coalesced_and_never_overlaps() -> None:
    scheduler = build_scheduler(make_settings())
    jobs = scheduler.get_jobs()
    assert {job.id for job in jobs} == {*SCHEDULE, "start-up"}
    for job in jobs:
        assert job.coalesce is True
        assert job.max_instances == 1


async def test_settled_reminders_are_pruned_after_ninety_days_but_failed_ones_stay(
    db: str,
) -> None:
    from app.db.tables import Reminder, User

    now = datetime(2027, 6, 1, tzinfo=UTC)
    await User.insert(User(email="r@example.org", display_name="R", password_hash="x"))
    user = (await User.select(User.id).first())["id"]
    old, recent = now - timedelta(days=91), now - timedelta(days=89)
    await Reminder.insert(
        *[
            Reminder(
                key=f"{status}:{when}",
                kind="session",
                user=user,
                due_at=when,
                status=status,
                created_at=when,
            )
            for status in ("sent", "void", "skipped", "failed", "pending")
            for when in (old, recent)
        ]
    )
    assert await prune.run_once(now) == 3
    left = {
        (r["status"], r["created_at"])
        for r in await Reminder.select(Reminder.status, Reminder.created_at)
    }
    assert ("failed", old) in left and ("pending", old) in left
    assert len(left) == 7
