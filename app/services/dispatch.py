"""Sending due reminders: claim a batch, send each one the person still wants, mark it.

A row is sent only while its lease has room for a whole send (the send is cut off at
SMTP_TIMEOUT), so no other worker can take a row that is still in flight. The one way
to send twice is to die after the SMTP server accepted a message and before the mark.
A batch shares one SMTP connection. Each row's mark is written while the next row is
handed over (see `_Marks`), so that window holds at most two messages: the one being
marked and the one just accepted.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio

from app.config import Settings
from app.mail import Mailer, Outgoing, outgoing
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
                        await marks.flush()
                        for rest in rows[index:]:
                            await outbox.release(rest.id, worker, None)
                        break
                    moment = current()
                    step = _plan(row, context, worker, settings, moment)
                    # The row before's mark, written while this one is handed over.
                    await marks.start()
                    if isinstance(step, _Send):
                        marks.queue(await _hand_over(row, step, worker, sender, settings, moment))
                    else:
                        marks.queue(step)
            await marks.flush()
            if len(rows) < batch:
                break
    finally:
        # Whatever stopped the run, a message already handed over is still marked.
        await marks.flush()
    return marks.settled


# A row's mark, not yet started: a function, so one never started leaves nothing behind.
Mark = Callable[[], Coroutine[Any, Any, int]]


class _Marks:
    """Writes each row's mark while the next row is handed over to SMTP.

    A mark waits on the database (a commit's flush to disk) and a send waits on the SMTP
    server, so overlapping them lets one worker send more a second: on PostgreSQL, 0.65
    of plain aiosmtplib's rate against 0.42 with each mark written before the next send
    (benchmarks/reminder_dispatch.py). The price is that a worker killed mid-send can
    leave two accepted messages unmarked, to be sent again, instead of one. The next row is
    composed and built before its predecessor's mark starts: composing keeps the event
    loop busy, and a mark started earlier would hold SQLite's write lock through it,
    stalling every other worker's marks. At most one mark is being written at a time.
    """

    def __init__(self) -> None:
        self.settled = 0
        self._queued: Mark | None = None
        self._writing: asyncio.Task[int] | None = None

    def queue(self, mark: Mark) -> None:
        assert self._queued is None, "start() the queued mark first"
        self._queued = mark

    async def start(self) -> None:
        """Start the queued mark, once the one before it is written."""
        mark, self._queued = self._queued, None
        await self._finish_writing()
        if mark is not None:
            self._writing = asyncio.ensure_future(mark())

    async def flush(self) -> None:
        await self.start()
        await self._finish_writing()

    async def _finish_writing(self) -> None:
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


@dataclass(frozen=True)
class _Send:
    message: Outgoing
    in_app: outbox.InApp | None


def _plan(
    row: outbox.Claimed, context: Batch, worker: str, settings: Settings, now: datetime
) -> _Send | Mark:
    """The message to hand over for a row, built; or, when there is none, its mark."""
    try:
        outcome = compose(row, context, settings, now)
        if outcome.action == "send" and outcome.preference not in ("off", "digest"):
            assert outcome.email is not None
            return _Send(outgoing(outcome.email, settings.mail_from), outcome.in_app)
    except Exception as error:  # a broken template must not stall the rest of the batch
        log.exception("Reminder %s could not be written", row.key)
        text = repr(error)
        return lambda: _unsent(outbox.failed(row.id, worker, row.attempts, text, now))
    if outcome.action == "void":
        return lambda: _counted(outbox.settle(row.id, worker, "void", now))
    if outcome.action == "defer":
        return lambda: _unsent(outbox.release(row.id, worker, outcome.until))
    assert outcome.email is not None
    status = "skipped" if outcome.preference == "off" else "folded"
    summary = outcome.email.subject if status == "folded" else ""
    return lambda: _counted(
        outbox.settle(
            row.id, worker, status, now, in_app=outcome.in_app, user=row.user, summary=summary
        )
    )


async def _hand_over(
    row: outbox.Claimed,
    step: _Send,
    worker: str,
    mailer: Mailer,
    settings: Settings,
    now: datetime,
) -> Mark:
    """Send one built message; returns its mark, for the caller to write."""
    try:
        with anyio.fail_after(settings.smtp_timeout):
            await mailer.deliver(step.message)
    except Exception as error:  # any failure to hand over is retried
        log.warning("Reminder %s not sent (attempt %d): %r", row.key, row.attempts, error)
        text = repr(error)
        return lambda: _unsent(outbox.failed(row.id, worker, row.attempts, text, now))
    return lambda: _sent(row, worker, now, step.in_app)


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
