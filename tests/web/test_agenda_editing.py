from __future__ import annotations

import httpx

from app.db.tables import AgendaItem
from tests.conftest import field_error, htmx_post, post_form, sign_in, text_of
from tests.web.test_meetings_pages import scheduled_group


async def agenda(mid: int) -> list[dict]:
    return (
        await AgendaItem.select(
            AgendaItem.id, AgendaItem.title, AgendaItem.minutes, AgendaItem.kind, AgendaItem.prompt
        )
        .where(AgendaItem.meeting == mid)
        .order_by(AgendaItem.position)
    )


async def test_editing_an_item_keeps_the_agenda_adding_up_to_the_session(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    before = await agenda(mid)
    first = before[0]
    await sign_in(client, "alice@example.org")
    response = await post_form(
        client,
        f"/meetings/{mid}/agenda",
        {
            "action": "edit",
            "item": str(first["id"]),
            f"title-{first['id']}": "Welcome and tea",
            f"minutes-{first['id']}": str(first["minutes"] + 5),
        },
    )
    assert response.status_code == 303
    after = await agenda(mid)
    assert after[0]["title"] == "Welcome and tea" and after[0]["minutes"] == first["minutes"] + 5
    assert sum(i["minutes"] for i in after) == 90


async def test_adding_removing_and_moving_items_keep_prompts_with_their_items(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "alice@example.org")
    added = await htmx_post(
        client,
        f"/meetings/{mid}/agenda",
        {"action": "add", "title-new": "Rota for next month", "minutes-new": "10"},
    )
    assert added.status_code == 200 and added.text.lstrip().startswith('<div id="agenda-items">')
    items = await agenda(mid)
    assert items[-1]["title"] == "Rota for next month" and sum(i["minutes"] for i in items) == 90
    prompted = next(i for i in items if i["prompt"])
    await post_form(
        client, f"/meetings/{mid}/agenda", {"action": "down", "item": str(prompted["id"])}
    )
    moved = await agenda(mid)
    index = [i["title"] for i in moved].index(prompted["title"])
    assert moved[index]["prompt"] == prompted["prompt"]
    await post_form(
        client, f"/meetings/{mid}/agenda", {"action": "remove", "item": str(moved[-1]["id"])}
    )
    assert len(await agenda(mid)) == len(items) - 1
    assert sum(i["minutes"] for i in await agenda(mid)) == 90


async def test_an_impossible_edit_is_explained_beside_the_minutes_and_keeps_the_title(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    first = (await agenda(mid))[0]
    await sign_in(client, "alice@example.org")
    response = await post_form(
        client,
        f"/meetings/{mid}/agenda",
        {
            "action": "edit",
            "item": str(first["id"]),
            f"title-{first['id']}": "A very long welcome",
            f"minutes-{first['id']}": "85",
        },
    )
    assert response.status_code == 422
    assert "needs at least" in field_error(response.text, f"minutes-{first['id']}")
    assert 'value="A very long welcome"' in response.text
    assert (await agenda(mid))[0]["minutes"] == first["minutes"]


async def test_members_cannot_edit_the_agenda(client: httpx.AsyncClient, make_account) -> None:
    _, mid = await scheduled_group(make_account)
    first = (await agenda(mid))[0]
    await sign_in(client, "bob@example.org")
    response = await post_form(
        client, f"/meetings/{mid}/agenda", {"action": "remove", "item": str(first["id"])}
    )
    assert response.status_code == 404
    assert "Add an item" not in text_of((await client.get(f"/meetings/{mid}")).text)


async def test_a_network_member_suggests_a_topic_that_appears_without_their_name(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account, kind="staff_network", name="Carers network")
    await sign_in(client, "bob@example.org")
    blank = await post_form(client, f"/meetings/{mid}/topics", {"topic": "x"})
    assert blank.status_code == 422 and field_error(blank.text, "topic")
    done = await post_form(
        client, f"/meetings/{mid}/topics", {"topic": "Flexible hours for carers"}
    )
    assert done.status_code == 303
    items = await agenda(mid)
    titles = [i["title"] for i in items]
    assert "Suggested topic: Flexible hours for carers" in titles
    assert titles.index("Suggested topic: Flexible hours for carers") < titles.index(
        "Any other business"
    )
    assert sum(i["minutes"] for i in items) == 90
    assert (
        "Bob"
        not in text_of((await client.get(f"/meetings/{mid}")).text)
        .split("Agenda", 1)[1]
        .split("Suggest a topic", 1)[0]
    )


async def test_a_prompt_from_another_bank_can_replace_a_question(
    client: httpx.AsyncClient, make_account
) -> None:
    from app.db.tables import Prompt

    _, mid = await scheduled_group(make_account)
    item = next(i for i in await agenda(mid) if i["prompt"])
    nussbaum = await Prompt.select(Prompt.id, Prompt.text).where(Prompt.bank == "nussbaum").first()
    await sign_in(client, "alice@example.org")
    page = await client.get(f"/meetings/{mid}")
    assert "Or use a prompt from another bank" in page.text
    response = await htmx_post(
        client,
        f"/meetings/{mid}/agenda/{item['id']}/pick",
        {f"bank-{item['id']}": str(nussbaum["id"])},
    )
    assert response.status_code == 200
    assert nussbaum["text"][:40] in response.text
    refused = await htmx_post(
        client, f"/meetings/{mid}/agenda/{item['id']}/pick", {f"bank-{item['id']}": ""}
    )
    assert refused.status_code == 422
