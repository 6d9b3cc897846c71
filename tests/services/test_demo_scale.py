from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from app.cli import build_parser
from app.db.tables import (
    Action,
    AgendaItem,
    Attendance,
    FacilitationTurn,
    ForumPost,
    ForumThread,
    Group,
    Meeting,
    MeetingTheme,
    Membership,
    Reminder,
    ReminderPreference,
    Rsvp,
    SwapRequest,
    Theme,
    User,
)
from app.domain.groups import KINDS, SUPPRESS_BELOW
from app.domain.reminders import KINDS as REMINDER_KINDS
from app.services.demo import COLLEAGUES, DEMO_PEOPLE, seed_demo
from app.services.demo_scale import (
    EMAIL_DOMAIN,
    LARGE,
    THEMES,
    Scale,
    ScaleSummary,
    seed_scale,
    seed_scale_once,
)
from app.services.prompts import sync_prompt_banks
from tests.conftest import empty_all_tables

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SMALL: Scale = {"staff": 60, "groups": 4, "years": 0.5}
# Ten times the small size: enough meetings that rare events (covers, exchanges) happen.
TENFOLD: Scale = {"staff": 600, "groups": 40, "years": 0.5}


async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await Group.raw(sql, *args)
    return result


async def test_synthetic_staff_get_no_email_so_a_large_demo_sends_none(db: str) -> None:
    await seed_scale(NOW, **SMALL)
    settings = await ReminderPreference.select(ReminderPreference.setting).distinct()
    assert [r["setting"] for r in settings] == ["off"]
    assert await ReminderPreference.count() == 60 * len(REMINDER_KINDS)


async def test_a_small_organisation_has_the_staff_and_groups_asked_for(db: str) -> None:
    summary = await seed_scale(NOW, **SMALL)
    assert summary.users == 60
    assert summary.groups == 4
    emails = [r["email"] for r in await User.select(User.email).order_by(User.email)]
    assert emails[0] == f"staff0001@{EMAIL_DOMAIN}"
    assert len(emails) == 60
    # Half a year of fortnightly meetings is about 13 a group, bar late starters.
    assert 4 * 6 <= summary.meetings <= 4 * 16


async def test_the_summary_counts_the_rows_written_to_each_table(db: str) -> None:
    themes_before = await Theme.count()
    summary = await seed_scale(NOW, **SMALL)
    assert summary == ScaleSummary(
        users=await User.count(),
        email_preferences=await ReminderPreference.count(),
        groups=await Group.count(),
        memberships=await Membership.count(),
        meetings=await Meeting.count(),
        agenda_items=await AgendaItem.count(),
        rsvps=await Rsvp.count(),
        attendance=await Attendance.count(),
        facilitation_turns=await FacilitationTurn.count(),
        swap_requests=await SwapRequest.count(),
        themes=await Theme.count() - themes_before,
        meeting_themes=await MeetingTheme.count(),
        actions=await Action.count(),
        forum_threads=await ForumThread.count(),
        forum_posts=await ForumPost.count(),
    )
    assert all(getattr(summary, name) > 0 for name in ("rsvps", "actions", "forum_posts"))


async def fingerprint() -> list[tuple[Any, ...]]:
    found = await rows(
        "SELECT g.name AS name, m.occurrence_key AS k, m.status AS status, u.email AS who "
        "FROM rt_attendance a JOIN rt_meeting m ON m.id = a.meeting "
        'JOIN rt_user u ON u.id = a."user" '
        'JOIN rt_group g ON g.id = m."group" ORDER BY m.occurrence_key, u.email'
    )
    return [tuple(r.values()) for r in found]


async def test_the_same_seed_gives_the_same_organisation(db: str) -> None:
    first = await seed_scale(NOW, **SMALL)
    first_rows = await fingerprint()
    await empty_all_tables()
    await sync_prompt_banks()
    again = await seed_scale(NOW, **SMALL)
    assert again == first
    assert await fingerprint() == first_rows
    await empty_all_tables()
    await sync_prompt_banks()
    await seed_scale(NOW, **SMALL, seed=8)
    assert await fingerprint() != first_rows


async def test_every_kind_of_group_is_there_even_in_a_tiny_organisation(db: str) -> None:
    await seed_scale(NOW, **SMALL)
    kinds = {r["kind"] for r in await Group.select(Group.kind)}
    assert kinds == set(KINDS)


async def test_some_staff_network_is_too_small_for_its_count_to_be_shown(db: str) -> None:
    await seed_scale(NOW, **SMALL)
    sizes = await rows(
        "SELECT g.id AS id, COUNT(m.id) AS n FROM rt_group g "
        'JOIN rt_membership m ON m."group" = g.id '
        "WHERE g.kind = 'staff_network' AND m.status = 'active' GROUP BY g.id"
    )
    assert any(r["n"] < SUPPRESS_BELOW for r in sizes)


async def test_every_held_meeting_has_a_lead_who_is_its_facilitator_and_attendance(
    db: str,
) -> None:
    await seed_scale(NOW, **TENFOLD)
    held = await Meeting.select(Meeting.id, Meeting.facilitator, Meeting.ends_at).where(
        Meeting.attendance_recorded.eq(True)
    )
    assert held
    assert all(m["ends_at"] <= NOW for m in held)
    leads = {
        r["meeting"]: r["member"]
        for r in await FacilitationTurn.select(
            FacilitationTurn.meeting, FacilitationTurn.member
        ).where(FacilitationTurn.role == "lead")
    }
    came = {r["meeting"] for r in await Attendance.select(Attendance.meeting)}
    for meeting in held:
        assert leads[meeting["id"]] == meeting["facilitator"]
        assert meeting["id"] in came
    cancelled = {
        r["id"] for r in await Meeting.select(Meeting.id).where(Meeting.status == "cancelled")
    }
    assert cancelled
    assert not cancelled & came
    assert not cancelled & set(leads)


async def test_only_members_of_the_group_at_the_time_attend(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    strays = await rows(
        "SELECT COUNT(*) AS n FROM rt_attendance a JOIN rt_meeting m ON m.id = a.meeting "
        "WHERE NOT EXISTS (SELECT 1 FROM rt_membership s "
        'WHERE s."group" = m."group" AND s."user" = a."user" AND s.joined_at <= m.starts_at '
        "AND (s.left_at IS NULL OR s.left_at > m.starts_at))"
    )
    assert strays[0]["n"] == 0


async def test_people_leave_and_each_group_has_one_or_two_convenors(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    memberships = await Membership.select(
        Membership.group, Membership.role, Membership.status, Membership.left_at
    )
    left = [m for m in memberships if m["status"] == "left"]
    assert 0.05 < len(left) / len(memberships) < 0.25
    assert all(m["left_at"] is not None and m["left_at"] <= NOW for m in left)
    convenors = Counter(m["group"] for m in memberships if m["role"] == "convenor")
    assert len(convenors) == TENFOLD["groups"]
    assert set(convenors.values()) <= {1, 2}


async def test_the_rota_has_shadows_covers_exchanges_and_open_requests(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    turns = await FacilitationTurn.select(
        FacilitationTurn.role, FacilitationTurn.origin, FacilitationTurn.covered_for
    )
    kinds = Counter((t["role"], t["origin"]) for t in turns)
    assert kinds["shadow", "rota"] and kinds["presenter", "rota"]
    assert kinds["lead", "cover"] and kinds["lead", "swap"]
    assert all(t["covered_for"] for t in turns if t["origin"] == "cover")
    swaps = await SwapRequest.select(
        SwapRequest.kind, SwapRequest.status, SwapRequest.taken_by, SwapRequest.taken_at
    )
    states = Counter((s["kind"], s["status"]) for s in swaps)
    assert states["cover", "taken"] == kinds["lead", "cover"]
    assert states["exchange", "taken"] and states["cover", "open"]
    assert any(s["status"] == "withdrawn" for s in swaps)
    assert all(s["taken_by"] and s["taken_at"] for s in swaps if s["status"] == "taken")


async def test_rsvps_include_people_who_said_going_and_did_not_come(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    no_shows = await rows(
        "SELECT COUNT(*) AS n FROM rt_rsvp r JOIN rt_meeting m ON m.id = r.meeting "
        "WHERE m.attendance_recorded AND r.answer = 'going' AND NOT EXISTS "
        '(SELECT 1 FROM rt_attendance a WHERE a.meeting = r.meeting AND a."user" = r."user")'
    )
    assert no_shows[0]["n"] > 0
    answers = {r["answer"] for r in await Rsvp.select(Rsvp.answer)}
    assert answers == {"going", "maybe", "no"}


async def test_some_themes_rise_and_others_fall(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    tagged = await rows(
        "SELECT t.name AS name, m.starts_at AS starts_at FROM rt_meeting_theme mt "
        "JOIN rt_theme t ON t.id = mt.theme JOIN rt_meeting m ON m.id = mt.meeting"
    )
    middle = sorted(str(r["starts_at"]) for r in tagged)[len(tagged) // 2]
    early = Counter(r["name"] for r in tagged if str(r["starts_at"]) < middle)
    late = Counter(r["name"] for r in tagged if str(r["starts_at"]) >= middle)
    for trend, rising, falling in (("rising", late, early), ("falling", early, late)):
        names = [name for name, how in THEMES.items() if how == trend]
        assert sum(rising[n] for n in names) > 1.5 * sum(falling[n] for n in names)


async def test_held_meetings_carry_tool3_prompts_and_sets_carry_actions(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    prompted = await rows(
        "SELECT COUNT(DISTINCT m.id) AS n FROM rt_agenda_item ai "
        "JOIN rt_prompt p ON p.id = ai.prompt JOIN rt_meeting m ON m.id = ai.meeting "
        "WHERE p.bank = 'tool3' AND m.attendance_recorded"
    )
    assert prompted[0]["n"] > 0
    statuses = {r["status"] for r in await Action.select(Action.status)}
    assert statuses == {"open", "done", "carried_over", "dropped"}
    ended = await Group.select(Group.ended_at).where(Group.status == "ended")
    assert all(g["ended_at"] is not None for g in ended)


async def test_no_reminders_are_planned(db: str) -> None:
    await seed_scale(NOW, **TENFOLD)
    assert await Reminder.count() == 0


async def test_seeding_again_leaves_one_copy_beside_the_normal_demo(db: str) -> None:
    await seed_demo(NOW)
    first = await seed_scale_once(NOW, **SMALL)
    assert first is not None
    users, meetings = await User.count(), await Meeting.count()
    assert await seed_scale_once(NOW, **SMALL) is None
    assert (await User.count(), await Meeting.count()) == (users, meetings)
    assert users == len(DEMO_PEOPLE) + len(COLLEAGUES) + SMALL["staff"]
    with pytest.raises(ValueError, match="already"):
        await seed_scale(NOW, **SMALL)


def test_the_demo_command_takes_a_scale_of_demo_or_large() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).scale == "demo"
    assert parser.parse_args(["demo", "--scale", "large"]).scale == "large"
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--scale", "huge"])
    assert LARGE == {"staff": 5000, "groups": 300, "years": 3}
