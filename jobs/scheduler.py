"""The static schedule, ticked in-process by APScheduler 3.

APScheduler's job stores must never be shared between schedulers, and every web worker
runs its own scheduler; so the schedule is code in a memory store, and every job is a
`run_once(now)` that is safe to run from any number of processes at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.config import Settings
from app.mail import Mailer
from jobs import digests, dispatch, meetings, prune, reminders, runtime, set_lifecycle, swaps

log = logging.getLogger("roundtable.jobs")

Job = Callable[[datetime], Awaitable[int]]

# name -> (job, seconds between ticks), in the order a single pass runs them: meetings
# and turns first, then the reminders they call for, then sending.
SCHEDULE: dict[str, tuple[Job, int]] = {
    "meetings": (meetings.run_once, 3600),
    "set_lifecycle": (set_lifecycle.run_once, 3600),
    "reminders": (reminders.run_once, 300),
    "swaps": (swaps.run_once, 300),
    "digests": (digests.run_once, 900),
    "dispatch": (dispatch.run_once, 60),
    "prune": (prune.run_once, 3600),
}


async def tick(name: str) -> int | None:
    """Run one job now; how many items it handled, or None if it failed."""
    job, _ = SCHEDULE[name]
    try:
        done = await job(datetime.now(UTC))
    except Exception:
        # One failed tick must not stop the schedule; the next tick tries again.
        log.exception("Job %s failed", name)
        return None
    if done:
        log.info("Job %s handled %d item(s)", name, done)
    return done


async def run_all_once() -> dict[str, int | None]:
    return {name: await tick(name) for name in SCHEDULE}


def build_scheduler(settings: Settings, mailer: Mailer | None = None) -> AsyncIOScheduler:
    runtime.configure(settings, mailer)
    scheduler = AsyncIOScheduler(timezone=settings.timezone)
    started = datetime.now(UTC)
    # One pass in order at start-up (meetings before the reminders they call for, before
    # sending), then each job on its own interval.
    scheduler.add_job(
        run_all_once, "date", id="start-up", run_date=started, coalesce=True, max_instances=1
    )
    for name, (_, seconds) in SCHEDULE.items():
        scheduler.add_job(
            tick,
            "interval",
            args=[name],
            id=name,
            seconds=seconds,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=seconds,
            next_run_time=started + timedelta(seconds=seconds),
        )
    return scheduler


@asynccontextmanager
async def running_scheduler(
    settings: Settings, mailer: Mailer | None = None
) -> AsyncIterator[AsyncIOScheduler]:
    # Started inside the lifespan because AsyncIOScheduler binds to the running loop.
    scheduler = build_scheduler(settings, mailer)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
