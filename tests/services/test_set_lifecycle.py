from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import anyio
import pytest

from app.db.engine import write_transaction
from app.db.tables import (
    Action,
    FacilitationTurn,
    Group,
    Invitation,
    JoinRequest,
    Meeting,
    Notification,
    Reminder,
    SwapRequest,
)
from app.services import invitations, meetings, membership, reminders, rota, set_lifecycle
from app.services.errors import FormErrors, NotFound
from jobs import set_lifecycle as job
from tests.services.groups_support import add, group_of, person

# A Monday; the set's review window opens today, four weeks before its last day.
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
ENDS = date(2027, 2, 1)
WEEKLY = {"rule": "weekly", "first_date": "2027-01-05", "local_start": "19:00", "minutes": "120"}


async def a_set(members: int = 3, term_ends: date = ENDS, scheduled: bool = False):  # type: ignore[no-untyped-def]
    adviser = await person("adviser")
    gid = await group_of(
        "action_learning",
        adviser,
        name="New supervisors",
        term_starts=date(2026, 4, 1),
        term_ends=term_ends,
    )
    people = [await person(n) for n in range(members)]
    await add(gid, *people)
    if scheduled:
        await meetings.save_schedule(gid, adviser, WEEKLY, NOW - timedelta(days=1))
        await rota.plan_rota(gid, NOW - timedelta(days=1))
    return gid, adviser, people


async def reviewed_set(scheduled: bool = True):  # type: ignore[no-untyped-def]
    gid, adviser, people = await a_set(scheduled=scheduled)
    await set_lifecycle.record_review(gid, adviser, "We learned to ask before advising.", NOW)
    return gid, adviser, people


async def prompts() -> int:
    return await Notification.count().where(Notification.text.like("Closing review due:%"))


async def test_members_are_prompted_once_when_their_set_enters_its_review_window(
    db: str,
) -> None:
    gid, _, people = await a_set(term_ends=ENDS + timedelta(days=2))
    assert await job.run_once(NOW) == 0
    assert await job.run_once(NOW + timedelta(days=2)) == 1
    assert await prompts() == len(people) + 1  # every member, the adviser too
    assert await job.run_once(NOW + timedelta(days=3)) == 0
    assert await prompts() == len(people) + 1
    text = (await Notification.select(Notification.text, Notification.link).first()) or {}
    assert text == {
        "text": "Closing review due: New supervisors ends on 3 February 2027. "
        "Hold a closing review before then.",
        "link": f"/groups/{gid}#closing",
    }


async def test_two_job_processes_at_once_prompt_the_set_once(db: str) -> None:
    _, _, people = await a_set()
    results: list[int] = []

    async def tick() -> None:
        results.append(await job.run_once(NOW))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(tick)
    assert sorted(results) == [0, 0, 0, 1]
    assert await prompts() == len(people) + 1
    assert await Group.count().where(Group.closing_prompted_at.is_not_null()) == 1


async def test_a_set_without_an_end_or_already_reviewed_is_not_prompted(db: str) -> None:
    gid, adviser, _ = await a_set()
    await set_lifecycle.record_review(gid, adviser, "Held today.", NOW)
    assert await job.run_once(NOW) == 0
    other = await group_of("peer_support", adviser, name="Peers")
    assert (await Group.select(Group.term_ends).where(Group.id == other).first()) == {
        "term_ends": None
    }
    assert await prompts() == 0


async def test_a_review_can_be_recorded_only_by_a_convenor_once_it_is_due(db: str) -> None:
    gid, adviser, people = await a_set(term_ends=ENDS + timedelta(days=1))
    with pytest.raises(NotFound):
        await set_lifecycle.record_review(gid, adviser, "Too early.", NOW)
    later = NOW + timedelta(days=1)
    with pytest.raises(NotFound):
        await set_lifecycle.record_review(gid, people[0], "Not a convenor.", later)
    with pytest.raises(FormErrors) as bad:
        await set_lifecycle.record_review(gid, adviser, " x ", later)
    assert "closing_note" in bad.value.errors
    assert await set_lifecycle.record_review(gid, adviser, "  Held, with thanks.  ", later)
    assert not await set_lifecycle.record_review(gid, adviser, "Twice.", later)
    row = await Group.select(Group.closing_review_at, Group.closing_review_note).first()
    assert row == {"closing_review_at": later, "closing_review_note": "Held, with thanks."}


async def test_ending_needs_the_closing_review_first(db: str) -> None:
    gid, adviser, _ = await a_set()
    with pytest.raises(NotFound):
        await set_lifecycle.end_set(gid, adviser, NOW)
    with pytest.raises(NotFound):
        await set_lifecycle.continue_set(gid, adviser, NOW)


async def test_ending_a_set_cancels_its_upcoming_sessions_and_closes_joining(db: str) -> None:
    gid, adviser, people = await reviewed_set()
    token = await invitations.create_invitation(gid, adviser, False, "30", NOW)
    asker = await person("asker")
    await JoinRequest.insert(
        JoinRequest(group=gid, user=asker.id, accepted_rules_version=1, created_at=NOW)
    )
    later = NOW + timedelta(days=2)  # after the first weekly session
    assert await set_lifecycle.end_set(gid, adviser, later)
    assert not await set_lifecycle.end_set(gid, adviser, later)
    group = await Group.select(Group.status, Group.ended_at).first()
    assert group == {"status": "ended", "ended_at": later}
    sessions = await Meeting.select(Meeting.starts_at, Meeting.status).order_by(Meeting.starts_at)
    assert [s["status"] for s in sessions if s["starts_at"] > later] == ["cancelled"] * 3
    assert [s["status"] for s in sessions if s["starts_at"] <= later] == ["scheduled"]
    assert (await Invitation.select(Invitation.revoked_at).first())["revoked_at"] == later
    assert (await JoinRequest.select(JoinRequest.status).first())["status"] == "declined"
    newcomer = await person("newcomer")
    with pytest.raises(invitations.InvitationUnusable):
        await invitations.redeem(token, newcomer, True, later)
    with pytest.raises(FormErrors):
        await invitations.create_invitation(gid, adviser, True, "7", later)
    with pytest.raises(NotFound):
        await membership.join(gid, newcomer, True, later)
    with pytest.raises(NotFound):  # whatever the way in
        async with write_transaction():
            await membership.admit_member(gid, newcomer.id, "member", 1, later)
    told = await Notification.select(Notification.user).where(Notification.text.like("Ended:%"))
    assert {r["user"] for r in told} == {p.id for p in people}


async def test_ending_a_set_voids_the_reminders_of_its_cancelled_sessions_and_swaps(
    db: str,
) -> None:
    gid, adviser, people = await reviewed_set()
    sessions = await Meeting.select(Meeting.id, Meeting.starts_at).order_by(Meeting.starts_at)
    await reminders.plan_meetings(NOW, [s["id"] for s in sessions])
    later_session = sessions[-1]["id"]
    swap = await SwapRequest.insert(
        SwapRequest(meeting=later_session, requester=people[0].id, created_at=NOW)
    ).returning(SwapRequest.id)
    await reminders.plan_swaps(NOW)
    swap_rows = await Reminder.count().where(Reminder.swap == swap[0]["id"])
    assert swap_rows > 0
    later = NOW + timedelta(days=2)  # after the first weekly session
    await set_lifecycle.end_set(gid, adviser, later)

    rows = await Reminder.select(Reminder.meeting, Reminder.swap, Reminder.status)
    held = sessions[0]["id"]
    assert {r["status"] for r in rows if r["meeting"] == held} == {"pending"}
    assert {r["status"] for r in rows if r["meeting"] not in (held, None)} == {"void"}
    assert [r["status"] for r in rows if r["swap"] == swap[0]["id"]] == ["void"] * swap_rows


async def test_an_ended_set_gets_no_new_meetings_and_no_rota(db: str) -> None:
    gid, adviser, _ = await reviewed_set()
    await set_lifecycle.end_set(gid, adviser, NOW)
    before = await Meeting.count()
    turns = await FacilitationTurn.count()
    weeks_later = NOW + timedelta(weeks=6)
    assert await meetings.materialise_all(weeks_later) == 0
    assert await meetings.materialise(gid, weeks_later) == 0
    assert await rota.plan_all(weeks_later) == 0
    assert await rota.plan_rota(gid, weeks_later) == 0
    assert (await Meeting.count(), await FacilitationTurn.count()) == (before, turns)
    # Other groups carry on as before.
    peers = await group_of("peer_support", adviser, name="Peers")
    await meetings.save_schedule(peers, adviser, WEEKLY, NOW)
    assert await meetings.materialise_all(weeks_later) > 0
    assert await Meeting.count().where(Meeting.group == gid) == before


async def test_nobody_adds_or_reviews_actions_in_an_ended_set(db: str) -> None:
    from app.services import actions

    gid, adviser, people = await reviewed_set()
    first = (await Meeting.select(Meeting.id).order_by(Meeting.starts_at).first())["id"]
    during = NOW + timedelta(days=1, hours=10)  # the first session has started
    await actions.add_action(first, people[0], "Ask for protected supervision time", during)
    action_id = (await Action.select(Action.id).first())["id"]
    await set_lifecycle.end_set(gid, adviser, during)
    with pytest.raises(FormErrors) as adding:
        await actions.add_action(first, people[0], "One more thing", during)
    assert adding.value.errors == {"action": actions.ENDED}
    with pytest.raises(FormErrors):
        await actions.review_action(first, action_id, people[0], "done", "", during)
    mine = await set_lifecycle.my_actions(gid, people[0].id)
    assert [a.text for a in mine] == ["Ask for protected supervision time"]
    assert await set_lifecycle.my_actions(gid, people[1].id) == []


async def test_carrying_on_hands_facilitation_to_the_members_for_six_more_months(
    db: str,
) -> None:
    gid, adviser, _ = await reviewed_set()
    upcoming = await FacilitationTurn.select(FacilitationTurn.member).where(
        (FacilitationTurn.role == "lead") & (FacilitationTurn.meeting.starts_at > NOW)
    )
    assert {r["member"] for r in upcoming} == {adviser.id}  # the set adviser leads
    assert await set_lifecycle.continue_set(gid, adviser, NOW)
    assert not await set_lifecycle.continue_set(gid, adviser, NOW)
    group = await Group.select(Group.facilitation, Group.term_ends, Group.status).first()
    assert group == {"facilitation": "rotating", "term_ends": date(2027, 8, 1), "status": "active"}
    view = await set_lifecycle.confirm_step(gid, adviser, "end", NOW)
    assert view.step == "end"
    with pytest.raises(NotFound):
        await set_lifecycle.confirm_step(gid, adviser, "continue", NOW)
    leads = await FacilitationTurn.select(FacilitationTurn.meeting, FacilitationTurn.member).where(
        (FacilitationTurn.role == "lead") & (FacilitationTurn.meeting.starts_at > NOW)
    )
    facilitators = await Meeting.select(Meeting.id, Meeting.facilitator).where(
        Meeting.starts_at > NOW
    )
    # Every upcoming session is planned again, and the meeting shows its new lead.
    assert len(leads) == len(facilitators) == 4
    assert {r["meeting"]: r["member"] for r in leads} == {
        r["id"]: r["facilitator"] for r in facilitators
    }
    assert {r["member"] for r in leads} - {adviser.id}, "members should now take the lead"
    # The set's presenters are untouched: they were never the adviser's.
    assert await FacilitationTurn.count().where(FacilitationTurn.role == "presenter") == 4


async def test_a_set_that_carried_on_is_prompted_again_before_its_new_end(db: str) -> None:
    gid, adviser, people = await a_set()
    assert await job.run_once(NOW) == 1
    await set_lifecycle.record_review(gid, adviser, "We carry on, facilitating ourselves.", NOW)
    await set_lifecycle.continue_set(gid, adviser, NOW)
    assert await job.run_once(NOW + timedelta(days=30)) == 0
    next_window = datetime(2027, 7, 4, 9, 0, tzinfo=UTC)
    assert await job.run_once(next_window) == 1
    assert await prompts() == 2 * (len(people) + 1)
