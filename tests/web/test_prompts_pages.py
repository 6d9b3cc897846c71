from __future__ import annotations

import re

import httpx

from app.db.tables import Prompt
from tests.conftest import field_error, post_form, sign_in, text_of


async def test_an_organiser_sees_every_bank_with_its_attribution(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("olga@example.org", "Olga", role="organiser")
    await sign_in(client, "olga@example.org")
    words = text_of((await client.get("/organiser/prompts")).text)
    assert "Tool 3: Questions to consider" in words
    assert "Research in Practice for Adults" in words
    assert words.count("Supervisor's version:") >= 7


async def test_an_organiser_adds_and_retires_a_prompt_of_their_own(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("olga@example.org", "Olga", role="organiser")
    await sign_in(client, "olga@example.org")
    short = await post_form(client, "/organiser/prompts", {"text": "Why?", "lens": "team"})
    assert short.status_code == 422
    assert field_error(short.text, "text") == "Write a question of 10 to 500 characters."
    assert 'value="team" selected' in short.text and "Why?" in short.text
    added = await post_form(
        client, "/organiser/prompts", {"text": "What helped you most this month?", "lens": "self"}
    )
    assert added.status_code == 303
    row = (
        await Prompt.select(Prompt.id, Prompt.bank, Prompt.lens)
        .where(Prompt.bank == "custom")
        .first()
    )
    assert row["lens"] == "self"
    await post_form(client, f"/organiser/prompts/{row['id']}/retire", {"retired": "true"})
    page = (await client.get("/organiser/prompts")).text
    assert re.search(r"Retired</span>", page)
    assert (await Prompt.select(Prompt.retired).where(Prompt.id == row["id"]).first())[
        "retired"
    ] is True


async def test_members_and_convenors_do_not_find_the_prompt_banks_page(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    assert (await client.get("/organiser/prompts")).status_code == 404
    refused = await post_form(
        client, "/organiser/prompts", {"text": "A question of mine here?", "lens": ""}
    )
    assert refused.status_code == 404
    assert await Prompt.count().where(Prompt.bank == "custom") == 0
