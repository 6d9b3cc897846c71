"""What admins see of outgoing mail: the reminder outbox's state, and the console mailbox."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import anyio.to_thread
from piccolo.query.functions.aggregate import Count

from app.db.engine import write_transaction
from app.db.tables import AuditEvent, Reminder

STATUSES = ("pending", "sent", "failed", "void", "skipped", "folded")
STATUS_MEANINGS = {
    "pending": "waiting until due, or to be tried again",
    "sent": "delivered to the mail server",
    "failed": "gave up after several tries",
    "void": "no longer true, so not sent",
    "skipped": "the person switched these emails off",
    "folded": "put into a daily digest",
}
FAILED_LIMIT = 100
MAIL_LIMIT = 200
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")

# ConsoleMailer names a file after its Message-ID's local part: 32 hex digits for a
# message with an idempotency key (every reminder), else make_msgid's form. Only the
# first are shown: the others are password-reset emails, and an admin who could read a
# live reset link could sign in as anyone and read their private groups unseen. A strict
# name also means no request can reach outside the folder.
_MAIL_NAME = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class FailedReminder:
    id: int
    kind: str
    name: str
    email: str
    due_at: datetime
    attempts: int
    last_error: str


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]  # every status in STATUSES, then any other found
    failed: list[FailedReminder]  # newest first, at most FAILED_LIMIT


async def outbox_overview() -> OutboxOverview:
    counted = await Reminder.select(Reminder.status, Count(Reminder.id, alias="n")).group_by(
        Reminder.status
    )
    found = {row["status"]: row["n"] for row in counted}
    counts = {status: found.pop(status, 0) for status in STATUSES} | found
    rows = (
        await Reminder.select(
            Reminder.id,
            Reminder.kind,
            Reminder.user.display_name.as_alias("name"),
            Reminder.user.email.as_alias("email"),
            Reminder.due_at,
            Reminder.attempts,
            Reminder.last_error,
        )
        .where(Reminder.status == "failed")
        .order_by(Reminder.due_at, ascending=False)
        .order_by(Reminder.id, ascending=False)
        .limit(FAILED_LIMIT)
    )
    return OutboxOverview(counts, [FailedReminder(**row) for row in rows])


async def retry_failed(reminder_id: int, admin: int, now: datetime) -> bool:
    """Put a failed reminder back in the queue; False if it is not (or no longer) failed.

    The row starts afresh, with no attempts and no error; the audit trail keeps who put
    it back, when, and the error it had.
    """
    async with write_transaction():
        updated = (
            await Reminder.update(
                {
                    Reminder.status: "pending",
                    Reminder.attempts: 0,
                    Reminder.lease_until: None,
                    Reminder.claimed_by: "",
                    Reminder.last_error: "",
                }
            )
            .where((Reminder.id == reminder_id) & (Reminder.status == "failed"))
            .returning(Reminder.id, Reminder.kind)
        )
        if not updated:
            return False
        await AuditEvent.insert(
            AuditEvent(
                actor=admin,
                action="reminder_retried",
                detail=f"Reminder {reminder_id} ({updated[0]['kind']}) put back in the queue",
                occurred_at=now,
            )
        )
    return True


@dataclass(frozen=True)
class MailSummary:
    name: str
    date: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class MailMessage:
    name: str
    subject: str
    headers: list[tuple[str, str]]
    text: str
    attachments: list[str]


def _parse(path: Path, headers_only: bool = False) -> EmailMessage:
    with path.open("rb") as f:
        return BytesParser(policy=default).parse(f, headersonly=headers_only)


def _date(message: EmailMessage) -> datetime | None:
    try:
        header = message["Date"]
        moment = getattr(header, "datetime", None)
    except (TypeError, ValueError):
        return None
    if not isinstance(moment, datetime):
        return None
    # "-0000" (what the mailer writes) parses to a naive datetime that means UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _list(folder: Path) -> list[MailSummary]:
    if not folder.is_dir():
        return []
    files = []
    for path in folder.glob("*.eml"):
        if _MAIL_NAME.fullmatch(path.stem) and path.is_file():
            files.append((path.stat().st_mtime, path.name, path))
    summaries = []
    for _, _, path in heapq.nlargest(MAIL_LIMIT, files):
        message = _parse(path, headers_only=True)
        summaries.append(
            MailSummary(
                path.stem, _date(message), str(message["To"] or ""), str(message["Subject"] or "")
            )
        )
    return summaries


def _read(folder: Path, name: str) -> MailMessage | None:
    if not _MAIL_NAME.fullmatch(name):
        return None
    path = folder / f"{name}.eml"
    if not path.is_file():
        return None
    message = _parse(path)
    headers = [(h, str(message[h])) for h in SHOWN_HEADERS if message[h] is not None]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    attachments = [part.get_filename() or "(no name)" for part in message.iter_attachments()]
    return MailMessage(name, str(message["Subject"] or ""), headers, text, attachments)


async def console_mail(folder: Path) -> list[MailSummary]:
    """The newest messages the console mailer kept, newest first."""
    return await anyio.to_thread.run_sync(_list, folder)


async def console_message(folder: Path, name: str) -> MailMessage | None:
    return await anyio.to_thread.run_sync(_read, folder, name)
