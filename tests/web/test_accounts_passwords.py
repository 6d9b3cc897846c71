from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from app.db.tables import AuditEvent
from app.mail import MemoryMailer
from app.services import accounts
from app.services.errors import FormErrors
from tests.conftest import TEST_PASSWORD, client_for, field_error, post_form, sign_in, text_of


def reset_link(app: Litestar) -> str:
    mailer: MemoryMailer = app.state.mailer
    message = mailer.outbox[-1]
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"http://testserver(/password/reset/\S+)", text)
    assert found, text
    return found.group(1)


async def test_a_reset_link_is_emailed_and_sets_a_new_password_once(
    app: Litestar, client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org", "Bob Brown")
    sent = await post_form(client, "/password/forgot", {"email": "bob@example.org"})
    assert "Check your email" in text_of(sent.text)
    message = app.state.mailer.outbox[-1]
    assert message["To"] == "bob@example.org"
    assert message["Subject"] == "Reset your Roundtable password"
    assert message.get_body(("html",)) is not None
    link = reset_link(app)

    assert (await client.get(link)).status_code == 200
    done = await post_form(client, link, {"new_password": "a brand new password"})
    assert done.status_code == 303
    assert "password has been changed" in text_of((await client.get("/")).text)
    assert await AuditEvent.count().where(AuditEvent.action == "password_reset") == 1

    again = await post_form(client, link, {"new_password": "yet another password"})
    assert again.status_code == 410
    assert "This link no longer works" in text_of(again.text)
    async with client_for(app) as fresh:
        await sign_in(fresh, "bob@example.org", "a brand new password")


async def test_an_unknown_email_at_reset_gets_the_same_answer_as_a_known_one(
    app: Litestar, client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    known = await post_form(client, "/password/forgot", {"email": "bob@example.org"})
    unknown = await post_form(client, "/password/forgot", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert text_of(known.text).replace("bob@", "X@") == text_of(unknown.text).replace(
        "nobody@", "X@"
    )
    assert len(app.state.mailer.outbox) == 1


async def test_a_malformed_email_at_reset_is_explained_beside_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await post_form(client, "/password/forgot", {"email": "bob at work"})
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Enter an email address like name@example.org."
    assert 'value="bob at work"' in response.text


async def test_a_reset_link_stops_working_after_an_hour(app: Litestar, make_account) -> None:
    await make_account("bob@example.org")
    now = datetime.now(UTC)
    await accounts.request_password_reset(
        "bob@example.org", now, app.state.mailer, "http://testserver"
    )
    token = reset_link(app).rsplit("/", 1)[1]
    later = now + timedelta(minutes=61)
    assert await accounts.reset_link_is_valid(token, now + timedelta(minutes=59))
    assert not await accounts.reset_link_is_valid(token, later)
    with pytest.raises(accounts.InvalidResetLink):
        await accounts.reset_password(token, "a brand new password", later)


async def test_a_weak_new_password_does_not_use_up_the_reset_link(
    app: Litestar, client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await post_form(client, "/password/forgot", {"email": "bob@example.org"})
    link = reset_link(app)
    weak = await post_form(client, link, {"new_password": "short"})
    assert weak.status_code == 422
    assert field_error(weak.text, "new_password").startswith("Use at least 10 characters")
    assert (
        await post_form(client, link, {"new_password": "a brand new password"})
    ).status_code == 303


async def test_an_unknown_reset_link_gets_a_clear_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/password/reset/made-up-token")
    assert response.status_code == 410
    assert "This link no longer works" in text_of(response.text)


async def test_changing_the_password_signs_out_every_other_session(
    app: Litestar, make_account
) -> None:
    await make_account("bob@example.org")
    async with client_for(app) as phone, client_for(app) as laptop:
        await sign_in(phone, "bob@example.org")
        await sign_in(laptop, "bob@example.org")
        changed = await post_form(
            laptop,
            "/account/password",
            {"current_password": TEST_PASSWORD, "new_password": "a brand new password"},
        )
        assert changed.status_code == 303
        assert (await laptop.get("/account/profile")).status_code == 200
        assert (await phone.get("/account/profile")).status_code == 303


async def test_changing_the_password_needs_the_current_one(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    response = await post_form(
        client, "/account/password", {"current_password": "not it", "new_password": "short"}
    )
    assert response.status_code == 422
    assert field_error(response.text, "current_password") == "That isn't your current password."
    assert field_error(response.text, "new_password").startswith("Use at least 10 characters")


async def test_the_same_password_twice_is_not_a_change(make_account) -> None:
    account = await make_account("bob@example.org")
    with pytest.raises(FormErrors) as caught:
        await accounts.change_password(account, TEST_PASSWORD, TEST_PASSWORD)
    assert "new_password" in caught.value.errors


async def test_passwords_are_stored_as_argon2_hashes(make_account) -> None:
    from app.db.tables import User

    await make_account("bob@example.org")
    row = await User.select(User.password_hash).first()
    assert row["password_hash"].startswith("$argon2id$")
    assert TEST_PASSWORD not in row["password_hash"]
