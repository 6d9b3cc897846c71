from __future__ import annotations

import re

import anyio
import httpx
from litestar import Litestar

from app.db.tables import ReminderPreference, User
from app.domain.reminders import KINDS
from tests.conftest import client_for, field_error, post_form, sign_in, text_of

ALL_ON = dict.fromkeys(KINDS, "on")


def checked(html: str, kind: str) -> list[str]:
    """The values of the radio buttons checked in one kind's fieldset."""
    return re.findall(rf'id="{kind}-(\w+)" name="{kind}" value="\1" checked', html)


async def stored(user_id: int) -> dict[str, str]:
    rows = await ReminderPreference.select(
        ReminderPreference.kind, ReminderPreference.setting
    ).where(ReminderPreference.user == user_id)
    return {row["kind"]: row["setting"] for row in rows}


async def test_a_visitor_is_sent_to_sign_in_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/account/email")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=/account/email")


async def test_by_default_every_kind_of_email_is_on_and_there_are_no_quiet_hours(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    response = await client.get("/account/email")
    assert response.status_code == 200
    for kind, description in KINDS.items():
        assert f"<legend>{description}</legend>" in response.text
        assert checked(response.text, kind) == ["on"]
    assert re.search(
        r'<input id="quiet_from" name="quiet_from" type="time" value=""', response.text
    )
    assert re.search(
        r'<input id="quiet_until" name="quiet_until" type="time" value=""', response.text
    )
    words = text_of(response.text)
    assert "except on-the-day reminders and urgent requests to cover a session" in words
    assert "Europe/London" in words


async def test_the_profile_page_links_to_the_email_choices(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    assert 'href="/account/email"' in (await client.get("/account/profile")).text


async def test_saving_choices_keeps_them_and_says_so(
    client: httpx.AsyncClient, make_account
) -> None:
    bob = await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    choices = {**ALL_ON, "session": "digest", "forum": "off"}
    response = await post_form(
        client, "/account/email", {**choices, "quiet_from": "21:30", "quiet_until": "07:00"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/email"
    assert await stored(bob.id) == choices
    person = await User.select(User.quiet_from, User.quiet_until).where(User.id == bob.id).first()
    assert person == {"quiet_from": "21:30", "quiet_until": "07:00"}

    page = await client.get("/account/email")
    assert "Your email choices are saved." in text_of(page.text)
    assert checked(page.text, "session") == ["digest"]
    assert checked(page.text, "forum") == ["off"]
    assert 'id="quiet_from" name="quiet_from" type="time" value="21:30"' in page.text

    # Saving again with no quiet hours clears them.
    await post_form(client, "/account/email", {**choices, "quiet_from": "", "quiet_until": ""})
    person = await User.select(User.quiet_from, User.quiet_until).where(User.id == bob.id).first()
    assert person == {"quiet_from": "", "quiet_until": ""}


async def test_a_half_filled_quiet_hours_pair_comes_back_beside_the_field_with_the_choices_kept(
    client: httpx.AsyncClient, make_account
) -> None:
    bob = await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    choices = {**ALL_ON, "today": "off", "swaps": "digest"}
    response = await post_form(
        client, "/account/email", {**choices, "quiet_from": "22:00", "quiet_until": ""}
    )
    assert response.status_code == 422
    assert (
        field_error(response.text, "quiet_until")
        == "Enter when your quiet hours end, or clear both times."
    )
    assert checked(response.text, "today") == ["off"]
    assert checked(response.text, "swaps") == ["digest"]
    assert 'value="22:00"' in response.text
    assert await stored(bob.id) == {}


async def test_quiet_hours_that_start_and_end_together_or_are_not_times_are_refused(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    same = await post_form(
        client, "/account/email", {**ALL_ON, "quiet_from": "21:00", "quiet_until": "21:00"}
    )
    assert same.status_code == 422
    assert field_error(same.text, "quiet_until") == (
        "Quiet hours must end at a different time from when they start."
    )
    garbled = await post_form(
        client, "/account/email", {**ALL_ON, "quiet_from": "25:00", "quiet_until": "late"}
    )
    assert garbled.status_code == 422
    assert field_error(garbled.text, "quiet_from") == "Enter a time like 21:00."
    assert field_error(garbled.text, "quiet_until") == "Enter a time like 21:00."


async def test_an_unknown_setting_is_explained_beside_its_question_not_a_server_error(
    client: httpx.AsyncClient, make_account
) -> None:
    bob = await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    response = await post_form(
        client,
        "/account/email",
        {**ALL_ON, "session": "sometimes", "quiet_from": "", "quiet_until": ""},
    )
    assert response.status_code == 422
    assert field_error(response.text, "session") == (
        "Choose whether to email you, put it in your digest, or not email you."
    )
    assert field_error(response.text, "facilitating") is None
    assert 'href="#session"' in response.text  # the error summary points at the question
    assert await stored(bob.id) == {}


async def test_two_saves_at_once_leave_one_row_per_kind(app: Litestar, make_account) -> None:
    bob = await make_account("bob@example.org")
    statuses: list[int] = []

    async def save(setting: str) -> None:
        async with client_for(app) as c:
            await sign_in(c, "bob@example.org")
            response = await post_form(
                c,
                "/account/email",
                {**dict.fromkeys(KINDS, setting), "quiet_from": "", "quiet_until": ""},
            )
            statuses.append(response.status_code)

    async with anyio.create_task_group() as tg:
        for setting in ("digest", "off", "digest", "off"):
            tg.start_soon(save, setting)
    assert statuses == [303] * 4
    rows = await ReminderPreference.select(ReminderPreference.kind).where(
        ReminderPreference.user == bob.id
    )
    assert sorted(row["kind"] for row in rows) == sorted(KINDS)
    assert len(set((await stored(bob.id)).values())) == 1  # one save won, whole
