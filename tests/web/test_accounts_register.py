from __future__ import annotations

import anyio
import httpx
from litestar import Litestar

from app.asgi import create_app
from app.db.tables import User
from tests.conftest import client_for, field_error, make_settings, post_form, text_of


async def test_registering_signs_the_person_in_and_lands_on_home(client: httpx.AsyncClient) -> None:
    response = await post_form(
        client,
        "/register",
        {
            "display_name": "Dana Dlamini",
            "email": "Dana@Example.org ",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert "Hello, Dana Dlamini" in text_of(home.text)
    assert "Sign out" in home.text
    stored = await User.select(User.email, User.role).first()
    assert stored == {"email": "dana@example.org", "role": "member"}


async def test_bad_registration_comes_back_with_messages_beside_fields_and_keeps_what_was_typed(
    client: httpx.AsyncClient,
) -> None:
    response = await post_form(
        client, "/register", {"display_name": "Dana", "email": "not-an-email", "password": "short"}
    )
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Enter an email address like name@example.org."
    assert field_error(response.text, "password").startswith("Use at least 10 characters")
    assert field_error(response.text, "display_name") is None
    assert 'value="Dana"' in response.text
    assert 'value="not-an-email"' in response.text
    assert "short" not in response.text
    assert 'aria-invalid="true"' in response.text
    assert "There is a problem" in response.text
    assert await User.count() == 0


async def test_registration_is_limited_to_the_allowed_email_domains(db: str) -> None:
    app = create_app(make_settings(ALLOWED_EMAIL_DOMAINS="care.example.gov.uk, example.org"))
    async with client_for(app) as client:
        refused = await post_form(
            client,
            "/register",
            {"display_name": "Eve", "email": "eve@gmail.com", "password": "a long enough password"},
        )
        assert refused.status_code == 422
        assert field_error(refused.text, "email") == (
            "Use your work email address (@care.example.gov.uk, @example.org)."
        )
        accepted = await post_form(
            client,
            "/register",
            {
                "display_name": "Eve",
                "email": "eve@care.example.gov.uk",
                "password": "a long enough password",
            },
        )
        assert accepted.status_code == 303


async def test_registering_an_email_that_has_an_account_says_so_beside_the_email(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    response = await post_form(
        client,
        "/register",
        {
            "display_name": "Bob again",
            "email": "bob@example.org",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 422
    assert "already exists" in field_error(response.text, "email")


async def test_two_people_registering_one_email_at_once_create_exactly_one_account(
    app: Litestar,
) -> None:
    statuses: list[int] = []

    async def attempt(n: int) -> None:
        async with client_for(app, address=f"10.0.0.{n}") as c:
            response = await post_form(
                c,
                "/register",
                {
                    "display_name": f"Twin {n}",
                    "email": "twin@example.org",
                    "password": "a long enough password",
                },
            )
            statuses.append(response.status_code)

    async with anyio.create_task_group() as tg:
        for n in range(8):
            tg.start_soon(attempt, n)
    assert sorted(statuses) == [303] + [422] * 7
    assert await User.count().where(User.email == "twin@example.org") == 1


async def test_a_signed_in_person_visiting_register_is_sent_home(
    client: httpx.AsyncClient, make_account
) -> None:
    from tests.conftest import sign_in

    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    response = await client.get("/register")
    assert response.status_code == 303
