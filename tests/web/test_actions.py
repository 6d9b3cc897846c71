from __future__ import annotations

from datetime import timedelta

import httpx

from app.db.tables import Action, Meeting
from tests.conftest import field_error, post_form, sign_in, text_of
from tests.web.test_meetings_pages import NOW, scheduled_group


async def two_sessions(make_account) -> tuple[int, int]:
    gid, _ = await scheduled_group(make_account, kind="action_learning", name="Set")
    rows = await Meeting.select(Meeting.id).where(Meeting.group == gid).order_by(Meeting.starts_at)
    # Put the first session in the past, so actions can be recorded at it.
    await Meeting.update(
        {
            Meeting.starts_at: NOW - timedelta(days=14),
            Meeting.ends_at: NOW - timedelta(days=14) + timedelta(minutes=90),
        }
    ).where(Meeting.id == rows[0]["id"])
    return rows[0]["id"], rows[1]["id"]


async def test_an_action_recorded_at_one_session_comes_up_at_the_next(
    client: httpx.AsyncClient, make_account
) -> None:
    first, second = await two_sessions(make_account)
    await sign_in(client, "bob@example.org")
    bad = await post_form(client, f"/meetings/{first}/actions", {"action": "x"})
    assert bad.status_code == 422 and field_error(bad.text, "action")
    done = await post_form(
        client, f"/meetings/{first}/actions", {"action": "Shadow a night shift handover"}
    )
    assert done.status_code == 303
    page = text_of((await client.get(f"/meetings/{second}")).text)
    assert "Open from earlier sessions" in page and "Bob : Shadow a night shift handover" in page
    action_id = (await Action.select(Action.id).first())["id"]
    await post_form(
        client,
        f"/meetings/{second}/actions/{action_id}",
        {f"status-{action_id}": "done", f"note-{action_id}": "Went well"},
    )
    assert (await Action.select(Action.status, Action.review_note).first()) == {
        "status": "done",
        "review_note": "Went well",
    }
    assert (
        "Shadow a night shift handover"
        not in text_of((await client.get(f"/meetings/{second}")).text)
        .split("Open from earlier", 1)[1]
        .split("Actions from this session", 1)[0]
    )


async def test_only_the_owner_or_whoever_runs_the_session_records_an_outcome(
    client: httpx.AsyncClient, make_account
) -> None:
    first, second = await two_sessions(make_account)
    await sign_in(client, "bob@example.org")
    await post_form(
        client, f"/meetings/{first}/actions", {"action": "Shadow a night shift handover"}
    )
    action_id = (await Action.select(Action.id).first())["id"]
    await sign_in(client, "carol@example.org")
    assert (await client.get(f"/meetings/{second}")).status_code == 404
    refused = await post_form(
        client, f"/meetings/{second}/actions/{action_id}", {f"status-{action_id}": "dropped"}
    )
    assert refused.status_code == 404
    await sign_in(client, "alice@example.org")
    allowed = await post_form(
        client, f"/meetings/{second}/actions/{action_id}", {f"status-{action_id}": "carried_over"}
    )
    assert allowed.status_code == 303
    assert (await Action.select(Action.status).first())["status"] == "carried_over"


async def test_other_kinds_of_group_have_no_actions(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "bob@example.org")
    assert (
        await post_form(client, f"/meetings/{mid}/actions", {"action": "Something to do"})
    ).status_code == 404
