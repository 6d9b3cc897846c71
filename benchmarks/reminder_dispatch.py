"""How fast the reminder outbox empties, against the bare cost of handing the same
messages to SMTP.

Seeds 10,000 due "session" reminders (20 groups of 500 members, each meeting tomorrow),
then, with 1 and then 2 processes a side, measures:

- raw: plain aiosmtplib sending the same messages. They are composed and built beforehand
  (off the clock) by the app's own compose and build_message, and handed to
  `SMTP.send_message` as a program using aiosmtplib would, which flattens each one; the
  SMTP connections are used the way SmtpMailer uses them (printed at the start). This is
  the side the goal is measured against.
- bytes: stricter, for information: the same messages already flattened to bytes, so the
  clock runs only on the SMTP exchange (`SMTP.sendmail`).
- dispatch: `app.services.dispatch.dispatch` with SmtpMailer, as `roundtable worker` runs
  it: claim, compose, build, send and mark every row.

The sides take turns, in a rotating order, in 5 rounds of 2,000 reminders each (the rows
are reset to pending before each dispatch round), so a machine that gets busier or
quieter during the run affects all of them alike. The SMTP server is aiosmtpd in a
process of its own, so it competes with no side's event loop; it counts every message
and its Message-ID, and a round that did not deliver each reminder exactly once says so.
The measured processes start, connect and build what they need first; a round's clock
runs from a common start signal to the last process's finish. Prints reminders per second
and the ratios dispatch / raw and dispatch / bytes for the same number of processes. Not
a test: it never fails on a time.

    .venv/bin/python benchmarks/reminder_dispatch.py            # SQLite in a temporary folder
    DATABASE_URL=postgresql://... SECRET_KEY=... .venv/bin/python benchmarks/reminder_dispatch.py

It empties every table of the database it is given: point it at a scratch one. On a
2-CPU machine the 2-process figures share the CPUs with the SMTP server (and PostgreSQL).

Goal: dispatch at least 0.5 of the raw rate.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import Message
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP: str | None = None
if "DATABASE_URL" not in os.environ:
    # Set once, in the parent; the measured processes inherit it.
    _TMP = tempfile.mkdtemp(prefix="roundtable-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.sqlite3"
    os.environ.setdefault("VAR_DIR", _TMP)
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-that-is-long-enough-0123")
os.environ["SCHEDULER"] = "off"
os.environ["MAIL_BACKEND"] = "smtp"
os.environ["SMTP_HOST"] = "127.0.0.1"
os.environ["SMTP_STARTTLS"] = "off"

GROUPS = 20
MEMBERS = 500  # the convenor and 499 others in each group
TOTAL = GROUPS * MEMBERS
ROUNDS = 5


def connection_use() -> tuple[bool, int]:
    """Whether SmtpMailer keeps one connection for a claimed batch, and the batch size."""
    from app.mail import SmtpMailer
    from app.services.dispatch import BATCH

    return hasattr(SmtpMailer, "session"), BATCH


# -- the SMTP server, in its own process ------------------------------------------------

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


class Recorder:
    """Counts what the server accepted, and how many distinct Message-IDs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.ids: set[bytes] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        found = _MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
        with self.lock:
            self.total += 1
            self.ids.add(found.group(1) if found else b"")
        return "250 OK"


def smtp_server(port: int, control: Connection) -> None:
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    try:
        while control.recv() == "stats":
            with recorder.lock:
                control.send((recorder.total, len(recorder.ids)))
                recorder.total, recorder.ids = 0, set()
    finally:
        controller.stop()


# -- the measured processes -------------------------------------------------------------


async def _connect() -> Any:
    from app.config import load_settings
    from app.db.engine import bind_tables, engine_for, open_engine

    settings = load_settings()
    engine = engine_for(settings.database_url)
    bind_tables(engine)
    await open_engine(engine)
    return settings, engine


async def _built_messages(
    settings: Any, ids: tuple[int, int], part: int, parts: int, side: str
) -> list[Any]:
    """The messages dispatch would send for these rows, by the app's own code."""
    from app.db.tables import Reminder
    from app.mail import build_message, outgoing
    from app.services.outbox import CLAIMED_COLUMNS, Claimed
    from app.services.reminder_mail import compose, load

    now = datetime.now(UTC)
    found = (
        await Reminder.select(*CLAIMED_COLUMNS)
        .where((Reminder.id >= ids[0]) & (Reminder.id <= ids[1]))
        .order_by(Reminder.id)
    )
    rows = [Claimed(**r) for r in found][part::parts]
    messages: list[Any] = []
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        batch = await load(chunk)
        for row in chunk:
            email = compose(row, batch, settings, now).email
            assert email is not None
            if side == "raw":
                messages.append(build_message(email, settings.mail_from))
            else:
                messages.append(outgoing(email, settings.mail_from))
    return messages


async def _send_raw(settings: Any, messages: list[Any]) -> None:
    import aiosmtplib

    reuse, batch = connection_use()
    options: dict[str, Any] = {
        "hostname": settings.smtp_host,
        "port": settings.smtp_port,
        "start_tls": settings.smtp_starttls,
        "timeout": settings.smtp_timeout,
    }
    if not reuse:
        for message in messages:
            await aiosmtplib.send(message, **options)
        return
    local = await asyncio.to_thread(socket.getfqdn)
    for start in range(0, len(messages), batch):
        async with aiosmtplib.SMTP(local_hostname=local, **options) as smtp:
            for message in messages[start : start + batch]:
                if isinstance(message, Message):
                    await smtp.send_message(message)
                else:
                    await smtp.sendmail(message.sender, [message.recipient], message.data)


def measured(side: str, part: int, parts: int, control: Connection) -> None:
    """A raw or bytes sender, or a dispatch worker, doing one round at each "go"."""

    async def main() -> None:
        from app.db.engine import close_engine
        from app.mail import SmtpMailer
        from app.services.dispatch import dispatch

        settings, engine = await _connect()
        mailer = SmtpMailer(settings)
        control.send("ready")
        while (command := control.recv()) is not None:
            messages = []
            if side != "dispatch":
                messages = await _built_messages(settings, command, part, parts, side)
                control.send("ready")
                control.recv()
            started = time.time()
            if side == "dispatch":
                count = await dispatch(datetime.now(UTC), mailer, settings)
            else:
                await _send_raw(settings, messages)
                count = len(messages)
            control.send((count, started, time.time()))
        await close_engine(engine)

    asyncio.run(main())


class Side:
    def __init__(self, side: str, parts: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.controls: list[Connection] = []
        self.processes = []
        for part in range(parts):
            mine, theirs = context.Pipe()
            process = context.Process(target=measured, args=(side, part, parts, theirs))
            process.start()
            self.controls.append(mine)
            self.processes.append(process)
        self._all("ready")

    def _all(self, expect: str | None = None) -> list[Any]:
        replies = []
        for control, process in zip(self.controls, self.processes, strict=True):
            while not control.poll(1):
                if process.exitcode is not None:
                    raise SystemExit("a measured process failed (its traceback is above)")
            replies.append(control.recv())
        if expect is not None:
            assert all(r == expect for r in replies), replies
        return replies

    def round(self, ids: tuple[int, int] | None) -> tuple[int, float]:
        if ids is not None:  # raw and bytes: build this round's messages, then go together
            for control in self.controls:
                control.send(ids)
            self._all("ready")
        for control in self.controls:
            control.send("go")
        done = self._all()
        return sum(d[0] for d in done), max(d[2] for d in done) - min(d[1] for d in done)

    def stop(self) -> None:
        for control in self.controls:
            control.send(None)
        for process in self.processes:
            process.join()


# -- seeding and resetting, in the parent -----------------------------------------------


async def seed(now: datetime) -> list[int]:
    from dataclasses import replace

    from argon2 import PasswordHasher

    from app.db.engine import write_transaction
    from app.db.tables import ALL_TABLES, Meeting, Membership, Reminder, User
    from app.domain.groups import defaults_for
    from app.services import passwords
    from app.services.accounts import ensure_account
    from app.services.membership import create_group
    from app.services.reminders import plan_meetings

    passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for table in reversed(ALL_TABLES):
        await table.delete(force=True)
    convenor = await ensure_account("convenor@example.org", "Convenor", "bench-password", "member")
    starts = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    for g in range(GROUPS):
        settings = replace(defaults_for("peer_support", now.date()), name=f"Peer group {g:02d}")
        gid = await create_group(convenor, settings, "Europe/London", now)
        async with write_transaction():
            people = await User.insert(
                *[
                    User(
                        email=f"p{g}-{n}@example.org",
                        display_name=f"Person {g}-{n}",
                        password_hash="x",
                    )
                    for n in range(MEMBERS - 1)
                ]
            ).returning(User.id)
            await Membership.insert(
                *[
                    Membership(
                        group=gid,
                        user=p["id"],
                        role="member",
                        status="active",
                        joined_at=now,
                        accepted_rules_version=1,
                    )
                    for p in people
                ]
            )
            meeting = await Meeting.insert(
                Meeting(
                    group=gid,
                    occurrence_key=f"{gid}:bench",
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=90),
                    place="The meeting room",
                )
            ).returning(Meeting.id)
        # A meeting at a time keeps each insert under PostgreSQL's 32,767 parameters.
        await plan_meetings(now, [meeting[0]["id"]])
    due = await Reminder.select(Reminder.id).where(Reminder.due_at <= now).order_by(Reminder.id)
    return [r["id"] for r in due]


async def prepare(now: datetime) -> list[int]:
    from app.db.engine import close_engine
    from app.db.migrate import apply_migrations

    settings, engine = await _connect()
    await apply_migrations(settings.database_url, quiet=True)
    ids = await seed(now)
    await close_engine(engine)
    return ids


async def pending_only(ids: tuple[int, int]) -> None:
    """This round's rows due and untried; every other row out of the way."""
    from app.db.engine import close_engine
    from app.db.tables import Reminder

    _, engine = await _connect()
    await Reminder.update({Reminder.status: "void"}, force=True)
    await Reminder.update(
        {
            Reminder.status: "pending",
            Reminder.claimed_by: "",
            Reminder.lease_until: None,
            Reminder.attempts: 0,
            Reminder.sent_at: None,
            Reminder.last_error: "",
        }
    ).where((Reminder.id >= ids[0]) & (Reminder.id <= ids[1]))
    await close_engine(engine)


async def marked_sent() -> int:
    from app.db.engine import close_engine
    from app.db.tables import Reminder

    _, engine = await _connect()
    count = await Reminder.count().where(Reminder.status == "sent")
    await close_engine(engine)
    return count


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    port = free_port()
    os.environ["SMTP_PORT"] = str(port)
    ids = asyncio.run(prepare(datetime.now(UTC)))
    assert len(ids) == TOTAL, (len(ids), TOTAL)
    size = TOTAL // ROUNDS
    rounds = [(ids[n * size], ids[(n + 1) * size - 1]) for n in range(ROUNDS)]
    backend = "SQLite" if os.environ["DATABASE_URL"].startswith("sqlite:") else "PostgreSQL"
    reuse, batch = connection_use()
    how = f"one connection per {batch} messages" if reuse else "one connection per message"
    print(f"Reminder dispatch on {backend}: {TOTAL} session reminders, {os.cpu_count()} CPUs")
    print(f"SMTP: aiosmtpd in its own process on 127.0.0.1:{port}; every side uses {how}")

    context = multiprocessing.get_context("spawn")
    control, server_end = context.Pipe()
    server = context.Process(target=smtp_server, args=(port, server_end), daemon=True)
    server.start()
    assert control.recv() == "ready"

    def delivered(expected: int) -> bool:
        control.send("stats")
        total, unique = control.recv()
        return bool(total == unique == expected)

    results = []
    for parts in (1, 2):
        sides = {name: Side(name, parts) for name in ("raw", "bytes", "dispatch")}
        times = dict.fromkeys(sides, 0.0)
        once = True
        for n, rows in enumerate(rounds):
            order = list(sides)[n % 3 :] + list(sides)[: n % 3]
            for name in order:
                if name == "dispatch":
                    asyncio.run(pending_only(rows))
                    count, seconds = sides[name].round(None)
                    once = once and asyncio.run(marked_sent()) == size
                else:
                    count, seconds = sides[name].round(rows)
                once = once and count == size and delivered(size)
                times[name] += seconds
        for side in sides.values():
            side.stop()
        rates = {name: TOTAL / seconds for name, seconds in times.items()}
        results.append((parts, rates))
        print(
            f"  {parts} process(es): "
            + ", ".join(f"{name} {seconds:5.1f} s" for name, seconds in times.items())
            + f"; every reminder delivered and marked exactly once: {'yes' if once else 'NO'}"
        )
    control.send(None)
    server.join()
    print()
    print("processes | raw/s | bytes/s | dispatch/s | dispatch/raw (goal >= 0.5) | dispatch/bytes")
    for parts, rates in results:
        raw, strict, rate = rates["raw"], rates["bytes"], rates["dispatch"]
        print(
            f"{parts:9d} | {raw:5.0f} | {strict:7.0f} | {rate:10.0f}"
            f" | {rate / raw:26.2f} | {rate / strict:14.2f}"
        )
    if _TMP:
        shutil.rmtree(_TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
