"""Changing who belongs: create, join, request, decide, leave, remove, convenors, rules.

Every change that depends on a count (capacity, "is anyone else a convenor?") locks the
group's row first, so concurrent clicks are decided one at a time.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime

from app.db.engine import lock_row, write_transaction
from app.db.tables import AuditEvent, Group, JoinRequest, Membership, User
from app.domain import groups as rules
from app.domain.groups import GroupSettings
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.groups import ACTIVE, GroupView, active_count, officer_group, visible_group
from app.services.notifications import notify
from app.services.passwords import hash_password

RULES_ERROR = "Read the ground rules and tick the box to accept them."


class GroupFull(Exception):
    """Every place is taken."""


class AlreadyMember(Exception):
    pass


def _name(group: GroupView | dict[str, object], fallback: str = "a group you belong to") -> str:
    # Discreet groups are never named in notifications, which can be read over a shoulder.
    if isinstance(group, GroupView):
        return fallback if group.discreet else group.name
    return fallback if group["discreet"] else str(group["name"])


async def create_group(
    account: Account, settings: GroupSettings, timezone: str, now: datetime
) -> int:
    async with write_transaction():
        rows = await Group.insert(
            Group(**asdict(settings), timezone=timezone, created_at=now)
        ).returning(Group.id)
        group_id: int = rows[0]["id"]
        await Membership.insert(
            Membership(
                group=group_id,
                user=account.id,
                role="convenor",
                joined_at=now,
                accepted_rules_version=1,
            )
        )
    return group_id


async def update_settings(
    group_id: int, account: Account, settings: GroupSettings, now: datetime
) -> None:
    await officer_group(group_id, account, now)
    values = asdict(settings)
    values.pop("kind")
    async with write_transaction():
        await lock_row(Group, group_id)
        current = (
            await Group.select(Group.ground_rules, Group.ground_rules_version)
            .where(Group.id == group_id)
            .first()
        )
        assert current is not None
        count = await active_count(group_id)
        if settings.capacity is not None and settings.capacity < count:
            raise FormErrors(
                {"capacity": f"The group already has {count} members; the limit can't be lower."}
            )
        update = {getattr(Group, k): v for k, v in values.items()}
        rules_changed = settings.ground_rules != current["ground_rules"]
        if rules_changed:
            version = current["ground_rules_version"] + 1
            update[Group.ground_rules_version] = version
            # The convenor who changed them has, by doing so, accepted them.
            await Membership.update({Membership.accepted_rules_version: version}).where(
                (Membership.group == group_id) & (Membership.user == account.id)
            )
        await Group.update(update).where(Group.id == group_id)
    if rules_changed:
        others = await Membership.select(Membership.user).where(
            (Membership.group == group_id)
            & (Membership.status == ACTIVE)
            & (Membership.user != account.id)
        )
        # Named as saved, not as it was: a group made discreet just now is discreet already.
        named = _name({"name": settings.name, "discreet": settings.discreet})
        await notify(
            [r["user"] for r in others],
            f"The ground rules of {named} have changed. Please read and accept them.",
            f"/groups/{group_id}",
            now,
        )


async def admit_member(
    group_id: int, user_id: int, role: str, accepted_version: int, now: datetime
) -> None:
    """Add or re-activate a membership inside the caller's transaction, within capacity."""
    await lock_row(Group, group_id)
    group = await Group.select(Group.capacity, Group.status).where(Group.id == group_id).first()
    # An ended action learning set takes nobody new, however they came.
    if group is None or group["status"] == "ended":
        raise NotFound()
    existing = (
        await Membership.select(Membership.id, Membership.status)
        .where((Membership.group == group_id) & (Membership.user == user_id))
        .first()
    )
    if existing and existing["status"] == ACTIVE:
        raise AlreadyMember()
    if group["capacity"] is not None and await active_count(group_id) >= group["capacity"]:
        raise GroupFull()
    if existing:
        await Membership.update(
            {
                Membership.status: ACTIVE,
                Membership.role: role,
                Membership.joined_at: now,
                Membership.left_at: None,
                Membership.removal_reason: "",
                Membership.accepted_rules_version: accepted_version,
            }
        ).where(Membership.id == existing["id"])
    else:
        await Membership.insert(
            Membership(
                group=group_id,
                user=user_id,
                role=role,
                joined_at=now,
                accepted_rules_version=accepted_version,
            )
        )


async def join(group_id: int, account: Account, accepted_rules: bool, now: datetime) -> GroupView:
    group, standing, _ = await visible_group(group_id, account, now)
    if standing.is_member:
        return group
    # Break-glass is an hour's recorded look, not a way to stay in an unlisted group.
    if group.join_policy != "open" or group.ended or (standing.break_glass and not group.listed):
        raise NotFound()
    if not accepted_rules:
        raise FormErrors({"accept_rules": RULES_ERROR})
    async with write_transaction():
        with suppress(AlreadyMember):
            await admit_member(group.id, account.id, "member", group.ground_rules_version, now)
    return group


async def request_to_join(
    group_id: int, account: Account, message: str, accepted_rules: bool, now: datetime
) -> GroupView:
    group, standing, _ = await visible_group(group_id, account, now)
    if standing.is_member:
        return group
    if group.join_policy != "request" or group.ended:
        raise NotFound()
    errors = {}
    if not accepted_rules:
        errors["accept_rules"] = RULES_ERROR
    if len(message) > 1000:
        errors["message"] = "Use at most 1000 characters."
    if errors:
        raise FormErrors(errors)
    created = (
        await JoinRequest.insert(
            JoinRequest(
                group=group.id,
                user=account.id,
                message=message.strip(),
                accepted_rules_version=group.ground_rules_version,
                created_at=now,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(JoinRequest.id)
    )
    if created:
        officers = await Membership.select(Membership.user).where(
            (Membership.group == group.id)
            & (Membership.status == ACTIVE)
            & (Membership.role == "convenor")
        )
        await notify(
            [r["user"] for r in officers],
            f"Someone has asked to join {_name(group, 'a group you convene')}.",
            f"/groups/{group.id}/requests",
            now,
        )
    return group


async def withdraw_request(group_id: int, account: Account, now: datetime) -> None:
    # Like every other group route: a group this person may not see answers 404.
    await visible_group(group_id, account, now)
    await JoinRequest.update({JoinRequest.status: "withdrawn", JoinRequest.decided_at: now}).where(
        (JoinRequest.group == group_id)
        & (JoinRequest.user == account.id)
        & (JoinRequest.status == "pending")
    )


async def decide_request(
    group_id: int, request_id: int, officer: Account, approve: bool, message: str, now: datetime
) -> str:
    """Approve or decline; returns the requester's name for the confirmation message."""
    group = await officer_group(group_id, officer, now)
    if len(message) > 1000:
        raise FormErrors({"message": "Use at most 1000 characters."})
    async with write_transaction():
        # The conditional update is the claim: two convenors deciding at once, one wins.
        claimed = (
            await JoinRequest.update(
                {
                    JoinRequest.status: "approved" if approve else "declined",
                    JoinRequest.decision_message: message.strip(),
                    JoinRequest.decided_by: officer.id,
                    JoinRequest.decided_at: now,
                }
            )
            .where(
                (JoinRequest.id == request_id)
                & (JoinRequest.group == group_id)
                & (JoinRequest.status == "pending")
            )
            .returning(JoinRequest.user, JoinRequest.accepted_rules_version)
        )
        if not claimed:
            raise NotFound()
        requester = claimed[0]["user"]
        if approve:
            with suppress(AlreadyMember):
                await admit_member(
                    group_id, requester, "member", claimed[0]["accepted_rules_version"], now
                )
    outcome = "accepted" if approve else "not accepted"
    text = f"Your request to join {_name(group)} was {outcome}."
    if message.strip():
        text += f" The convenor said: {message.strip()}"
    await notify([requester], text, f"/groups/{group_id}", now)
    row = await User.select(User.display_name).where(User.id == requester).first()
    return row["display_name"] if row else "The person"


async def _keep_a_convenor(group_id: int, now: datetime) -> None:
    """Inside a locked transaction: with no convenor left, the longest-standing member is one."""
    if await Membership.exists().where(
        (Membership.group == group_id)
        & (Membership.status == ACTIVE)
        & (Membership.role == "convenor")
    ):
        return
    successor = (
        await Membership.select(Membership.id, Membership.user)
        .where((Membership.group == group_id) & (Membership.status == ACTIVE))
        .order_by(Membership.joined_at)
        .order_by(Membership.id)
        .first()
    )
    if successor is None:
        return
    await Membership.update({Membership.role: "convenor"}).where(Membership.id == successor["id"])
    group = await Group.select(Group.name, Group.discreet).where(Group.id == group_id).first()
    assert group is not None
    await notify(
        [successor["user"]],
        f"You are now a convenor of {_name(group)}, because its last convenor left. "
        "You can share or hand on the role from the group's page.",
        f"/groups/{group_id}",
        now,
    )


async def _end_membership(
    group_id: int, user_id: int, status: str, reason: str, now: datetime
) -> bool:
    await lock_row(Group, group_id)
    ended = (
        await Membership.update(
            {
                Membership.status: status,
                Membership.left_at: now,
                Membership.removal_reason: reason,
                Membership.role: "member",
            }
        )
        .where(
            (Membership.group == group_id)
            & (Membership.user == user_id)
            & (Membership.status == ACTIVE)
        )
        .returning(Membership.id)
    )
    if ended:
        await _keep_a_convenor(group_id, now)
    return bool(ended)


async def leave(group_id: int, account: Account, now: datetime) -> GroupView:
    group, standing, _ = await visible_group(group_id, account, now)
    if not standing.is_member:
        raise NotFound()
    async with write_transaction():
        await _end_membership(group.id, account.id, "left", "", now)
    return group


async def remove_member(
    group_id: int, officer: Account, membership_id: int, reason: str, now: datetime
) -> str:
    group = await officer_group(group_id, officer, now)
    reason = reason.strip()
    if len(reason) < 5:
        raise FormErrors({"reason": "Give a reason. The person will see it."})
    target = (
        await Membership.select(Membership.user, Membership.user.display_name.as_alias("name"))
        .where(
            (Membership.id == membership_id)
            & (Membership.group == group_id)
            & (Membership.status == ACTIVE)
        )
        .first()
    )
    if target is None or target["user"] == officer.id:
        raise NotFound()
    async with write_transaction():
        await _end_membership(group_id, target["user"], "removed", reason, now)
    await notify(
        [target["user"]],
        f"A convenor removed you from {_name(group, 'a group you belonged to')}. "
        f"Their reason: {reason}",
        "/",
        now,
    )
    return str(target["name"])


async def make_convenor(
    group_id: int, officer: Account, membership_id: int, step_down: bool, now: datetime
) -> str:
    """Share the convenor role, or hand it over and step down."""
    group = await officer_group(group_id, officer, now)
    async with write_transaction():
        await lock_row(Group, group_id)
        target = (
            await Membership.update({Membership.role: "convenor"})
            .where(
                (Membership.id == membership_id)
                & (Membership.group == group_id)
                & (Membership.status == ACTIVE)
            )
            .returning(Membership.user)
        )
        if not target or target[0]["user"] == officer.id:
            raise NotFound()
        if step_down:
            await Membership.update({Membership.role: "member"}).where(
                (Membership.group == group_id) & (Membership.user == officer.id)
            )
    user_id = target[0]["user"]
    await notify(
        [user_id],
        f"{officer.display_name} made you a convenor of {_name(group)}.",
        f"/groups/{group_id}",
        now,
    )
    row = await User.select(User.display_name).where(User.id == user_id).first()
    return row["display_name"] if row else "They"


FULL_FOR_CONVENOR = "The group is full, so no one new can be added as convenor."


async def appoint_convenor(group_id: int, organiser: Account, email: str, now: datetime) -> None:
    """An organiser names a convenor for a listed group, joining them if need be.

    Whether the person was already a member is never said: that would reveal membership.
    """
    group = (
        await Group.select(
            Group.id,
            Group.name,
            Group.discreet,
            Group.visibility,
            Group.join_policy,
            Group.capacity,
        )
        .where(Group.id == group_id)
        .first()
    )
    if (
        not organiser.is_organiser
        or group is None
        or not rules.is_listed(group["visibility"], group["join_policy"])
    ):
        raise NotFound()
    person = (
        await User.select(User.id)
        .where((User.email == email.strip().lower()) & User.is_active.eq(True))
        .first()
    )
    if person is None:
        raise FormErrors({"email": "No one with a Roundtable account has that email address."})
    async with write_transaction():
        try:
            await admit_member(group_id, person["id"], "convenor", 0, now)
        except AlreadyMember:
            # A full group refuses a member as it refuses anyone else: a different answer
            # would tell the organiser who belongs.
            capacity = group["capacity"]
            if capacity is not None and await active_count(group_id) >= capacity:
                raise FormErrors({"email": FULL_FOR_CONVENOR}) from None
            await Membership.update({Membership.role: "convenor"}).where(
                (Membership.group == group_id) & (Membership.user == person["id"])
            )
        except GroupFull:
            raise FormErrors({"email": FULL_FOR_CONVENOR}) from None
        await AuditEvent.insert(
            AuditEvent(
                actor=organiser.id, group=group_id, action="convenor_appointed", occurred_at=now
            )
        )
    await notify(
        [person["id"]],
        f"{organiser.display_name}, an organiser, appointed you a convenor of {_name(group)}.",
        f"/groups/{group_id}",
        now,
    )


async def accept_rules(group_id: int, account: Account, now: datetime) -> GroupView:
    group, standing, _ = await visible_group(group_id, account, now)
    if not standing.is_member:
        raise NotFound()
    await Membership.update({Membership.accepted_rules_version: group.ground_rules_version}).where(
        (Membership.group == group_id)
        & (Membership.user == account.id)
        & (Membership.status == ACTIVE)
    )
    return group


async def erase_account(account: Account, now: datetime) -> None:
    """Leave every group (passing on any convenor role) and erase the person's details.

    The row stays, renamed "Former member", so what they wrote remains readable.
    """
    groups = await Membership.select(Membership.group).where(
        (Membership.user == account.id) & (Membership.status == ACTIVE)
    )
    for row in groups:
        async with write_transaction():
            await _end_membership(row["group"], account.id, "left", "", now)
    await JoinRequest.delete().where(
        (JoinRequest.user == account.id) & (JoinRequest.status == "pending")
    )
    unusable = await hash_password(secrets.token_urlsafe(32))
    await User.update(
        {
            User.email: f"deleted-{account.id}@deleted.invalid",
            User.display_name: "Former member",
            User.pronouns: "",
            User.accessibility_needs: "",
            User.password_hash: unusable,
            User.is_active: False,
        }
    ).where(User.id == account.id)
