from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.db.tables import AgendaItem, Meeting, Notification
from app.domain.prompt_rotation import LENS_OF
from app.services import meetings
from app.services.errors import FormErrors, NotFound
from tests.services.groups_support import add, group_of, person

LONDON = ZoneInfo("Europe/London")
# A Monday in January 2027, so the first sessions fall before the March clock change.
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEEKLY_TUESDAY = {
    "rule": "weekly",
    "first_date": "2027-01-05",
    "local_start": "19:00",
    "minutes": "90",
    "place": "Room 2",
    "online_link": "",
    "step_free": "true",
}


async def schedule_weekly(kind: str = "peer_support", **settings: object) -> tuple[int, object]:
    convenor = await person("c")
    gid = await group_of(kind, convenor, **settings)
    await meetings.save_schedule(gid, convenor, WEEKLY_TUESDAY, NOW)
    return gid, convenor


async def test_saving_a_schedule_makes_the_next_four_sessions_each_with_an_agenda(db: str) -> None:
    gid, _ = await schedule_weekly()
    rows = (
        await Meeting.select(Meeting.id, Meeting.starts_at, Meeting.place, Meeting.step_free)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
    )
    assert len(rows) == meetings.HORIZON
    assert [r["starts_at"].astimezone(LONDON).strftime("%a %H:%M") for r in rows] == [
        "Tue 19:00"
    ] * 4
    assert all(r["place"] == "Room 2" and r["step_free"] for r in rows)
    for row in rows:
        assert await AgendaItem.count().where(AgendaItem.meeting == row["id"]) >= 5


async def test_making_meetings_twice_makes_each_once(db: str) -> None:
    gid, _ = await schedule_weekly()
    assert await meetings.materialise(gid, NOW) == 0
    assert await meetings.materialise_all(NOW) == 0
    later = await meetings.materialise(gid, NOW + timedelta(weeks=1))
    assert later == 1
    assert await Meeting.count().where(Meeting.group == gid) == meetings.HORIZON + 1


async def test_sessions_keep_their_local_time_across_the_spring_clock_change(db: str) -> None:
    gid, _ = await schedule_weekly()
    march = datetime(2027, 3, 20, tzinfo=UTC)
    await meetings.materialise(gid, march)
    rows = (
        await Meeting.select(Meeting.starts_at)
        .where((Meeting.group == gid) & (Meeting.starts_at > march))
        .order_by(Meeting.starts_at)
    )
    local = [r["starts_at"].astimezone(LONDON) for r in rows]
    assert {t.strftime("%H:%M") for t in local} == {"19:00"}
    assert {t.utcoffset() for t in local} == {timedelta(0), timedelta(hours=1)}


async def test_the_first_four_sessions_cover_every_lens_of_tool_3(db: str) -> None:
    gid, _ = await schedule_weekly()
    rows = (
        await AgendaItem.select(AgendaItem.prompt.number.as_alias("n"))
        .where((AgendaItem.meeting.group == gid) & (AgendaItem.prompt.bank == "tool3"))
        .order_by(AgendaItem.meeting.starts_at)
        .order_by(AgendaItem.position)
    )
    numbers = [r["n"] for r in rows]
    assert len(numbers) == len(set(numbers)), "no question repeats this early"
    assert {LENS_OF[n] for n in numbers} == {"self", "supervisor", "team", "organisation"}


async def test_a_schedule_with_bad_values_is_explained_field_by_field(db: str) -> None:
    convenor = await person("c")
    gid = await group_of("peer_support", convenor)
    bad = {
        **WEEKLY_TUESDAY,
        "local_start": "7pm",
        "minutes": "5",
        "online_link": "meet.example.org",
    }
    with pytest.raises(FormErrors) as caught:
        await meetings.save_schedule(gid, convenor, bad, NOW)
    assert {"local_start", "minutes", "online_link"} <= set(caught.value.errors)
    assert await Meeting.count() == 0


async def test_only_members_reach_a_meeting_and_only_convenors_change_it(db: str) -> None:
    gid, _convenor = await schedule_weekly()
    member, outsider = await person("m"), await person("o")
    await add(gid, member)
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    assert (await meetings.meeting_page(first, member, NOW)).agenda
    with pytest.raises(NotFound):
        await meetings.meeting_page(first, outsider, NOW)
    with pytest.raises(NotFound):
        await meetings.cancel_meeting(first, member, NOW)


async def test_cancelling_tells_everyone_who_said_they_were_going(db: str) -> None:
    gid, convenor = await schedule_weekly(name="Peers")
    going, maybe = await person("g"), await person("m")
    await add(gid, going, maybe)
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    await meetings.set_rsvp(first, going, "going", NOW)
    await meetings.set_rsvp(first, maybe, "maybe", NOW)
    await meetings.cancel_meeting(first, convenor, NOW)
    told = await Notification.select(Notification.user, Notification.text)
    assert [t["user"] for t in told] == [going.id]
    assert told[0]["text"].startswith("Cancelled: the Peers session on Tue 5 Jan at 19:00")
    row = await Meeting.select(Meeting.status, Meeting.sequence).where(Meeting.id == first).first()
    assert row == {"status": "cancelled", "sequence": 1}


async def test_a_discreet_groups_cancellation_does_not_name_it(db: str) -> None:
    gid, convenor = await schedule_weekly("staff_network", name="LGBTQI+ network")
    going = await person("g")
    await add(gid, going)
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    await meetings.set_rsvp(first, going, "going", NOW)
    await meetings.cancel_meeting(first, convenor, NOW)
    text = (await Notification.select(Notification.text).first())["text"]
    assert "LGBTQI" not in text and "a group you belong to" in text


async def test_moving_one_session_leaves_the_others_and_raises_its_sequence(db: str) -> None:
    gid, convenor = await schedule_weekly()
    rows = (
        await Meeting.select(Meeting.id, Meeting.starts_at)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
    )
    moved = {**WEEKLY_TUESDAY, "date": "2027-01-06", "start": "18:00", "minutes": "60"}
    await meetings.change_meeting(rows[0]["id"], convenor, moved, NOW)
    after = (
        await Meeting.select(Meeting.id, Meeting.starts_at, Meeting.ends_at, Meeting.sequence)
        .where(Meeting.group == gid)
        .order_by(Meeting.id)
    )
    assert after[0]["starts_at"].astimezone(LONDON).strftime("%a %H:%M") == "Wed 18:00"
    assert after[0]["ends_at"] - after[0]["starts_at"] == timedelta(minutes=60)
    assert after[0]["sequence"] == 1
    assert [a["starts_at"] for a in after[1:]] == [r["starts_at"] for r in rows[1:]]
    assert await meetings.materialise(gid, NOW) == 0, "a moved session is not made again"


async def test_attendance_defaults_to_those_going_and_only_members_are_recorded(db: str) -> None:
    gid, convenor = await schedule_weekly()
    a, b, stranger = await person("a"), await person("b"), await person("s")
    await add(gid, a, b)
    first = (
        await Meeting.select(Meeting.id, Meeting.starts_at)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )
    later = first["starts_at"] + timedelta(hours=2)
    with pytest.raises(FormErrors):
        await meetings.record_attendance(first["id"], convenor, [a.id], NOW)
    await meetings.record_attendance(first["id"], convenor, [a.id, stranger.id], later)
    page = await meetings.meeting_page(first["id"], convenor, later)
    assert page.attended == {a.id}
    assert page.meeting.attendance_recorded


async def test_themes_join_a_shared_vocabulary_and_notes_stay_short(db: str) -> None:
    gid, convenor = await schedule_weekly()
    first = (
        await Meeting.select(Meeting.id, Meeting.starts_at)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )
    later = first["starts_at"] + timedelta(hours=2)
    await meetings.record_themes(
        first["id"], convenor, ["Workload", " feeling  heard ", "workload"], "", later
    )
    assert await meetings.theme_vocabulary() == ["feeling heard", "workload"]
    with pytest.raises(FormErrors):
        await meetings.record_themes(first["id"], convenor, ["x"], "n" * 1001, later)


async def test_accessibility_needs_are_shown_to_the_facilitator_only(db: str) -> None:
    from app.db.tables import User

    gid, convenor = await schedule_weekly()
    facilitator, member = await person("f"), await person("m")
    await add(gid, facilitator, member)
    await User.update({User.accessibility_needs: "Captions, please"}).where(User.id == member.id)
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    await meetings.set_facilitator(first, convenor, facilitator.id, NOW)
    seen = await meetings.meeting_page(first, facilitator, NOW)
    assert [p.accessibility_needs for p in seen.needs] == ["Captions, please"]
    assert (await meetings.meeting_page(first, convenor, NOW)).needs == []
    assert (await meetings.meeting_page(first, member, NOW)).needs == []


async def test_ten_people_saying_going_at_once_to_a_room_for_three_fill_it_exactly(db: str) -> None:
    import anyio

    convenor = await person("c")
    gid = await group_of("peer_support", convenor)
    await meetings.save_schedule(gid, convenor, {**WEEKLY_TUESDAY, "venue_capacity": "3"}, NOW)
    people = [await person(n) for n in range(10)]
    await add(gid, *people)
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    outcomes: list[str] = []

    async def say_going(who) -> None:  # type: ignore[no-untyped-def]
        try:
            await meetings.set_rsvp(first, who, "going", NOW)
            outcomes.append("going")
        except FormErrors:
            outcomes.append("full")

    async with anyio.create_task_group() as tg:
        for who in people:
            tg.start_soon(say_going, who)
    assert sorted(outcomes) == ["full"] * 7 + ["going"] * 3
    from app.db.tables import Rsvp

    assert await Rsvp.count().where((Rsvp.meeting == first) & (Rsvp.answer == "going")) == 3
    # Saying maybe is always possible, and changing one's own answer never counts twice.
    await meetings.set_rsvp(first, people[0], "maybe", NOW)
