from __future__ import annotations

import httpx

from app.db.tables import User
from tests.conftest import field_error, htmx_post, post_form, sign_in, text_of

GOOD = {
    "display_name": "Bob B.",
    "pronouns": "he/him",
    "timezone": "Europe/Dublin",
    "accessibility_needs": "Captions, please.",
}


async def test_the_profile_saves_name_pronouns_timezone_and_needs(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    response = await post_form(client, "/account/profile", GOOD)
    assert response.status_code == 303
    page = await client.get("/account/profile")
    assert "Your profile has been saved." in text_of(page.text)
    assert '<option value="Europe/Dublin" selected>' in page.text
    row = await User.select(
        User.display_name, User.pronouns, User.timezone, User.accessibility_needs
    ).first()
    assert row == GOOD


async def test_htmx_saves_the_profile_in_place_with_a_fragment(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    response = await htmx_post(client, "/account/profile", GOOD)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="profile-form"' in response.text
    assert "Your profile has been saved." in response.text
    assert response.headers["Vary"] == "HX-Request"


async def test_bad_profile_input_comes_back_beside_the_fields_with_what_was_typed(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    bad = {**GOOD, "display_name": "", "timezone": "Mars/Olympus", "pronouns": "x" * 41}
    for response in (
        await post_form(client, "/account/profile", bad),
        await htmx_post(client, "/account/profile", bad),
    ):
        assert response.status_code == 422
        assert (
            field_error(response.text, "display_name")
            == "Enter the name you'd like colleagues to see."
        )
        assert field_error(response.text, "timezone") == "Choose a timezone from the list."
        assert field_error(response.text, "pronouns") == "Use at most 40 characters."
        assert "Captions, please." in response.text


async def test_a_profile_change_shows_at_once_in_the_header_greeting(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org", "Bob Brown")
    await sign_in(client, "bob@example.org")
    await post_form(client, "/account/profile", GOOD)
    assert "Hello, Bob B." in text_of((await client.get("/")).text)
