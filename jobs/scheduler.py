"""The static schedule, ticked in-process by APScheduler 3.

APScheduler's job stores must never be shared between schedulers, and every web worker
runs its own scheduler; so the schedule is code in a memory store, and every job is a
`run_once(now)` that is safe to run from any number of processes at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.config import Settings
from jobs import meetings, prune

log = logging.getLogger("roundtable.jobs")

Job = Callable[[datetime], Awaitable[int]]

# name -> (job, seconds between ticks)
SCHEDULE: dict[str, tuple[Job, int]] = {
    "prune": (prune.run_once, 3600),
    "meetings": (meetings.run_once, 3600),
}


async def tick(name: str) -> int:
    job, _ = SCHEDULE[name]
    try:
        done = await job(datetime.now(UTC))
    except Exception:
        # One failed tick must not stop the schedule; the next tick tries again.
        log.exception("Job %s failed", name)
        return 0
    if done:
        log.info("Job %s handled %d item(s)", name, done)
    return done


async def run_all_once() -> dict[str, int]:
    return {name: await tick(name) for name in SCHEDULE}


def build_scheduler(settings: Settings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.timezone)
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
            next_run_time=datetime.now(UTC),
        )
    return scheduler


@asynccontextmanager
async def running_scheduler(settings: Settings) -> AsyncIterator[AsyncIOScheduler]:
    # Started inside the lifespan because AsyncIOScheduler binds to the running loop.
    scheduler = build_scheduler(settings)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
