"""Render and send email: smtp, console (printed and kept under VAR_DIR/mail) or memory."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
import anyio

from app.config import Settings
from app.templating import environment


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    # Derived from what the message is about, so a retried send carries the same id
    # and a receiving server or a test can spot a duplicate.
    idempotency_key: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    # (file name, MIME type, content), e.g. a session's .ics
    attachments: tuple[tuple[str, str, bytes], ...] = ()


def render(
    template: str,
    to: str,
    context: dict[str, Any],
    key: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> Email:
    """Render templates/emails/<template>.{subject,txt,html} into one message."""
    env = environment()
    subject = " ".join(env.get_template(f"emails/{template}.subject.txt").render(context).split())
    text = env.get_template(f"emails/{template}.txt").render(context)
    html = env.get_template(f"emails/{template}.html").render(context)
    return Email(
        to=to,
        subject=subject,
        text=text,
        html=html,
        idempotency_key=key,
        headers=headers,
        attachments=attachments,
    )


def message_id(key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].rstrip(">").strip() or "roundtable.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    if email.idempotency_key:
        message["Message-ID"] = message_id(email.idempotency_key, sender)
    else:
        domain = sender.rsplit("@", 1)[-1].rstrip(">").strip() or "roundtable.invalid"
        message["Message-ID"] = make_msgid(domain=domain)
    for name, value in email.headers:
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for filename, mime, content in email.attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


class Mailer(Protocol):
    async def send(self, email: Email) -> None: ...


@dataclass
class MemoryMailer:
    sender: str
    outbox: list[EmailMessage] = field(default_factory=list)

    async def send(self, email: Email) -> None:
        self.outbox.append(build_message(email, self.sender))


@dataclass
class ConsoleMailer:
    sender: str
    folder: Path

    async def send(self, email: Email) -> None:
        message = build_message(email, self.sender)
        raw = message.as_bytes()
        name = message["Message-ID"].strip("<>").split("@", 1)[0]
        await anyio.Path(self.folder).mkdir(parents=True, exist_ok=True)
        await anyio.Path(self.folder / f"{name}.eml").write_bytes(raw)
        print(
            f"--- email to {email.to}: {email.subject}\n{email.text}\n--- end of email",
            file=sys.stderr,
            flush=True,
        )


@dataclass
class SmtpMailer:
    """`send` opens a connection for each message, so one mailer serves concurrent
    requests. `async with mailer.session() as s:` gives a mailer for one task's run of
    messages over one connection: opened on the first send, dropped after any error or
    cut-off (its state is unknown) and opened afresh by the next send, closed at the end."""

    settings: Settings
    keep_open: bool = False
    _smtp: aiosmtplib.SMTP | None = field(default=None, init=False, repr=False, compare=False)

    def session(self) -> SmtpMailer:
        return SmtpMailer(self.settings, keep_open=True)

    async def __aenter__(self) -> SmtpMailer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    def _options(self) -> dict[str, Any]:
        s = self.settings
        return {
            "hostname": s.smtp_host,
            "port": s.smtp_port,
            "username": s.smtp_username or None,
            "password": s.smtp_password or None,
            "start_tls": s.smtp_starttls,
            "timeout": s.smtp_timeout,
        }

    async def send(self, email: Email) -> None:
        message = build_message(email, self.settings.mail_from)
        if not self.keep_open:
            await aiosmtplib.send(message, **self._options())
            return
        try:
            if self._smtp is None or not self._smtp.is_connected:  # e.g. closed while idle
                self._drop()
                self._smtp = aiosmtplib.SMTP(**self._options())
                await self._smtp.connect()
            await self._smtp.send_message(message)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def _close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            with anyio.fail_after(self.settings.smtp_timeout):
                await smtp.quit()
        except Exception:  # every message was handed over already; only the goodbye failed
            smtp.close()


def mailer_for(settings: Settings) -> Mailer:
    if settings.mail_backend == "smtp":
        return SmtpMailer(settings)
    if settings.mail_backend == "memory":
        return MemoryMailer(settings.mail_from)
    return ConsoleMailer(settings.mail_from, settings.mail_dir)
