from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import httpx

from app.db.tables import FacilitationTurn, Meeting, Unavailability
from app.services import meetings, rota
from app.services.accounts import Account
from tests.conftest import field_error, post_form, sign_in, text_of
from tests.services.groups_support import add, group_of, person

NOW = datetime.now(UTC)


WEEKLY = {
    "rule": "weekly",
    "first_date": NOW.date().isoformat(),
    "local_start": "18:00",
    "minutes": "90",
}


async def weekly(kind: str = "peer_support", **settings: object) -> tuple[int, object]:
    convenor = await person("c")
    gid = await group_of(kind, convenor, **settings)
    await meetings.save_schedule(gid, convenor, WEEKLY, NOW)
    return gid, convenor


async def planned(
    kind: str, convenor: Account, name: str, members: list[Account], **schedule: str
) -> int:
    """A group with members, a weekly schedule and its rota planned."""
    gid = await group_of(kind, convenor, name=name)
    await add(gid, *members)
    await meetings.save_schedule(gid, convenor, {**WEEKLY, **schedule}, NOW)
    await rota.plan_rota(gid, NOW)
    return gid


async def leads(gid: int) -> list[int]:
    rows = (
        await FacilitationTurn.select(FacilitationTurn.member)
        .where((FacilitationTurn.meeting.group == gid) & (FacilitationTurn.role == "lead"))
        .order_by(FacilitationTurn.meeting.starts_at)
    )
    return [r["member"] for r in rows]


async def test_planning_gives_every_upcoming_session_a_lead_once_however_often_it_runs(
    db: str,
) -> None:
    gid, _ = await weekly()
    await add(gid, await person("a"), await person("b"))
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(rota.plan_rota, gid, NOW)
    assert len(await leads(gid)) == meetings.HORIZON
    assert await rota.plan_rota(gid, NOW) == 0
    facilitators = await Meeting.select(Meeting.facilitator).where(Meeting.group == gid)
    assert all(row["facilitator"] is not None for row in facilitators)


async def test_a_first_timer_shadows_before_leading_and_an_away_day_is_skipped(db: str) -> None:
    gid, convenor = await weekly()
    newcomer = await person("new")
    await add(gid, newcomer)
    first = (
        await Meeting.select(Meeting.id, Meeting.starts_at)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )
    await FacilitationTurn.insert(
        FacilitationTurn(meeting=first["id"], member=convenor.id, role="lead")
    )
    await Unavailability.insert(
        Unavailability(user=convenor.id, day=(first["starts_at"] + timedelta(days=7)).date())
    )
    await rota.plan_rota(gid, first["starts_at"] + timedelta(hours=2))
    turns = (
        await FacilitationTurn.select(
            FacilitationTurn.member, FacilitationTurn.role, FacilitationTurn.meeting
        )
        .where(FacilitationTurn.meeting.group == gid)
        .order_by(FacilitationTurn.meeting.starts_at)
    )
    second = [t for t in turns if t["meeting"] != first["id"]][:2]
    assert {(t["member"], t["role"]) for t in second} != {(convenor.id, "lead")}
    assert all(not (t["member"] == newcomer.id and t["role"] == "lead") for t in turns[:2])


async def test_the_rota_page_is_for_members_and_a_private_list_shows_only_your_own_turns(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    await make_account("carol@example.org", "Carol")
    gid = await planned("staff_network", alice, name="Network", members=[bob])
    await sign_in(client, "carol@example.org")
    assert (await client.get(f"/groups/{gid}/rota")).status_code == 404
    await sign_in(client, "bob@example.org")
    words = text_of((await client.get(f"/groups/{gid}/rota")).text)
    assert "Your turns" in words and "Bob (you)" in words
    ledger = words.split("Your turns", 1)[1].split("Your availability", 1)[0]
    assert "Alice" not in ledger and "Not led yet" not in ledger
    await sign_in(client, "alice@example.org")
    words = text_of((await client.get(f"/groups/{gid}/rota")).text)
    assert "Everyone's turns" in words and "Bob" in words


async def test_opting_out_and_away_days_are_kept_and_bad_dates_explained(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    gid = await group_of("peer_support", alice)
    await add(gid, bob)
    await sign_in(client, "bob@example.org")
    await post_form(client, f"/groups/{gid}/rota/opt-out", {"opted_out": "true"})
    assert "You have opted out of leading" in text_of(
        (await client.get(f"/groups/{gid}/rota")).text
    )
    bad = await post_form(client, f"/groups/{gid}/rota/away", {"day": "next Friday"})
    assert bad.status_code == 422
    assert field_error(bad.text, "day") == "Enter a date like 2027-01-31."
    assert 'value="next Friday"' in bad.text
    day = (NOW + timedelta(days=10)).date().isoformat()
    assert (await post_form(client, f"/groups/{gid}/rota/away", {"day": day})).status_code == 303
    assert await Unavailability.count().where(Unavailability.user == bob.id) == 1


async def test_only_convenors_plan_the_rota(client: httpx.AsyncClient, make_account) -> None:
    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    gid = await group_of("peer_support", alice)
    await add(gid, bob)
    await sign_in(client, "bob@example.org")
    assert (await post_form(client, f"/groups/{gid}/rota/plan", {})).status_code == 404
    await sign_in(client, "alice@example.org")
    assert (await post_form(client, f"/groups/{gid}/rota/plan", {})).status_code == 303


async def test_asking_for_a_swap_and_taking_it_through_the_rota_page(
    client: httpx.AsyncClient, make_account
) -> None:
    from app.db.tables import SwapRequest

    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    await make_account("dev@example.org", "Dev")
    gid = await planned("peer_support", alice, name="Peers", members=[bob])
    first = (
        await FacilitationTurn.select(FacilitationTurn.meeting)
        .where((FacilitationTurn.member == alice.id) & (FacilitationTurn.role == "lead"))
        .order_by(FacilitationTurn.meeting.starts_at)
        .first()
    )["meeting"]
    await sign_in(client, "alice@example.org")
    assert "Ask for a swap" in text_of((await client.get(f"/groups/{gid}/rota")).text)
    asked = await post_form(client, f"/meetings/{first}/swap", {"kind": "cover"})
    assert asked.status_code == 303
    swap_id = (await SwapRequest.select(SwapRequest.id).first())["id"]
    await sign_in(client, "bob@example.org")
    assert "Alice asks for cover" in text_of((await client.get(f"/groups/{gid}/rota")).text)
    taken = await post_form(client, f"/swaps/{swap_id}/take", {})
    assert taken.status_code == 303
    assert "The turn is yours" in text_of((await client.get(taken.headers["location"])).text)
    again = await post_form(client, f"/swaps/{swap_id}/take", {})
    assert "Someone else has already taken this turn" in text_of(
        (await client.get(again.headers["location"])).text
    )
    await sign_in(client, "dev@example.org")
    assert (await post_form(client, f"/swaps/{swap_id}/take", {})).status_code == 404


async def test_a_convenors_change_needs_a_reason_and_shows_in_the_history(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    gid = await planned("peer_support", alice, name="Peers", members=[bob])
    first = (
        await Meeting.select(Meeting.id)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    await sign_in(client, "alice@example.org")
    bad = await post_form(
        client,
        f"/meetings/{first}/override",
        {"role": "lead", f"member-{first}": str(bob.id), f"note-{first}": ""},
    )
    assert bad.status_code == 422
    assert field_error(bad.text, f"member-{first}").startswith("Add a short note")
    good = await post_form(
        client,
        f"/meetings/{first}/override",
        {"role": "lead", f"member-{first}": str(bob.id), f"note-{first}": "Alice is on leave"},
    )
    assert good.status_code == 303
    words = text_of((await client.get(f"/groups/{gid}/rota")).text)
    assert "changed by a convenor: Alice is on leave" in words
    await sign_in(client, "bob@example.org")
    refused = await post_form(
        client,
        f"/meetings/{first}/override",
        {"role": "lead", f"member-{first}": str(bob.id), f"note-{first}": "Me please"},
    )
    assert refused.status_code == 404


async def test_the_preparation_page_is_for_the_sessions_facilitators_and_convenors(
    client: httpx.AsyncClient, make_account
) -> None:
    from app.db.tables import Rsvp, User

    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    await make_account("dev@example.org", "Dev")
    await planned("peer_support", alice, name="Peers", members=[bob])
    shadow = (
        await FacilitationTurn.select(FacilitationTurn.meeting)
        .where((FacilitationTurn.member == bob.id) & (FacilitationTurn.role == "shadow"))
        .first()
    )
    mid = shadow["meeting"]
    await User.update({User.accessibility_needs: "Step-free access"}).where(User.id == alice.id)
    await Rsvp.insert(Rsvp(meeting=mid, user=alice.id, answer="going", answered_at=NOW))
    await sign_in(client, "bob@example.org")
    words = text_of((await client.get(f"/meetings/{mid}/prepare")).text)
    assert "You are shadowing" in words
    assert "A self-check before you lead" in words and words.count("?") >= 5
    assert "Alice: Step-free access" in words
    await sign_in(client, "dev@example.org")
    assert (await client.get(f"/meetings/{mid}/prepare")).status_code == 404


async def test_an_action_learning_sets_presenters_rotate_and_the_adviser_does_not_present(
    client: httpx.AsyncClient, make_account
) -> None:
    adviser = await make_account("alice@example.org", "Alice")
    members = [await make_account(f"m{n}@example.org", f"Member {n}") for n in range(3)]
    gid = await planned(
        "action_learning", adviser, name="Set", members=members, local_start="10:00", minutes="120"
    )
    presenters = (
        await FacilitationTurn.select(FacilitationTurn.member)
        .where(FacilitationTurn.role == "presenter")
        .order_by(FacilitationTurn.meeting.starts_at)
    )
    chosen = [p["member"] for p in presenters]
    assert len(chosen) == meetings.HORIZON and adviser.id not in chosen
    assert set(chosen[:3]) == {m.id for m in members}, "everyone presents once before anyone twice"
    assert await rota.plan_rota(gid, NOW) == 0
    await sign_in(client, "alice@example.org")
    assert "Presenting" in text_of((await client.get(f"/groups/{gid}/rota")).text)


async def test_someone_with_a_part_in_that_session_or_opted_out_is_not_offered_the_turn(
    client: httpx.AsyncClient, make_account
) -> None:
    from app.db.tables import Membership, SwapRequest

    alice = await make_account("alice@example.org", "Alice")
    bob = await make_account("bob@example.org", "Bob")
    dev = await make_account("dev@example.org", "Dev")
    gid = await planned("peer_support", alice, name="Peers", members=[bob, dev])
    first = (
        await FacilitationTurn.select(FacilitationTurn.meeting)
        .where((FacilitationTurn.member == alice.id) & (FacilitationTurn.role == "lead"))
        .order_by(FacilitationTurn.meeting.starts_at)
        .first()
    )["meeting"]
    await FacilitationTurn.delete().where(
        (FacilitationTurn.meeting == first) & (FacilitationTurn.role != "lead")
    )
    await FacilitationTurn.insert(FacilitationTurn(meeting=first, member=bob.id, role="shadow"))
    await Membership.update({Membership.opted_out_of_leading: True}).where(
        Membership.user == dev.id
    )
    await sign_in(client, "alice@example.org")
    await post_form(client, f"/meetings/{first}/swap", {"kind": "cover", "role": "lead"})
    swap_id = (await SwapRequest.select(SwapRequest.id).first())["id"]
    for who in ("bob@example.org", "dev@example.org"):
        await sign_in(client, who)
        assert "I'll take it" not in text_of((await client.get(f"/groups/{gid}/rota")).text)
        refused = await post_form(client, f"/swaps/{swap_id}/take", {})
        assert "You can't take this turn" in text_of(
            (await client.get(refused.headers["location"])).text
        )
    lead = (
        await FacilitationTurn.select(FacilitationTurn.member)
        .where((FacilitationTurn.meeting == first) & (FacilitationTurn.role == "lead"))
        .first()
    )
    assert lead["member"] == alice.id


async def test_a_tampered_swap_kind_is_answered_beside_that_turns_choices(
    client: httpx.AsyncClient, make_account
) -> None:
    alice = await make_account("alice@example.org", "Alice")
    gid = await planned("peer_support", alice, name="Peers", members=[])
    first = (
        await FacilitationTurn.select(FacilitationTurn.meeting)
        .where((FacilitationTurn.member == alice.id) & (FacilitationTurn.role == "lead"))
        .order_by(FacilitationTurn.meeting.starts_at)
        .first()
    )["meeting"]
    await sign_in(client, "alice@example.org")
    answer = await post_form(
        client, f"/meetings/{first}/swap", {"kind": "teleport", "role": "lead"}
    )
    assert answer.status_code == 422
    assert f'href="#kind-{first}-lead"' in answer.text
    assert f'id="kind-{first}-lead-error"' in answer.text
    assert gid
