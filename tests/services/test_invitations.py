from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from app.services import groups, invitations
from app.services.errors import FormErrors, NotFound
from app.services.invitations import InvitationUnusable
from app.services.membership import GroupFull
from tests.services.groups_support import NOW, add, group_of, person


async def test_a_single_use_invitation_admits_exactly_one_of_several_people_at_once(
    db: str,
) -> None:
    convenor = await person("c")
    gid = await group_of("action_learning", convenor)
    token = await invitations.create_invitation(gid, convenor, True, "14", NOW)
    people = [await person(n) for n in range(10)]
    outcomes: list[str] = []

    async def redeem(who) -> None:  # type: ignore[no-untyped-def]
        try:
            await invitations.redeem(token, who, True, NOW)
            outcomes.append("joined")
        except InvitationUnusable as e:
            outcomes.append(e.state)

    async with anyio.create_task_group() as tg:
        for who in people:
            tg.start_soon(redeem, who)
    assert sorted(outcomes) == ["joined"] + ["used"] * 9
    assert await groups.active_count(gid) == 2


async def test_a_multi_use_invitation_admits_several_until_the_set_is_full(db: str) -> None:
    convenor = await person("c")
    gid = await group_of("action_learning", convenor, capacity=4)
    token = await invitations.create_invitation(gid, convenor, False, "14", NOW)
    for n in range(3):
        await invitations.redeem(token, await person(n), True, NOW)
    with pytest.raises(GroupFull):
        await invitations.redeem(token, await person("late"), True, NOW)
    _, links = await invitations.invitations_for(gid, convenor, NOW)
    assert links[0].uses == 3


async def test_an_expired_revoked_or_used_invitation_names_no_group(db: str) -> None:
    convenor = await person("c")
    gid = await group_of("action_learning", convenor)
    expired = await invitations.create_invitation(gid, convenor, True, "1", NOW - timedelta(days=2))
    revoked = await invitations.create_invitation(gid, convenor, True, "14", NOW)
    used = await invitations.create_invitation(gid, convenor, True, "14", NOW)
    _, links = await invitations.invitations_for(gid, convenor, NOW)
    await invitations.revoke_invitation(
        gid, next(link.id for link in links if link.token == revoked), convenor, NOW
    )
    await invitations.redeem(used, await person("first"), True, NOW)
    stranger = await person("stranger")
    for token, state in ((expired, "expired"), (revoked, "revoked"), (used, "used")):
        landing = await invitations.look_up(token, stranger, NOW)
        assert (landing.state, landing.group) == (state, None)
        with pytest.raises(InvitationUnusable):
            await invitations.redeem(token, stranger, True, NOW)
    with pytest.raises(NotFound):
        await invitations.look_up("no-such-token", stranger, NOW)


async def test_joining_by_invitation_needs_the_rules_accepted_and_a_full_set_keeps_the_link(
    db: str,
) -> None:
    convenor = await person("c")
    gid = await group_of("action_learning", convenor, capacity=4)
    await add(gid, await person("a"), await person("b"), await person("d"))
    token = await invitations.create_invitation(gid, convenor, True, "14", NOW)
    hopeful = await person("h")
    with pytest.raises(FormErrors):
        await invitations.redeem(token, hopeful, False, NOW)
    with pytest.raises(GroupFull):
        await invitations.redeem(token, hopeful, True, NOW)
    assert (await invitations.look_up(token, hopeful, NOW)).state == "valid"


async def test_only_the_groups_convenors_make_or_see_invitations(db: str) -> None:
    convenor, member = await person("c"), await person("m")
    gid = await group_of("action_learning", convenor)
    await add(gid, member)
    with pytest.raises(NotFound):
        await invitations.create_invitation(gid, member, True, "14", NOW)
    with pytest.raises(NotFound):
        await invitations.invitations_for(gid, member, NOW)
    with pytest.raises(FormErrors):
        await invitations.create_invitation(gid, convenor, True, "365", NOW)
