"""What a message looks like on the wire, read back by a real aiosmtpd server the way a
mail client would: names and words outside ASCII, attachments, long links and the id."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.mail import Email, SmtpMailer, message_id, outgoing
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY:Caf\xc3\xa9 session\r\nEND:VCALENDAR\r\n"
LINK = "<https://roundtable.example.org/email/unsubscribe/12/session/" + "a" * 64 + ">"


class Inbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.arrived: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.arrived.append((list(envelope.mail_options), envelope.original_content))
        return "250 OK"

    def only(self) -> tuple[list[str], bytes, EmailMessage]:
        [(options, raw)] = self.arrived
        if "SMTPUTF8" in options:  # headers are UTF-8, not ASCII
            return options, raw, message_from_string(raw.decode(), policy=policy.default)  # type: ignore[return-value]
        return options, raw, message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mailer(port: int, sender: str) -> SmtpMailer:
    return SmtpMailer(
        make_settings(
            MAIL_BACKEND="smtp",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(port),
            SMTP_STARTTLS="off",
            MAIL_FROM=sender,
        )
    )


def email(to: str) -> Email:
    return Email(
        to=to,
        subject="Zoë, your session at Café Ünity is on Tuesday — with a long tail of words",
        text="Hello Zoë,\n\nWe meet in the café.\n" + "A line that is long enough. " * 10,
        html="<p>Hello Zoë,</p><p>We meet in the café.</p>",
        idempotency_key="session:12:0:7",
        headers=(
            ("List-Unsubscribe", LINK),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
        attachments=(("session.ics", "text/calendar", ICS),),
    )


async def test_words_outside_ascii_arrive_intact_in_every_part_and_header(
    inbox: tuple[Inbox, int],
) -> None:
    server, port = inbox
    sender = "Roundtable Café <roundtable@example.org>"
    await mailer(port, sender).send(email("zoe@example.org"))

    options, raw, message = server.only()
    assert "SMTPUTF8" not in options
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert str(message["Subject"]) == email("zoe@example.org").subject
    assert message["From"].addresses[0].display_name == "Roundtable Café"
    assert message["From"].addresses[0].addr_spec == "roundtable@example.org"
    assert message["Message-ID"] == message_id("session:12:0:7", sender)
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    # Text travels with CRLF line ends (RFC 2046's canonical form); clients show lines.
    assert plain.get_content().replace("\r\n", "\n") == email("zoe@example.org").text
    assert html.get_content().rstrip("\r\n") == "<p>Hello Zoë,</p><p>We meet in the café.</p>"
    [calendar] = message.iter_attachments()
    assert calendar.get_filename() == "session.ics"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_payload(decode=True) == ICS


async def test_a_long_unsubscribe_link_stays_on_its_header_line(inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    await mailer(port, "Roundtable <roundtable@example.org>").send(email("zoe@example.org"))
    _, raw, message = server.only()
    assert f"List-Unsubscribe: {LINK}\r\n".encode() in raw
    assert str(message["List-Unsubscribe"]) == LINK


async def test_an_address_outside_ascii_is_sent_with_smtputf8(inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    await mailer(port, "Roundtable <roundtable@example.org>").send(email("zoë@example.org"))
    options, _, message = server.only()
    assert "SMTPUTF8" in options
    assert message["To"].addresses[0].addr_spec == "zoë@example.org"
    assert str(message["Subject"]) == email("zoë@example.org").subject


@pytest.mark.parametrize("field", ["to", "subject"])
def test_a_line_break_in_a_header_is_refused_rather_than_starting_a_header_of_its_own(
    field: str,
) -> None:
    values = {"to": "zoe@example.org", "subject": "Hello"}
    values[field] += "\r\nBcc: someone@example.org"
    with pytest.raises(ValueError, match="line break"):
        outgoing(Email(text="x", html="<p>x</p>", **values), "Roundtable <r@example.org>")
