"""Exactly once across processes: `roundtable worker --once` processes dispatch 2,000 due
reminders to a real SMTP server at the same time, and one of them is SIGKILLed mid-batch.

Every reminder must arrive, each exactly once by Message-ID at the server. Only a kill
between the server's acceptance and the mark can duplicate a message, and the rows the
dead worker held pass to another worker when its lease runs out. A worker writes one
row's mark while it sends the next, so up to two messages can be in that window: the
one whose answer the server holds back, and perhaps the one before it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller

from app.db.tables import Meeting, Membership, Reminder, User
from app.mail import message_id
from app.services.reminders import plan_meetings
from tests.conftest import DATABASE_URL, make_settings
from tests.services.groups_support import group_of, person

REMINDERS = 2000
SMTP_TIMEOUT = 2
LEASE = 12
WORKER_LIMIT = 90  # seconds; a pass takes about 15
# Accepted but unmarked at any moment: the row whose mark is being written while the next
# row is handed over, and that next row (app/services/dispatch.py).
WINDOW = 2
ROOT = Path(__file__).resolve().parents[2]
_CONSOLE_SCRIPT = Path(sys.executable).with_name("roundtable")
WORKER = (
    [str(_CONSOLE_SCRIPT)] if _CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "app.cli"]
) + ["worker", "--once"]


class Recorder:
    """An SMTP handler that keeps the Message-ID of every message it accepts.

    With `hold_at` set, the answer to that message waits until `release` is set: the
    message is stored, and its sender sits between the server's acceptance and its mark.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self.hold_at: int | None = None
        self.held: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        with self._lock:
            self._ids.append(str(headers["Message-ID"]))
            hold = len(self._ids) == self.hold_at
        if hold:
            self.held = str(headers["Message-ID"])
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return "250 OK"

    @property
    def ids(self) -> list[str]:
        with self._lock:
            return list(self._ids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        recorder.release.set()
        controller.stop()


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def report(self) -> str:
        code = self.process.poll()
        return (
            f"--- worker {self.name} (pid {self.process.pid}, exit code {code})\n"
            f"stdout:\n{self.out.read_text(errors='replace')[-3000:]}\n"
            f"stderr:\n{self.err.read_text(errors='replace')[-6000:]}"
        )


class Workers:
    """`roundtable worker --once` processes on the test's database and SMTP server."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.started: list[Worker] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": DATABASE_URL,
            "SECRET_KEY": make_settings().secret_key,
            "VAR_DIR": str(folder / "var"),
            "BASE_URL": "http://testserver",
            "SCHEDULER": "off",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "off",
            "SMTP_TIMEOUT": str(SMTP_TIMEOUT),
            "REMINDER_LEASE": str(LEASE),
        }

    def start(self, name: str) -> Worker:
        out, err = self.folder / f"{name}.out", self.folder / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(WORKER, cwd=ROOT, env=self.env, stdout=stdout, stderr=stderr)
        worker = Worker(name, process, out, err)
        self.started.append(worker)
        return worker

    def report(self) -> str:
        return "\n".join(w.report() for w in self.started)

    async def finished(self, worker: Worker) -> None:
        try:
            await anyio.to_thread.run_sync(worker.process.wait, WORKER_LIMIT)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
            pytest.fail(f"worker {worker.name} ran past {WORKER_LIMIT} s\n{self.report()}")
        assert worker.process.returncode == 0, self.report()
        # A failed job is logged and the pass goes on, so the exit code alone says too little.
        assert "Traceback" not in worker.err.read_text(errors="replace"), self.report()

    def kill_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()


@pytest.fixture
def workers(tmp_path: Path, smtp: tuple[Recorder, int]) -> Iterator[Workers]:
    running = Workers(tmp_path, smtp[1])
    try:
        yield running
    finally:
        running.kill_all()


async def due_session_reminders(count: int) -> dict[str, str]:
    """A group of `count` people meeting tomorrow, so `count` session reminders are due now.

    Returns the expected Message-ID of each row's key. The people are inserted in bulk:
    the services would take minutes for thousands.
    """
    now = datetime.now(UTC)
    convenor = await person("c")
    gid = await group_of("peer_support", convenor, name="Night shift peers")
    people = await User.insert(
        *[
            User(email=f"member{n}@example.org", display_name=f"Member {n}", password_hash="x")
            for n in range(count - 1)
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
    starts = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    await Meeting.insert(
        Meeting(
            group=gid,
            occurrence_key=f"{gid}:exactly-once",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=90),
            place="The meeting room",
        )
    )
    assert await plan_meetings(now) == count
    rows = await Reminder.select(Reminder.key, Reminder.due_at, Reminder.kind)
    assert {r["kind"] for r in rows} == {"session"}
    assert all(r["due_at"] <= now for r in rows)
    sender = make_settings().mail_from
    return {r["key"]: message_id(r["key"], sender) for r in rows}


async def rows_of(worker: Worker, status: str) -> list[dict[str, Any]]:
    # A worker's token is "<host>-<pid>-<random>", and it stays on the rows it sent.
    rows: list[dict[str, Any]] = await Reminder.select(Reminder.id, Reminder.key).where(
        Reminder.claimed_by.like(f"%-{worker.process.pid}-%") & (Reminder.status == status)
    )
    return rows


async def wait_for_leases_to_run_out() -> None:
    latest = await Reminder.select(Reminder.lease_until).where(
        (Reminder.status == "pending") & Reminder.lease_until.is_not_null()
    )
    if latest:
        wait = max(r["lease_until"] for r in latest) - datetime.now(UTC)
        await anyio.sleep(wait.total_seconds() + 0.5)


async def test_a_killed_worker_loses_nothing_and_duplicates_only_what_it_had_not_marked(
    db: str, smtp: tuple[Recorder, int], workers: Workers
) -> None:
    recorder, _port = smtp
    recorder.hold_at = 300
    expected = await due_session_reminders(REMINDERS)
    key_of = {mid: key for key, mid in expected.items()}
    started = [workers.start("a"), workers.start("b")]

    # The 300th message is stored and its answer held back: kill whichever worker sent
    # it, mid-batch, in the one window where a message can go twice.
    if not await anyio.to_thread.run_sync(recorder.holding.wait, 60):
        pytest.fail(f"the server never received 300 messages\n{workers.report()}")
    assert recorder.held is not None
    in_flight = await Reminder.select(Reminder.status, Reminder.claimed_by).where(
        Reminder.key == key_of[recorder.held]
    )
    assert in_flight[0]["status"] == "pending", workers.report()
    sender = int(in_flight[0]["claimed_by"].split("-")[-2])  # "<host>-<pid>-<random>"
    victim = next(w for w in started if w.process.pid == sender)
    survivor = next(w for w in started if w is not victim)
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait()
    recorder.release.set()
    assert victim.process.returncode == -signal.SIGKILL
    # A COMMIT already on its way to PostgreSQL lands anyway; its leases keep the rows
    # from everyone else for seconds yet.
    await anyio.sleep(0.5)
    held = {r["id"]: r["key"] for r in await rows_of(victim, "pending")}
    assert key_of[recorder.held] in held.values()
    # What the server accepted from the dead worker but it never marked: the only
    # messages allowed to go twice.
    unmarked = {expected[key] for key in held.values()} & set(recorder.ids)
    assert recorder.held in unmarked and len(unmarked) <= WINDOW, unmarked
    await workers.finished(survivor)

    # The dead worker's rows are nobody's until its lease runs out; then the next pass
    # (the survivor, if it was still going, or this worker) takes them.
    await wait_for_leases_to_run_out()
    await workers.finished(workers.start("c"))

    rows = await Reminder.select(Reminder.id, Reminder.status, Reminder.claimed_by)
    assert len(rows) == REMINDERS
    assert {r["status"] for r in rows} == {"sent"}, workers.report()
    taken_over = [r for r in rows if r["id"] in held]
    assert all(f"-{victim.process.pid}-" not in r["claimed_by"] for r in taken_over)

    received = recorder.ids
    assert set(received) == set(expected.values()), workers.report()
    assert {mid: n for mid, n in Counter(received).items() if n > 1} == dict.fromkeys(unmarked, 2)


async def test_two_workers_at_once_send_every_reminder_exactly_once(
    db: str, smtp: tuple[Recorder, int], workers: Workers
) -> None:
    recorder, _port = smtp
    expected = await due_session_reminders(REMINDERS)
    first, second = workers.start("a"), workers.start("b")
    await workers.finished(first)
    await workers.finished(second)

    statuses = Counter(r["status"] for r in await Reminder.select(Reminder.status))
    assert statuses == {"sent": REMINDERS}, workers.report()
    received = recorder.ids
    assert len(received) == len(set(received)) == REMINDERS, Counter(received).most_common(3)
    assert set(received) == set(expected.values())
    # Both took part: the claim shares rows out rather than one worker taking them all.
    senders = Counter(
        r["claimed_by"].split("-")[-2] for r in await Reminder.select(Reminder.claimed_by)
    )
    assert set(senders) == {str(first.process.pid), str(second.process.pid)}, senders
