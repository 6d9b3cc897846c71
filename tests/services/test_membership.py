from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from app.db.tables import Membership, Notification, User
from app.services import groups, membership
from app.services.errors import FormErrors, NotFound
from app.services.membership import GroupFull
from tests.services.groups_support import NOW, add, group_of, person


async def roles(group_id: int) -> dict[str, str]:
    rows = await Membership.select(Membership.user.display_name, Membership.role).where(
        (Membership.group == group_id) & (Membership.status == "active")
    )
    return {r["user.display_name"]: r["role"] for r in rows}


async def test_thirty_people_joining_a_set_with_two_places_left_admits_exactly_two(db: str) -> None:
    convenor = await person("convenor")
    gid = await group_of(
        "action_learning", convenor, join_policy="open", visibility="listed", capacity=6
    )
    await add(gid, *[await person(f"m{n}") for n in range(3)])
    hopefuls = [await person(f"h{n}") for n in range(30)]
    outcomes: list[str] = []

    async def try_to_join(who) -> None:  # type: ignore[no-untyped-def]
        try:
            await membership.join(gid, who, True, NOW)
            outcomes.append("joined")
        except GroupFull:
            outcomes.append("full")

    async with anyio.create_task_group() as tg:
        for who in hopefuls:
            tg.start_soon(try_to_join, who)
    assert sorted(outcomes) == ["full"] * 28 + ["joined"] * 2
    assert await groups.active_count(gid) == 6


async def test_two_convenors_leaving_at_once_still_leave_a_convenor(db: str) -> None:
    first, second = await person("first"), await person("second")
    gid = await group_of("peer_support", first)
    await add(gid, second, role="convenor")
    await add(gid, await person("old"), when=NOW - timedelta(days=30))
    await add(gid, await person("new"), when=NOW - timedelta(days=1))

    async with anyio.create_task_group() as tg:
        tg.start_soon(membership.leave, gid, first, NOW)
        tg.start_soon(membership.leave, gid, second, NOW)
    assert await roles(gid) == {"Person old": "convenor", "Person new": "member"}


async def test_the_longest_standing_member_is_told_they_now_convene(db: str) -> None:
    convenor, old = await person("c"), await person("old")
    gid = await group_of("peer_support", convenor, name="Tuesday group")
    await add(gid, old, when=NOW - timedelta(days=30))
    await membership.leave(gid, convenor, NOW)
    texts = [
        r["text"]
        for r in await Notification.select(Notification.text).where(Notification.user == old.id)
    ]
    assert texts == [
        "You are now a convenor of Tuesday group, because its last convenor left. "
        "You can share or hand on the role from the group's page."
    ]


async def test_a_discreet_groups_notifications_never_name_it(db: str) -> None:
    convenor, member = await person("c"), await person("m")
    gid = await group_of("staff_network", convenor, name="LGBTQI+ network")
    await add(gid, member)
    await membership.leave(gid, convenor, NOW)
    rows = await Notification.select(Notification.text)
    assert rows and all("LGBTQI" not in r["text"] for r in rows)
    assert "a group you belong to" in rows[0]["text"]


async def test_deleting_the_last_convenors_account_passes_the_role_on_and_erases_them(
    db: str,
) -> None:
    convenor, member = await person("c"), await person("m")
    gid = await group_of("peer_support", convenor)
    await add(gid, member)
    await membership.erase_account(convenor, NOW)
    assert await roles(gid) == {"Person m": "convenor"}
    erased = (
        await User.select(User.display_name, User.email, User.is_active, User.accessibility_needs)
        .where(User.id == convenor.id)
        .first()
    )
    assert erased == {
        "display_name": "Former member",
        "email": f"deleted-{convenor.id}@deleted.invalid",
        "is_active": False,
        "accessibility_needs": "",
    }


async def test_joining_needs_the_ground_rules_accepted(db: str) -> None:
    convenor, newcomer = await person("c"), await person("n")
    gid = await group_of("reflective_forum", convenor)
    with pytest.raises(FormErrors) as caught:
        await membership.join(gid, newcomer, False, NOW)
    assert caught.value.errors == {"accept_rules": membership.RULES_ERROR}
    assert await groups.active_count(gid) == 1


async def test_an_open_join_is_refused_where_the_group_takes_requests(db: str) -> None:
    convenor, newcomer = await person("c"), await person("n")
    gid = await group_of("peer_support", convenor)
    with pytest.raises(NotFound):
        await membership.join(gid, newcomer, True, NOW)


async def test_a_request_approved_by_a_convenor_makes_a_member_who_is_told(db: str) -> None:
    convenor, newcomer = await person("c"), await person("n")
    gid = await group_of("peer_support", convenor, name="Peers")
    await membership.request_to_join(gid, newcomer, "Hello", True, NOW)
    await membership.request_to_join(gid, newcomer, "Hello again", True, NOW)
    _, pending = await groups.pending_requests(gid, convenor, NOW)
    assert [p.message for p in pending] == ["Hello"]
    await membership.decide_request(gid, pending[0].id, convenor, True, "Welcome!", NOW)
    assert (await roles(gid))["Person n"] == "member"
    told = await Notification.select(Notification.text).where(Notification.user == newcomer.id)
    assert told == [
        {"text": "Your request to join Peers was accepted. The convenor said: Welcome!"}
    ]


async def test_two_convenors_deciding_one_request_at_once_decide_it_once(db: str) -> None:
    first, second, newcomer = await person("a"), await person("b"), await person("n")
    gid = await group_of("peer_support", first)
    await add(gid, second, role="convenor")
    await membership.request_to_join(gid, newcomer, "", True, NOW)
    _, pending = await groups.pending_requests(gid, first, NOW)
    outcomes: list[str] = []

    async def decide(officer, approve: bool) -> None:  # type: ignore[no-untyped-def]
        try:
            await membership.decide_request(gid, pending[0].id, officer, approve, "", NOW)
            outcomes.append("decided")
        except NotFound:
            outcomes.append("already decided")

    async with anyio.create_task_group() as tg:
        tg.start_soon(decide, first, True)
        tg.start_soon(decide, second, False)
    assert sorted(outcomes) == ["already decided", "decided"]
    assert await Notification.count().where(Notification.user == newcomer.id) == 1


async def test_a_removed_member_sees_the_reason(db: str) -> None:
    convenor, member = await person("c"), await person("m")
    gid = await group_of("peer_support", convenor, name="Peers")
    await add(gid, member)
    mine = await groups.membership_of(gid, member.id)
    assert mine is not None
    with pytest.raises(FormErrors):
        await membership.remove_member(gid, convenor, mine.id, "", NOW)
    await membership.remove_member(
        gid, convenor, mine.id, "Repeated breaches of confidentiality", NOW
    )
    assert await groups.membership_of(gid, member.id) is None
    told = await Notification.select(Notification.text).where(Notification.user == member.id)
    assert told[0]["text"].endswith("Their reason: Repeated breaches of confidentiality")


async def test_handing_over_the_convenor_role_steps_the_giver_down(db: str) -> None:
    convenor, member = await person("c"), await person("m")
    gid = await group_of("peer_support", convenor)
    await add(gid, member)
    mine = await groups.membership_of(gid, member.id)
    assert mine is not None
    await membership.make_convenor(gid, convenor, mine.id, step_down=True, now=NOW)
    assert await roles(gid) == {"Person c": "member", "Person m": "convenor"}


async def test_changed_ground_rules_ask_every_other_member_to_accept_again(db: str) -> None:
    from dataclasses import replace

    from app.domain.groups import defaults_for

    convenor, member = await person("c"), await person("m")
    gid = await group_of("peer_support", convenor)
    await add(gid, member)
    changed = replace(
        defaults_for("peer_support", NOW.date()), name="A peer_support", ground_rules="Be kind."
    )
    await membership.update_settings(gid, convenor, changed, NOW)
    page = await groups.group_page(gid, member, NOW)
    assert page.needs_rules
    assert not (await groups.group_page(gid, convenor, NOW)).needs_rules
    await membership.accept_rules(gid, member, NOW)
    assert not (await groups.group_page(gid, member, NOW)).needs_rules


async def test_capacity_cannot_drop_below_the_members_already_there(db: str) -> None:
    from dataclasses import replace

    from app.domain.groups import defaults_for

    convenor = await person("c")
    gid = await group_of("peer_support", convenor)
    await add(gid, await person("a"), await person("b"))
    smaller = replace(defaults_for("peer_support", NOW.date()), name="A peer_support", capacity=2)
    with pytest.raises(FormErrors) as caught:
        await membership.update_settings(gid, convenor, smaller, NOW)
    assert "already has 3 members" in caught.value.errors["capacity"]
