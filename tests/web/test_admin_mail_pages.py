from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from app.db.tables import AuditEvent, Reminder
from app.mail import ConsoleMailer, Email
from tests.conftest import client_for, make_settings, post_form, sign_in, text_of

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


async def reminder(user_id: int, key: str, status: str, **extra: object) -> int:
    row = Reminder(
        key=key,
        kind=extra.pop("kind", "session"),
        user=user_id,
        due_at=extra.pop("due_at", NOW),
        status=status,
        created_at=NOW,
        **extra,
    )
    await row.save()
    return int(row.id)


async def test_an_admin_sees_counts_by_status_and_the_failed_reminders_newest_first(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("adam@example.org", "Adam Adeyemi", role="admin")
    bob = await make_account("bob@example.org", "Bob Brown")
    for n, status in enumerate(["pending", "pending", "sent", "void", "skipped", "folded"]):
        await reminder(bob.id, f"k{n}", status)
    await reminder(bob.id, "old", "failed", attempts=6, last_error="SMTPServerDisconnected('gone')")
    await reminder(
        bob.id,
        "new",
        "failed",
        kind="today",
        due_at=NOW + timedelta(days=1),
        attempts=6,
        last_error="TimeoutError()",
    )
    await sign_in(client, "adam@example.org")
    response = await client.get("/admin/reminders")
    assert response.status_code == 200
    words = text_of(response.text)
    for status, count in [
        ("Pending", 2),
        ("Sent", 1),
        ("Failed", 2),
        ("Void", 1),
        ("Skipped", 1),
        ("Folded", 1),
    ]:
        assert re.search(rf"\b{status} {count}\b", words), status
    assert "Bob Brown" in words and "bob@example.org" in words
    assert "SMTPServerDisconnected('gone')" in words
    assert words.index("TimeoutError()") < words.index("SMTPServerDisconnected")


async def test_try_again_puts_a_failed_reminder_back_in_the_queue_and_records_who_did_it(
    client: httpx.AsyncClient, make_account
) -> None:
    adam = await make_account("adam@example.org", "Adam Adeyemi", role="admin")
    bob = await make_account("bob@example.org")
    failed = await reminder(
        bob.id,
        "f",
        "failed",
        attempts=6,
        claimed_by="worker-1",
        lease_until=NOW,
        last_error="boom",
    )
    sent = await reminder(bob.id, "s", "sent", attempts=1)
    await sign_in(client, "adam@example.org")
    response = await post_form(client, f"/admin/reminders/{failed}/retry", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/reminders"
    row = (
        await Reminder.select(
            Reminder.status,
            Reminder.attempts,
            Reminder.lease_until,
            Reminder.claimed_by,
            Reminder.last_error,
        )
        .where(Reminder.id == failed)
        .first()
    )
    assert row == {
        "status": "pending",
        "attempts": 0,
        "lease_until": None,
        "claimed_by": "",
        "last_error": "",
    }
    [audit] = await AuditEvent.select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
    assert audit["actor"] == adam.id
    assert audit["action"] == "reminder_retried"
    assert f"Reminder {failed} " in audit["detail"]
    assert "back in the queue" in text_of((await client.get("/admin/reminders")).text)

    # Only a failed row goes back: a sent one (or a second click) changes nothing.
    await post_form(client, f"/admin/reminders/{sent}/retry", {})
    assert await Reminder.select(Reminder.status).where(Reminder.id == sent).first() == {
        "status": "sent"
    }
    assert "nothing changed" in text_of((await client.get("/admin/reminders")).text)
    assert await AuditEvent.count() == 1


async def test_a_member_or_an_organiser_is_refused_the_admin_pages(
    app: Litestar, make_account
) -> None:
    bob = await make_account("bob@example.org")
    await make_account("olga@example.org", "Olga Okafor", role="organiser")
    failed = await reminder(bob.id, "f", "failed")
    for who in ("bob@example.org", "olga@example.org"):
        async with client_for(app) as c:
            await sign_in(c, who)
            for path in ("/admin/reminders", "/admin/mail", "/admin/mail/" + "a" * 32):
                assert (await c.get(path)).status_code == 404, (who, path)
            retry = await post_form(c, f"/admin/reminders/{failed}/retry", {})
            assert retry.status_code == 404
    assert await Reminder.select(Reminder.status).where(Reminder.id == failed).first() == {
        "status": "failed"
    }


async def test_a_visitor_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/reminders")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


async def test_the_home_page_links_an_admin_to_the_admin_pages(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("adam@example.org", "Adam Adeyemi", role="admin")
    await sign_in(client, "adam@example.org")
    home = (await client.get("/")).text
    assert 'href="/admin/reminders"' in home and 'href="/admin/mail"' in home


# --------------------------------------------------------------------------- console mail


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
async def console_client(db: str, var_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    from app.asgi import create_app

    app: Litestar = create_app(make_settings(MAIL_BACKEND="console", VAR_DIR=str(var_dir)))
    async with client_for(app) as c:
        yield c


async def write_mail(var_dir: Path) -> tuple[str, str]:
    mailer = ConsoleMailer("Roundtable <roundtable@example.org>", var_dir / "mail")
    await mailer.send(
        Email(
            to="bob@example.org",
            subject="Your session on Tuesday",
            text="Hello Bob,\nYour session is on Tuesday at 10:00.\n",
            html="<p>Hello Bob</p>",
            idempotency_key="session:1:0:2",
            headers=(
                ("List-Unsubscribe", "<http://testserver/email/unsubscribe/2/session/abc>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ),
            attachments=(("session.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n"),),
        )
    )
    await mailer.send(
        Email(to="carol@example.org", subject="Reset your password", text="Hi", html="<p>Hi</p>")
    )
    names = sorted(p.stem for p in (var_dir / "mail").glob("*.eml"))
    keyed = next(n for n in names if re.fullmatch(r"[0-9a-f]{32}", n))
    other = next(n for n in names if n != keyed)
    # The listing is newest first by when the file was written: make that unambiguous.
    os.utime(var_dir / "mail" / f"{keyed}.eml", (1_700_000_000, 1_700_000_000))
    return keyed, other


async def test_the_admin_mailbox_lists_reminders_but_never_a_password_reset(
    console_client: httpx.AsyncClient, make_account, var_dir: Path
) -> None:
    await make_account("adam@example.org", "Adam Adeyemi", role="admin")
    keyed, other = await write_mail(var_dir)
    await sign_in(console_client, "adam@example.org")

    listing = await console_client.get("/admin/mail")
    assert listing.status_code == 200
    assert f'href="/admin/mail/{keyed}"' in listing.text
    # A live reset link would let an admin sign in as that person, unseen.
    assert other not in listing.text
    words = text_of(listing.text)
    assert "Reset your password" not in words
    assert "bob@example.org" in words
    assert (await console_client.get(f"/admin/mail/{other}")).status_code == 404

    shown = await console_client.get(f"/admin/mail/{keyed}")
    assert shown.status_code == 200
    words = text_of(shown.text)
    for expected in (
        "Roundtable <roundtable@example.org>",
        "bob@example.org",
        "Your session on Tuesday",
        f"<{keyed}@example.org>",
        "<http://testserver/email/unsubscribe/2/session/abc>",
        "session.ics",
    ):
        assert expected in words, expected
    assert re.search(r"<pre[^>]*>Hello Bob,\nYour session is on Tuesday at 10:00.", shown.text)


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fetc%2Fpasswd",
        "..",
        "%2E%2E",
        "0123456789abcdef0123456789abcdef.eml",
        "0123456789ABCDEF0123456789ABCDEF",
        "ffffffffffffffffffffffffffffffff",  # well formed, but no such file
        "server.log",
    ],
)
async def test_a_name_that_is_not_a_kept_email_is_not_found(
    console_client: httpx.AsyncClient, make_account, var_dir: Path, name: str
) -> None:
    await make_account("adam@example.org", "Adam Adeyemi", role="admin")
    await write_mail(var_dir)
    (var_dir / "server.log").write_text("secret")
    await sign_in(console_client, "adam@example.org")
    response = await console_client.get(f"/admin/mail/{name}")
    assert response.status_code == 404
    assert "secret" not in response.text


async def test_with_smtp_the_mailbox_says_mail_goes_to_the_server_and_lists_nothing(
    db: str, make_account, var_dir: Path
) -> None:
    from app.asgi import create_app

    await write_mail(var_dir)
    settings = make_settings(
        MAIL_BACKEND="smtp", SMTP_HOST="mail.example.org", VAR_DIR=str(var_dir)
    )
    async with client_for(create_app(settings)) as c:
        await make_account("adam@example.org", "Adam Adeyemi", role="admin")
        await sign_in(c, "adam@example.org")
        response = await c.get("/admin/mail")
        assert response.status_code == 200
        assert "Mail goes to the SMTP server (mail.example.org)" in text_of(response.text)
        assert "/admin/mail/" not in response.text
