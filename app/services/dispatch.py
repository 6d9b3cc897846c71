"""Sending due reminders: claim a batch, send each one the person still wants, mark it.

A row is sent only while its lease has room for a whole send (the send is cut off at
SMTP_TIMEOUT), so no other worker can take a row that is still in flight. The one way
to send twice is to die after the SMTP server accepted a message and before the mark.
A batch shares one SMTP connection, and every row's mark starts straight after its
own send. The mark is written while the next row is composed and handed over, so that
window holds at most two messages: the one being marked and the one just accepted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

import anyio

from app.config import Settings
from app.mail import Mailer
from app.services import outbox
from app.services.reminder_mail import Batch, compose, load

log = logging.getLogger("roundtable.reminders")

BATCH = 50
# Room kept between the end of a send and the end of the lease, for the mark.
MARK_MARGIN = 5.0


def worker_token() -> str:
    return f"{socket.gethostname()[:16]}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


async def dispatch(
    now: datetime,
    mailer: Mailer,
    settings: Settings,
    *,
    batch: int = BATCH,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Handle every due reminder; returns how many rows were settled."""
    # Time moves on while a long run sends, from the `now` we were given.
    started = clock()

    def current() -> datetime:
        return now + timedelta(seconds=clock() - started)

    worker = worker_token()
    marks = _Marks()
    try:
        while True:
            claimed_at = clock()
            moment = current()
            rows = await outbox.claim(
                worker, moment, moment + timedelta(seconds=settings.reminder_lease), batch
            )
            if not rows:
                break
            context = await load(rows)
            async with _session(mailer) as sender:
                for index, row in enumerate(rows):
                    left = settings.reminder_lease - (clock() - claimed_at)
                    if left < settings.smtp_timeout + MARK_MARGIN:
                        # Not enough lease for a whole send: hand the rest back untried.
                        await marks.drain()
                        for rest in rows[index:]:
                            await outbox.release(rest.id, worker, None)
                        break
                    await marks.add(await _one(row, context, worker, sender, settings, current()))
            await marks.drain()
            if len(rows) < batch:
                break
    finally:
        # Whatever stopped the run, a message already handed over is still marked.
        await marks.drain()
    return marks.settled


class _Marks:
    """Writes one row's mark while the next row is composed and sent.

    A mark is a write transaction that waits on the database (a commit's flush to disk),
    and a send waits on the SMTP server; overlapping them let one worker send about a
    third more reminders a second. Only one mark is in flight at a time, so a row's
    mark has always been written before the row after next is sent.
    """

    def __init__(self) -> None:
        self.settled = 0
        self._writing: asyncio.Task[int] | None = None

    async def add(self, mark: Coroutine[Any, Any, int]) -> None:
        try:
            await self.drain()
        except BaseException:
            mark.close()  # never started, so nothing of it was written
            raise
        self._writing = asyncio.ensure_future(mark)

    async def drain(self) -> None:
        writing, self._writing = self._writing, None
        if writing is not None:
            self.settled += await writing


def _session(mailer: Mailer) -> AbstractAsyncContextManager[Mailer]:
    """One connection for a claimed batch, where the mailer offers one (SmtpMailer).

    Against a connection per message, one worker sent 14-17% more reminders a second to
    a loopback server (A/B on benchmarks/reminder_dispatch.py's data), before counting
    the TLS handshake that a real server's STARTTLS adds to every connection.
    """
    opener = getattr(mailer, "session", None)
    return opener() if opener is not None else nullcontext(mailer)


async def _one(
    row: outbox.Claimed,
    context: Batch,
    worker: str,
    mailer: Mailer,
    settings: Settings,
    now: datetime,
) -> Coroutine[Any, Any, int]:
    """Compose and hand over one row; returns its mark, to be written by the caller."""
    try:
        outcome = compose(row, context, settings, now)
    except Exception as error:  # a broken template must not stall the rest of the batch
        log.exception("Reminder %s could not be written", row.key)
        return _unsent(outbox.failed(row.id, worker, row.attempts, repr(error), now))
    if outcome.action == "void":
        return _counted(outbox.settle(row.id, worker, "void", now))
    if outcome.action == "defer":
        return _unsent(outbox.release(row.id, worker, outcome.until))
    assert outcome.email is not None
    if outcome.preference == "off":
        return _counted(
            outbox.settle(row.id, worker, "skipped", now, in_app=outcome.in_app, user=row.user)
        )
    if outcome.preference == "digest":
        return _counted(
            outbox.settle(
                row.id,
                worker,
                "folded",
                now,
                in_app=outcome.in_app,
                user=row.user,
                summary=outcome.email.subject,
            )
        )
    try:
        with anyio.fail_after(settings.smtp_timeout):
            await mailer.send(outcome.email)
    except Exception as error:  # any failure to hand over is retried
        log.warning("Reminder %s not sent (attempt %d): %r", row.key, row.attempts, error)
        return _unsent(outbox.failed(row.id, worker, row.attempts, repr(error), now))
    return _sent(row, worker, now, outcome.in_app)


async def _sent(
    row: outbox.Claimed, worker: str, now: datetime, in_app: outbox.InApp | None
) -> int:
    if not await outbox.settle(row.id, worker, "sent", now, in_app=in_app, user=row.user):
        log.warning("Reminder %s was sent but its claim had passed to another worker", row.key)
    return 1


async def _counted(mark: Coroutine[Any, Any, bool]) -> int:
    return int(await mark)


async def _unsent(mark: Coroutine[Any, Any, None]) -> int:
    await mark
    return 0
