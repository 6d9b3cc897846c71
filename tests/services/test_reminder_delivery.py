"""Reminders over real SMTP: what arrives at an aiosmtpd server, and what a refusing or
slow server does to the outbox (retries with backoff, then failed; nothing marked sent
that was not handed over)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from app.config import Settings
from app.db.tables import Meeting, Reminder
from app.domain import reminders as rules
from app.mail import SmtpMailer, message_id
from app.services import meetings, rota
from app.services.accounts import Account
from app.services.dispatch import dispatch
from app.services.reminders import plan_meetings
from tests.conftest import make_settings
from tests.services.groups_support import add, group_of, person

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEEKLY = {"rule": "weekly", "first_date": "2027-01-05", "local_start": "19:00", "minutes": "90"}
FIRST = datetime(2027, 1, 5, 19, 0, tzinfo=UTC)  # 19:00 in London in January
SMTP_TIMEOUT = 1


class Server:
    """An aiosmtpd handler that accepts, refuses or stalls, and keeps what it accepted."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.port = 0
        self.refused: set[str] = set()  # recipients refused even in "accept" mode
        self._lock = threading.Lock()
        self.offered = 0  # messages whose data reached the server
        self.stored: list[bytes] = []
        self.connections: set[Any] = set()  # the client ends that delivered something

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.offered += 1
            mode = self.mode
        if mode == "refuse" or self.refused & set(envelope.rcpt_tos):
            return "550 5.7.1 Refused"
        if mode == "slow":
            # Longer than the client waits: it has given up before this answer.
            await asyncio.sleep(SMTP_TIMEOUT + 2)
            return "451 4.3.0 Too late"
        with self._lock:
            self.stored.append(envelope.original_content or envelope.content)
            self.connections.add(session.peer)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message_from_bytes(raw, policy=policy.default) for raw in self.stored]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server() -> Iterator[Server]:
    handler = Server()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        handler.mode = "accept"
        controller.stop()


@pytest.fixture
def smtp_settings(server: Server) -> Settings:
    return make_settings(
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(server.port),
        SMTP_STARTTLS="off",
        SMTP_TIMEOUT=str(SMTP_TIMEOUT),
        REMINDER_LEASE="30",
    )


async def weekly_group(members: int = 3) -> tuple[int, list[Account]]:
    convenor = await person("c")
    gid = await group_of("peer_support", convenor, name="Night shift peers")
    others = [await person(n) for n in range(members)]
    await add(gid, *others)
    await meetings.save_schedule(gid, convenor, WEEKLY, NOW)
    await rota.plan_rota(gid, NOW)
    first = await Meeting.select(Meeting.id).where(Meeting.starts_at == FIRST).first()
    assert first is not None
    return int(first["id"]), [convenor, *others]


async def one_due_session_reminder() -> dict[str, Any]:
    """Just one row in the outbox: a session reminder to the convenor, due now."""
    meeting, _people = await weekly_group(members=0)
    await plan_meetings(NOW)
    row = (
        await Reminder.select(Reminder.id, Reminder.key)
        .where((Reminder.kind == "session") & (Reminder.meeting == meeting))
        .first()
    )
    assert row is not None
    await Reminder.delete().where(Reminder.id != row["id"])
    await Reminder.update({Reminder.due_at: NOW}).where(Reminder.id == row["id"])
    return row


async def outbox_row() -> dict[str, Any]:
    row = await Reminder.select(
        Reminder.status, Reminder.attempts, Reminder.lease_until, Reminder.last_error
    ).first()
    assert row is not None
    return row


def message_ids(rows: list[dict[str, Any]], settings: Settings) -> list[str]:
    return sorted(message_id(r["key"], settings.mail_from) for r in rows)


def stored_ids(server: Server) -> list[str]:
    return sorted(str(m["Message-ID"]) for m in server.messages())


async def test_a_session_reminder_arrives_multipart_with_a_calendar_file_and_unsubscribe_headers(
    db: str, server: Server, smtp_settings: Settings
) -> None:
    await weekly_group()
    await plan_meetings(NOW)
    await dispatch(FIRST - timedelta(days=1), SmtpMailer(smtp_settings), smtp_settings)

    sent = await Reminder.select(Reminder.key).where(Reminder.status == "sent")
    assert stored_ids(server) == message_ids(sent, smtp_settings)
    message = next(m for m in server.messages() if "meets on" in str(m["Subject"]))
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    ics = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    assert ics.get_filename() == "session.ics"
    event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert event["SUMMARY"] == "Night shift peers"
    assert event.decoded("DTSTART") == FIRST
    assert str(message["List-Unsubscribe"]).startswith("<http://testserver/email/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_a_refusing_server_is_retried_with_backoff_then_the_row_fails_and_stays_failed(
    db: str, server: Server, smtp_settings: Settings
) -> None:
    await one_due_session_reminder()
    server.mode = "refuse"
    mailer = SmtpMailer(smtp_settings)
    moment = NOW
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        await dispatch(moment, mailer, smtp_settings)
        row = await outbox_row()
        assert row["attempts"] == attempt
        assert server.offered == attempt
        assert "550" in row["last_error"] and "Refused" in row["last_error"]
        if attempt == rules.MAX_ATTEMPTS:
            assert row["status"] == "failed"
            assert row["lease_until"] is None
            break
        assert row["status"] == "pending"
        retry = rules.retry_at(attempt, moment)
        assert retry is not None
        assert abs((row["lease_until"] - retry).total_seconds()) < 5
        # Nothing is tried again before the backoff is over.
        await dispatch(row["lease_until"] - timedelta(seconds=1), mailer, smtp_settings)
        assert server.offered == attempt
        moment = row["lease_until"]
    assert server.stored == []

    # A failed row is left for a person to look at, even once the server accepts again.
    server.mode = "accept"
    assert await dispatch(moment + timedelta(days=1), mailer, smtp_settings) == 0
    assert server.offered == rules.MAX_ATTEMPTS
    assert server.stored == []
    assert (await outbox_row())["status"] == "failed"


async def test_a_server_slower_than_the_timeout_is_cut_off_and_retried_and_nothing_is_marked_sent(
    db: str, server: Server, smtp_settings: Settings
) -> None:
    await one_due_session_reminder()
    server.mode = "slow"
    mailer = SmtpMailer(smtp_settings)
    started = asyncio.get_running_loop().time()
    await dispatch(NOW, mailer, smtp_settings)
    # Cut off at SMTP_TIMEOUT, not left waiting for the server's late answer.
    assert asyncio.get_running_loop().time() - started < SMTP_TIMEOUT + 1.5
    row = await outbox_row()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "Timeout" in row["last_error"]
    assert row["lease_until"] >= NOW + timedelta(seconds=60)

    await dispatch(row["lease_until"], mailer, smtp_settings)
    row = await outbox_row()
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert server.offered == 2
    assert await Reminder.count().where(Reminder.status == "sent") == 0


async def test_one_refused_message_leaves_the_rest_of_its_batch_sent_over_a_shared_connection(
    db: str, server: Server, smtp_settings: Settings
) -> None:
    _meeting, people = await weekly_group(members=5)
    await plan_meetings(NOW)
    refused = people[2]
    server.refused = {refused.email}
    mailer = SmtpMailer(smtp_settings)
    when = FIRST - timedelta(days=1)
    await dispatch(when, mailer, smtp_settings)

    theirs = await Reminder.select(Reminder.status, Reminder.attempts, Reminder.last_error).where(
        Reminder.user == refused.id
    )
    assert theirs and all(
        (r["status"], r["attempts"]) == ("pending", 1) and "Refused" in r["last_error"]
        for r in theirs
    )
    sent = await Reminder.select(Reminder.key).where(Reminder.status == "sent")
    assert len(sent) > 2 * len(theirs)
    assert stored_ids(server) == message_ids(sent, smtp_settings)
    # The batch shared connections: one, and a fresh one after each refusal.
    assert len(server.connections) <= 1 + len(theirs) < len(sent)

    server.refused = set()
    retry = await Reminder.select(Reminder.lease_until).where(Reminder.user == refused.id)
    await dispatch(max(r["lease_until"] for r in retry), mailer, smtp_settings)
    everything = await Reminder.select(Reminder.key).where(Reminder.status == "sent")
    assert len(everything) == len(sent) + len(theirs)
    assert stored_ids(server) == message_ids(everything, smtp_settings)
