from __future__ import annotations

from datetime import UTC, datetime

import anyio
import pytest

from app.db.tables import FacilitationTurn, Meeting, Notification, SwapRequest
from app.services import meetings, rota
from app.services.errors import FormErrors
from tests.services.groups_support import add, group_of, person

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEEKLY = {"rule": "weekly", "first_date": "2027-01-05", "local_start": "19:00", "minutes": "90"}


async def planned_group(extra: int = 3):  # type: ignore[no-untyped-def]
    convenor = await person("c")
    gid = await group_of("peer_support", convenor, name="Peers")
    others = [await person(n) for n in range(extra)]
    await add(gid, *others)
    await meetings.save_schedule(gid, convenor, WEEKLY, NOW)
    await rota.plan_rota(gid, NOW)
    first = (
        await FacilitationTurn.select(FacilitationTurn.meeting, FacilitationTurn.member)
        .where(FacilitationTurn.role == "lead")
        .order_by(FacilitationTurn.meeting.starts_at)
        .first()
    )
    return gid, convenor, others, first


async def who_leads(meeting_id: int) -> int:
    row = (
        await FacilitationTurn.select(FacilitationTurn.member)
        .where((FacilitationTurn.meeting == meeting_id) & (FacilitationTurn.role == "lead"))
        .first()
    )
    return row["member"]


async def test_twenty_people_accepting_one_swap_at_once_give_exactly_one_winner(db: str) -> None:
    convenor = await person("c")
    gid = await group_of("peer_support", convenor, name="Peers")
    crowd = [await person(n) for n in range(20)]
    await add(gid, *crowd)
    await meetings.save_schedule(gid, convenor, WEEKLY, NOW)
    await rota.plan_rota(gid, NOW)
    first = (
        await FacilitationTurn.select(FacilitationTurn.meeting, FacilitationTurn.member)
        .where(FacilitationTurn.role == "lead")
        .order_by(FacilitationTurn.meeting.starts_at)
        .first()
    )
    lead = next(p for p in [convenor, *crowd] if p.id == first["member"])
    await rota.ask_for_swap(first["meeting"], lead, "cover", NOW)
    swap_id = (await SwapRequest.select(SwapRequest.id).first())["id"]
    outcomes: list[str] = []

    async def accept(who) -> None:  # type: ignore[no-untyped-def]
        try:
            await rota.take_swap(swap_id, who, NOW)
            outcomes.append(f"won:{who.id}")
        except rota.SwapTaken:
            outcomes.append("told")

    async with anyio.create_task_group() as tg:
        for who in crowd:
            if who.id != lead.id:
                tg.start_soon(accept, who)
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("told") == len(outcomes) - 1
    assert await who_leads(first["meeting"]) == int(winners[0].split(":")[1])
    meeting = (
        await Meeting.select(Meeting.facilitator).where(Meeting.id == first["meeting"]).first()
    )
    assert meeting["facilitator"] == int(winners[0].split(":")[1])


async def test_cover_records_a_give_back_and_the_eligible_are_asked(db: str) -> None:
    _, convenor, others, first = await planned_group()
    lead = next(p for p in [convenor, *others] if p.id == first["member"])
    await rota.ask_for_swap(first["meeting"], lead, "cover", NOW)
    await rota.ask_for_swap(first["meeting"], lead, "cover", NOW)
    assert await SwapRequest.count() == 1, "asking twice asks once"
    asked = {r["user"] for r in await Notification.select(Notification.user)}
    assert lead.id not in asked and len(asked) == 3
    helper = next(p for p in [convenor, *others] if p.id != lead.id)
    await rota.take_swap((await SwapRequest.select(SwapRequest.id).first())["id"], helper, NOW)
    turn = (
        await FacilitationTurn.select(FacilitationTurn.origin, FacilitationTurn.covered_for)
        .where((FacilitationTurn.meeting == first["meeting"]) & (FacilitationTurn.role == "lead"))
        .first()
    )
    assert turn == {"origin": "cover", "covered_for": lead.id}


async def test_an_exchange_gives_the_helper_s_next_turn_to_the_asker(db: str) -> None:
    _, convenor, others, first = await planned_group()
    everyone = [convenor, *others]
    lead = next(p for p in everyone if p.id == first["member"])
    later = (
        await FacilitationTurn.select(FacilitationTurn.meeting, FacilitationTurn.member)
        .where((FacilitationTurn.role == "lead") & (FacilitationTurn.meeting != first["meeting"]))
        .order_by(FacilitationTurn.meeting.starts_at)
    )
    helper_turn = next(t for t in later if t["member"] != lead.id)
    helper = next(p for p in everyone if p.id == helper_turn["member"])
    await rota.ask_for_swap(first["meeting"], lead, "exchange", NOW)
    await rota.take_swap((await SwapRequest.select(SwapRequest.id).first())["id"], helper, NOW)
    assert await who_leads(first["meeting"]) == helper.id
    assert await who_leads(helper_turn["meeting"]) == lead.id


async def test_two_convenors_overriding_one_turn_at_once_leave_one_consistent_lead(db: str) -> None:
    gid, convenor, others, first = await planned_group()
    second = others[0]
    await add(gid, await person("c2"), role="convenor")
    co = await person("c2")

    async with anyio.create_task_group() as tg:
        tg.start_soon(
            rota.override_turn,
            first["meeting"],
            convenor,
            "lead",
            str(others[1].id),
            "Illness",
            NOW,
        )
        tg.start_soon(
            rota.override_turn, first["meeting"], co, "lead", str(second.id), "Rota clash", NOW
        )
    lead = await who_leads(first["meeting"])
    meeting = (
        await Meeting.select(Meeting.facilitator).where(Meeting.id == first["meeting"]).first()
    )
    assert lead in {others[1].id, second.id} and meeting["facilitator"] == lead
    assert (
        await FacilitationTurn.count().where(
            (FacilitationTurn.meeting == first["meeting"]) & (FacilitationTurn.role == "lead")
        )
        == 1
    )


async def test_an_override_needs_a_member_and_a_note(db: str) -> None:
    _, convenor, others, first = await planned_group()
    stranger = await person("s")
    with pytest.raises(FormErrors):
        await rota.override_turn(
            first["meeting"], convenor, "lead", str(stranger.id), "Because", NOW
        )
    with pytest.raises(FormErrors):
        await rota.override_turn(first["meeting"], convenor, "lead", str(others[0].id), "", NOW)


async def test_declaring_an_away_day_on_your_turn_asks_for_cover_for_you(db: str) -> None:
    from zoneinfo import ZoneInfo

    _, convenor, others, first = await planned_group()
    lead = next(p for p in [convenor, *others] if p.id == first["member"])
    starts = (
        await Meeting.select(Meeting.starts_at).where(Meeting.id == first["meeting"]).first()
    )["starts_at"]
    await rota.add_away_day(
        lead, starts.astimezone(ZoneInfo("Europe/London")).date().isoformat(), NOW
    )
    request = await SwapRequest.select(
        SwapRequest.meeting, SwapRequest.kind, SwapRequest.requester
    ).first()
    assert request == {"meeting": first["meeting"], "kind": "cover", "requester": lead.id}
