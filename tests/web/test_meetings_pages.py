from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from icalendar import Calendar

from app.db.tables import AgendaItem, Meeting
from app.services import meetings
from tests.conftest import field_error, htmx_post, post_form, sign_in, text_of
from tests.services.groups_support import add, group_of

NOW = datetime.now(UTC)
SCHEDULE = {
    "rule": "every_2_weeks",
    "first_date": NOW.date().isoformat(),
    "local_start": "18:30",
    "minutes": "90",
    "place": "Room 2, Riverside",
    "online_link": "",
    "access_notes": "",
    "step_free": "true",
}


async def scheduled_group(
    make_account, kind: str = "peer_support", name: str = "Peers"
) -> tuple[int, int]:
    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    await make_account("carol@example.org", "Carol")
    gid = await group_of(kind, alice, name=name)
    await add(gid, bob)
    await meetings.save_schedule(gid, alice, SCHEDULE, NOW)
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )
    return gid, first["id"]


async def test_a_convenor_sets_the_schedule_and_the_group_page_lists_sessions(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    gid = await group_of("peer_support", alice, name="Peers")
    await sign_in(client, "alice@example.org")
    form = await client.get(f"/groups/{gid}/schedule")
    assert form.status_code == 200
    response = await post_form(client, f"/groups/{gid}/schedule", SCHEDULE)
    assert response.status_code == 303
    page = text_of((await client.get(f"/groups/{gid}")).text)
    assert "Every 2 weeks" in page
    assert "4 new sessions added" in page
    assert await Meeting.count().where(Meeting.group == gid) == meetings.HORIZON


async def test_a_bad_schedule_comes_back_beside_the_fields_with_what_was_typed(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org")
    gid = await group_of("peer_support", alice)
    await sign_in(client, "alice@example.org")
    bad = {**SCHEDULE, "local_start": "half six", "online_link": "zoom.example", "place": "Room 9"}
    response = await post_form(client, f"/groups/{gid}/schedule", bad)
    assert response.status_code == 422
    assert field_error(response.text, "local_start")
    assert (
        field_error(response.text, "online_link")
        == "Enter a meeting link that starts with https://"
    )
    assert 'value="half six"' in response.text and 'value="Room 9"' in response.text


async def test_the_agenda_carries_a_tool_3_question_with_its_attribution(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "bob@example.org")
    page = await client.get(f"/meetings/{mid}")
    words = text_of(page.text)
    assert page.status_code == 200
    assert "Tool 3, question" in words
    assert "Research in Practice for Adults" in words
    assert "Check-in" in words or "check-in" in words.lower()


async def test_outsiders_get_404_for_meetings_and_their_calendar_files(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "carol@example.org")
    assert (await client.get(f"/meetings/{mid}")).status_code == 404
    assert (await client.get(f"/meetings/{mid}/calendar.ics")).status_code == 404
    assert (
        await post_form(client, f"/meetings/{mid}/rsvp", {"answer": "going"})
    ).status_code == 404


async def test_rsvp_works_in_place_with_htmx_and_as_a_plain_form(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "bob@example.org")
    fragment = await htmx_post(client, f"/meetings/{mid}/rsvp", {"answer": "maybe"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="rsvp">')
    assert "Your answer: Maybe" in text_of(fragment.text)
    plain = await post_form(client, f"/meetings/{mid}/rsvp", {"answer": "going"})
    assert plain.status_code == 303
    assert "Your answer: Going" in text_of((await client.get(f"/meetings/{mid}")).text)
    wrong = await post_form(client, f"/meetings/{mid}/rsvp", {"answer": "perhaps"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "answer") == "Choose going, maybe or can't come."


async def test_the_convenor_sees_who_is_coming_and_members_do_not(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "bob@example.org")
    await post_form(client, f"/meetings/{mid}/rsvp", {"answer": "going"})
    assert "Who is coming" not in text_of((await client.get(f"/meetings/{mid}")).text)
    await sign_in(client, "alice@example.org")
    words = text_of((await client.get(f"/meetings/{mid}")).text)
    assert "Who is coming" in words and "Going Bob" in words


async def test_a_meeting_downloads_as_an_ics_file_that_parses(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "bob@example.org")
    response = await client.get(f"/meetings/{mid}/calendar.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    event = next(iter(Calendar.from_ical(response.content).walk("VEVENT")))
    assert str(event["summary"]) == "Peers"
    assert str(event["uid"]) == f"meeting-{mid}@testserver"
    assert str(event["location"]) == "Room 2, Riverside"
    assert int(event["sequence"]) == 0


async def test_a_discreet_groups_calendar_entries_never_name_it(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account, kind="staff_network", name="LGBTQI+ staff network")
    await sign_in(client, "bob@example.org")
    ics = (await client.get(f"/meetings/{mid}/calendar.ics")).text
    assert "LGBTQI" not in ics and "network" not in ics.lower()
    assert "SUMMARY:Peer session" in ics
    feed_page = await client.get("/account/calendar")
    feed_url = re.search(r"http://testserver(/calendar/[\w-]+\.ics)", feed_page.text).group(1)
    feed = await httpx.AsyncClient(transport=client._transport, base_url="http://testserver").get(
        feed_url
    )
    assert feed.status_code == 200
    assert "LGBTQI" not in feed.text and "Peer session" in feed.text


async def test_the_personal_feed_needs_no_sign_in_and_a_new_address_locks_out_the_old(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "bob@example.org")
    old = re.search(
        r"http://testserver(/calendar/[\w-]+\.ics)", (await client.get("/account/calendar")).text
    ).group(1)
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    calendar = Calendar.from_ical((await anonymous.get(old)).content)
    assert len(list(calendar.walk("VEVENT"))) == meetings.HORIZON
    await meetings.cancel_meeting(mid, (await make_account("alice@example.org", "Alice")), NOW)
    cancelled = [
        e
        for e in Calendar.from_ical((await anonymous.get(old)).content).walk("VEVENT")
        if str(e["status"]) == "CANCELLED"
    ]
    assert len(cancelled) == 1 and int(cancelled[0]["sequence"]) == 1
    await post_form(client, "/account/calendar/reset", {})
    assert (await anonymous.get(old)).status_code == 404
    assert (await anonymous.get("/calendar/not-a-real-token-at-all-0000")).status_code == 404


async def test_swapping_a_question_with_htmx_replaces_it_in_place(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    item = (
        await AgendaItem.select(AgendaItem.id, AgendaItem.prompt.number.as_alias("n"))
        .where((AgendaItem.meeting == mid) & (AgendaItem.prompt.bank == "tool3"))
        .first()
    )
    await sign_in(client, "alice@example.org")
    response = await htmx_post(
        client, f"/meetings/{mid}/agenda/{item['id']}/swap", {f"lens-{item['id']}": "organisation"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="agenda-items">')
    after = (
        await AgendaItem.select(
            AgendaItem.prompt.number.as_alias("n"), AgendaItem.prompt.lens.as_alias("lens")
        )
        .where(AgendaItem.id == item["id"])
        .first()
    )
    assert after["lens"] == "organisation" and after["n"] != item["n"]
    await sign_in(client, "bob@example.org")
    refused = await post_form(
        client, f"/meetings/{mid}/agenda/{item['id']}/swap", {f"lens-{item['id']}": "self"}
    )
    assert refused.status_code == 404


async def test_the_agenda_page_has_a_print_stylesheet(client: httpx.AsyncClient) -> None:
    css = (await client.get("/static/css/app.css")).text
    assert "@media print" in css and ".no-print" in css


async def test_an_action_learning_presenter_slot_shows_tool_2_questions(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account, kind="action_learning", name="Set")
    await sign_in(client, "bob@example.org")
    words = text_of((await client.get(f"/meetings/{mid}")).text)
    assert "Questions to help the set ask (Tool 2, curiosity checklist)" in words
    assert "Supervisor's version:" in words


async def test_a_session_is_moved_from_its_own_page_and_bad_input_is_kept(
    client: httpx.AsyncClient, make_account
) -> None:
    _, mid = await scheduled_group(make_account)
    await sign_in(client, "alice@example.org")
    form = await client.get(f"/meetings/{mid}/edit")
    assert form.status_code == 200 and 'name="venue_capacity"' in form.text
    bad = {
        "date": "soon",
        "start": "18:00",
        "minutes": "60",
        "place": "Room 5",
        "venue_capacity": "lots",
    }
    response = await post_form(client, f"/meetings/{mid}/edit", bad)
    assert response.status_code == 422
    assert field_error(response.text, "date") and field_error(response.text, "venue_capacity")
    assert 'value="Room 5"' in response.text
    good = {**bad, "date": "2030-01-08", "venue_capacity": "12"}
    assert (await post_form(client, f"/meetings/{mid}/edit", good)).status_code == 303
    words = text_of((await client.get(f"/meetings/{mid}")).text)
    assert "Tuesday 8 January 2030" in words and "Holds 12 people" in words
