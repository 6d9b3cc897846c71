from __future__ import annotations

import httpx

from app.config import Settings
from app.db.tables import ReminderPreference
from app.domain.reminders import KINDS, unsubscribe_token
from tests.conftest import text_of

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def link(settings: Settings, user_id: int, kind: str) -> str:
    token = unsubscribe_token(settings.secret_key, user_id, kind)
    return f"/email/unsubscribe/{user_id}/{kind}/{token}"


async def stored(user_id: int) -> dict[str, str]:
    rows = await ReminderPreference.select(
        ReminderPreference.kind, ReminderPreference.setting
    ).where(ReminderPreference.user == user_id)
    return {row["kind"]: row["setting"] for row in rows}


async def test_opening_the_link_asks_first_and_changes_nothing(
    client: httpx.AsyncClient, make_account, settings: Settings
) -> None:
    bob = await make_account("bob@example.org")
    response = await client.get(link(settings, bob.id, "session"))
    assert response.status_code == 200
    words = text_of(response.text)
    assert f"Stop emails about “{KINDS['session']}”?" in words
    assert "You'll still see them when you sign in." in words
    assert '<form method="post"' in response.text
    assert await stored(bob.id) == {}


async def test_the_one_click_post_from_a_mail_client_turns_that_kind_off_and_can_be_repeated(
    client: httpx.AsyncClient, make_account, settings: Settings
) -> None:
    bob = await make_account("bob@example.org")
    url = link(settings, bob.id, "session")
    # As a mail provider sends it: no cookie, no session, no CSRF token.
    for _ in range(2):
        response = await client.post(url, data=ONE_CLICK)
        assert response.status_code == 200
        words = text_of(response.text)
        assert "You won't get these emails any more" in words
        assert "You'll still see them when you sign in." in words
        assert 'href="/account/email"' in response.text
        assert await stored(bob.id) == {"session": "off"}
    # Nothing is kept for the anonymous caller.
    assert "rt_session" not in " ".join(response.headers.get_list("set-cookie"))


async def test_unsubscribing_from_all_turns_every_kind_off(
    client: httpx.AsyncClient, make_account, settings: Settings
) -> None:
    bob = await make_account("bob@example.org")
    carol = await make_account("carol@example.org", "Carol Chen")
    page = await client.get(link(settings, bob.id, "all"))
    assert "Stop all Roundtable emails?" in text_of(page.text)
    response = await client.post(link(settings, bob.id, "all"), data=ONE_CLICK)
    assert response.status_code == 200
    assert await stored(bob.id) == dict.fromkeys(KINDS, "off")
    assert await stored(carol.id) == {}


async def test_a_wrong_token_or_a_tampered_kind_or_person_is_not_found(
    client: httpx.AsyncClient, make_account, settings: Settings
) -> None:
    bob = await make_account("bob@example.org")
    carol = await make_account("carol@example.org", "Carol Chen")
    token = unsubscribe_token(settings.secret_key, bob.id, "session")
    for url in (
        f"/email/unsubscribe/{bob.id}/session/{'0' * 32}",
        f"/email/unsubscribe/{bob.id}/forum/{token}",
        f"/email/unsubscribe/{bob.id}/all/{token}",
        f"/email/unsubscribe/{carol.id}/session/{token}",
        f"/email/unsubscribe/{bob.id}/nonsense/{token}",
    ):
        assert (await client.get(url)).status_code == 404, url
        assert (await client.post(url, data=ONE_CLICK)).status_code == 404, url
    assert await stored(bob.id) == {}
    assert await stored(carol.id) == {}


async def test_a_link_for_an_account_that_no_longer_exists_is_not_found(
    client: httpx.AsyncClient, settings: Settings, db: str
) -> None:
    url = link(settings, 4242, "session")
    assert (await client.get(url)).status_code == 404
    assert (await client.post(url, data=ONE_CLICK)).status_code == 404
