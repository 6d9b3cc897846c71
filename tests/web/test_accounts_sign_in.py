from __future__ import annotations

import httpx
from litestar import Litestar

from app.db.tables import HttpSession, SignInAttempt
from tests.conftest import (
    TEST_PASSWORD,
    client_for,
    field_error,
    post_form,
    sign_in,
    text_of,
)


async def test_sign_in_with_the_right_password_shows_the_person_home(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org", "Bob Brown")
    await sign_in(client, "BOB@example.org")
    assert "Hello, Bob Brown" in text_of((await client.get("/")).text)


async def test_a_wrong_password_is_explained_beside_the_password_and_the_email_is_kept(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    response = await post_form(
        client, "/sign-in", {"email": "bob@example.org", "password": "wrong one"}
    )
    assert response.status_code == 422
    assert "don't match" in field_error(response.text, "password")
    assert 'value="bob@example.org"' in response.text
    assert "wrong one" not in response.text


async def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    known = await post_form(
        client, "/sign-in", {"email": "bob@example.org", "password": "wrong one"}
    )
    unknown = await post_form(
        client, "/sign-in", {"email": "nobody@example.org", "password": "wrong one"}
    )
    assert field_error(known.text, "password") == field_error(unknown.text, "password")
    assert known.status_code == unknown.status_code


async def test_empty_sign_in_asks_for_both_fields(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/sign-in", {"email": "", "password": ""})
    assert field_error(response.text, "email") == "Enter your email address."
    assert field_error(response.text, "password") == "Enter your password."


async def test_signing_in_issues_a_new_session_id(client: httpx.AsyncClient, make_account) -> None:
    await make_account("bob@example.org")
    # A planted session id (fixation) must not survive sign-in.
    client.cookies.set("rt_session", "planted-by-someone-else", domain="testserver.local")
    await post_form(client, "/sign-in", {"email": "bob@example.org", "password": "wrong one"})
    await sign_in(client, "bob@example.org")
    assert client.cookies["rt_session"] != "planted-by-someone-else"
    first = client.cookies["rt_session"]
    await sign_in(client, "bob@example.org")
    assert client.cookies["rt_session"] != first
    assert await HttpSession.count().where(HttpSession.key == first) == 0


async def test_signing_out_ends_the_session_on_the_server(app: Litestar, make_account) -> None:
    await make_account("bob@example.org")
    async with client_for(app) as client:
        await sign_in(client, "bob@example.org")
        stolen = client.cookies["rt_session"]
        assert await HttpSession.count() == 1
        response = await post_form(client, "/sign-out", {})
        assert response.status_code == 303
        assert await HttpSession.count().where(HttpSession.key == stolen) == 0
    async with client_for(app) as replay:
        replay.cookies.set("rt_session", stolen, domain="testserver.local")
        response = await replay.get("/account/profile")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


async def test_visitors_browsing_write_no_session_rows(client: httpx.AsyncClient) -> None:
    for path in ("/", "/sign-in", "/register", "/password/forgot", "/no-such-page"):
        await client.get(path)
    assert await HttpSession.count() == 0
    assert "rt_session" not in client.cookies


async def test_sign_in_pauses_after_five_failures_for_one_account(
    app: Litestar, make_account
) -> None:
    await make_account("bob@example.org")
    for n in range(5):
        async with client_for(app, address=f"10.1.0.{n}") as attacker:
            await post_form(
                attacker, "/sign-in", {"email": "bob@example.org", "password": f"guess {n}"}
            )
    async with client_for(app, address="10.2.0.1") as bob:
        response = await post_form(
            bob, "/sign-in", {"email": "bob@example.org", "password": TEST_PASSWORD}
        )
        assert response.status_code == 429
        assert "Sign-in is paused" in field_error(response.text, "password")
        assert 'value="bob@example.org"' in response.text


async def test_sign_in_pauses_after_twenty_failures_from_one_address(
    app: Litestar, make_account
) -> None:
    await make_account("bob@example.org")
    async with client_for(app, address="10.3.0.1") as attacker:
        for n in range(20):
            await post_form(
                attacker, "/sign-in", {"email": f"person{n}@example.org", "password": "guess"}
            )
        response = await post_form(
            attacker, "/sign-in", {"email": "bob@example.org", "password": TEST_PASSWORD}
        )
        assert response.status_code == 429
    async with client_for(app, address="10.3.0.2") as bob:
        await sign_in(bob, "bob@example.org")


async def test_a_successful_sign_in_clears_the_accounts_failures(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    for _ in range(4):
        await post_form(client, "/sign-in", {"email": "bob@example.org", "password": "typo"})
    await sign_in(client, "bob@example.org")
    assert await SignInAttempt.count().where(SignInAttempt.succeeded.eq(False)) == 0


async def test_sign_in_returns_to_a_local_next_page_only(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    form = {"email": "bob@example.org", "password": TEST_PASSWORD}
    local = await post_form(client, "/sign-in", {**form, "next": "/account/profile"})
    assert local.headers["location"] == "/account/profile"
    for hostile in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = await post_form(client, "/sign-in", {**form, "next": hostile})
        assert response.headers["location"] == "/"


async def test_a_page_that_needs_an_account_sends_visitors_to_sign_in_and_back(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/account/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account/profile"
    page = await client.get(response.headers["location"])
    assert 'name="next" value="/account/profile"' in page.text


async def test_an_htmx_request_without_an_account_is_redirected_by_header(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/account/profile", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/sign-in?next=/account/profile"
