from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.db.tables import Action, FacilitationTurn, Group, Meeting
from app.services import rota, set_lifecycle
from tests.conftest import field_error, post_form, sign_in, text_of
from tests.services.groups_support import add
from tests.web.test_actions import two_sessions
from tests.web.test_meetings_pages import scheduled_group

NOW = datetime.now(UTC)


def today() -> date:
    """Today where the set meets: the group page's dates are the group's."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def long_date(day: date) -> str:
    return day.strftime("%-d %B %Y")


async def a_set(make_account, ends_in_days: int = 10) -> int:  # type: ignore[no-untyped-def]
    gid, _ = await scheduled_group(make_account, kind="action_learning", name="The set")
    ends = NOW.date() + timedelta(days=ends_in_days)
    await Group.update({Group.term_ends: ends}).where(Group.id == gid)
    return gid


async def review(gid: int, make_account) -> None:  # type: ignore[no-untyped-def]
    alice = await make_account("alice@example.org", "Alice")
    await set_lifecycle.record_review(gid, alice, "We learned to ask before advising.", NOW)


async def test_a_set_far_from_its_end_says_when_it_runs_until(
    client: httpx.AsyncClient, make_account
) -> None:
    gid = await a_set(make_account, ends_in_days=60)
    await sign_in(client, "bob@example.org")
    page = text_of((await client.get(f"/groups/{gid}")).text)
    ends = long_date(NOW.date() + timedelta(days=60))
    assert f"This set runs until {ends}." in page
    assert "Hold a closing review" not in page


async def test_members_are_told_to_hold_a_closing_review_and_convenors_get_the_form(
    client: httpx.AsyncClient, make_account
) -> None:
    gid = await a_set(make_account)
    ends = long_date(NOW.date() + timedelta(days=10))
    await sign_in(client, "bob@example.org")
    html = (await client.get(f"/groups/{gid}")).text
    assert f"Your set ends on {ends}. Hold a closing review before then." in text_of(html)
    assert "closing-review" not in html  # members don't record it
    await sign_in(client, "alice@example.org")
    html = (await client.get(f"/groups/{gid}")).text
    assert f'action="/groups/{gid}/closing-review"' in html
    assert '<label for="closing_note">What the closing review concluded</label>' in html


async def test_a_bad_closing_note_comes_back_beside_the_field_with_what_was_typed(
    client: httpx.AsyncClient, make_account
) -> None:
    gid = await a_set(make_account)
    await sign_in(client, "alice@example.org")
    response = await post_form(client, f"/groups/{gid}/closing-review", {"closing_note": "ok"})
    assert response.status_code == 422
    assert field_error(response.text, "closing_note") == (
        "Write what the closing review concluded, in at least 3 characters."
    )
    textarea = re.search(r'<textarea id="closing_note"[^>]*>', response.text)
    assert textarea and 'aria-describedby="closing_note-hint closing_note-error"' in textarea[0]
    assert ">ok</textarea>" in response.text
    too_long = "A long review. " * 140
    response = await post_form(client, f"/groups/{gid}/closing-review", {"closing_note": too_long})
    assert response.status_code == 422 and field_error(response.text, "closing_note")
    assert too_long.strip() in response.text
    assert (await Group.select(Group.closing_review_at).first())["closing_review_at"] is None


async def test_a_convenor_records_the_review_then_ends_the_set_after_confirming(
    client: httpx.AsyncClient, make_account
) -> None:
    gid = await a_set(make_account)
    await sign_in(client, "alice@example.org")
    done = await post_form(
        client, f"/groups/{gid}/closing-review", {"closing_note": "We end here, with thanks."}
    )
    assert done.status_code == 303
    page = text_of((await client.get(f"/groups/{gid}")).text)
    assert "The closing review is recorded" in page and "We end here, with thanks." in page
    assert "Continue self-facilitated" in page and "End the set" in page
    confirm = await client.get(f"/groups/{gid}/end")
    assert confirm.status_code == 200 and "Yes, end the set" in confirm.text
    assert (await Group.select(Group.status).first())["status"] == "active"  # not yet
    ended = await post_form(client, f"/groups/{gid}/end", {})
    assert ended.status_code == 303
    page = text_of((await client.get(f"/groups/{gid}")).text)
    assert f"This set ended on {long_date(today())}." in page
    assert "This set has ended, so it has no more sessions." in page
    assert (await client.get(f"/groups/{gid}/end")).status_code == 404
    again = await post_form(client, f"/groups/{gid}/end", {})
    assert again.status_code == 303
    assert "The set had already ended." in text_of((await client.get(f"/groups/{gid}")).text)


async def test_a_convenor_carries_the_set_on_self_facilitated_after_confirming(
    client: httpx.AsyncClient, make_account
) -> None:
    gid = await a_set(make_account)
    await review(gid, make_account)
    await sign_in(client, "alice@example.org")
    confirm = await client.get(f"/groups/{gid}/continue")
    assert confirm.status_code == 200
    new_end = set_lifecycle.rules.continued_term_ends(NOW.date() + timedelta(days=10), today())
    assert f"the set runs until {long_date(new_end)}" in text_of(confirm.text)
    assert (await post_form(client, f"/groups/{gid}/continue", {})).status_code == 303
    page = text_of((await client.get(f"/groups/{gid}")).text)
    assert f"This set carries on self-facilitated until {long_date(new_end)}" in page
    assert (await Group.select(Group.facilitation).first())["facilitation"] == "rotating"
    # Ending stays open to the convenor; continuing again does not.
    assert (await client.get(f"/groups/{gid}/end")).status_code == 200
    assert (await client.get(f"/groups/{gid}/continue")).status_code == 404


@pytest.mark.parametrize("who", ["carol@example.org", "bob@example.org"])
async def test_only_a_convenor_reaches_the_closing_routes_everyone_else_gets_404(
    client: httpx.AsyncClient, make_account, who: str
) -> None:
    gid = await a_set(make_account)
    await sign_in(client, who)
    note = {"closing_note": "Held by someone else."}
    assert (await post_form(client, f"/groups/{gid}/closing-review", note)).status_code == 404
    await review(gid, make_account)
    for path in (f"/groups/{gid}/end", f"/groups/{gid}/continue"):
        assert (await client.get(path)).status_code == 404, path
        assert (await post_form(client, path, {})).status_code == 404, path
    assert (await Group.select(Group.status, Group.facilitation).first()) == {
        "status": "active",
        "facilitation": "fixed_adviser",
    }


async def test_an_ended_sets_member_sees_only_their_own_actions_read_only(
    client: httpx.AsyncClient, make_account
) -> None:
    first, _ = await two_sessions(make_account)
    gid = (await Meeting.select(Meeting.group).where(Meeting.id == first).first())["group"]
    await Group.update({Group.term_ends: NOW.date() + timedelta(days=10)}).where(Group.id == gid)
    await sign_in(client, "bob@example.org")
    await post_form(client, f"/meetings/{first}/actions", {"action": "Shadow a handover"})
    await sign_in(client, "alice@example.org")
    await post_form(client, f"/meetings/{first}/actions", {"action": "Alice's own plan"})
    await post_form(client, f"/groups/{gid}/closing-review", {"closing_note": "Done well."})
    assert (await post_form(client, f"/groups/{gid}/end", {})).status_code == 303
    assert await Action.count() == 2

    await sign_in(client, "bob@example.org")
    html = (await client.get(f"/groups/{gid}")).text
    page = text_of(html)
    assert "Your actions from this set" in page
    assert "Shadow a handover Open" in page and "Alice's own plan" not in page
    assert "/actions" not in html
    meeting = await client.get(f"/meetings/{first}")
    assert "Shadow a handover" in meeting.text and "Alice's own plan" not in meeting.text
    assert f'action="/meetings/{first}/actions' not in meeting.text
    refused = await post_form(client, f"/meetings/{first}/actions", {"action": "One more"})
    assert refused.status_code == 422
    assert "This set has ended, so its actions can no longer be added or changed." in (
        text_of(refused.text)
    )
    assert await Action.count() == 2
    await sign_in(client, "carol@example.org")
    assert (await client.get(f"/groups/{gid}")).status_code == 404


async def test_the_session_page_shows_who_presents_co_facilitates_and_shadows(
    client: httpx.AsyncClient, make_account
) -> None:
    gid, mid = await scheduled_group(make_account, kind="action_learning", name="The set")
    await rota.plan_rota(gid, NOW)
    presenters = await FacilitationTurn.select(FacilitationTurn.meeting).where(
        FacilitationTurn.role == "presenter"
    )
    assert mid in {r["meeting"] for r in presenters}
    dev = await make_account("dev@example.org", "Dev")
    await add(gid, dev)
    await FacilitationTurn.delete().where(
        (FacilitationTurn.meeting == mid) & FacilitationTurn.role.is_in(["co", "shadow"])
    )
    await FacilitationTurn.insert(
        FacilitationTurn(meeting=mid, member=dev.id, role="co"),
        FacilitationTurn(meeting=mid, member=dev.id, role="shadow"),
    )
    presenter = (
        await FacilitationTurn.select(FacilitationTurn.member.display_name.as_alias("name"))
        .where((FacilitationTurn.meeting == mid) & (FacilitationTurn.role == "presenter"))
        .first()
    )["name"]
    await sign_in(client, "bob@example.org")
    page = text_of((await client.get(f"/meetings/{mid}")).text)
    assert f"Presenting {presenter}" in page
    assert "Co-facilitator Dev" in page and "Shadowing Dev" in page
    await sign_in(client, "carol@example.org")
    assert (await client.get(f"/meetings/{mid}")).status_code == 404


async def test_other_kinds_of_group_name_no_presenter(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    bob = await make_account("bob@example.org", "Bob")
    await FacilitationTurn.insert(FacilitationTurn(meeting=mid, member=bob.id, role="presenter"))
    await sign_in(client, "bob@example.org")
    assert "Presenting" not in text_of((await client.get(f"/meetings/{mid}")).text)
