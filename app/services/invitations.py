"""Invitation links: single- or multi-use, expiring, revocable."""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.db.engine import write_transaction
from app.db.tables import Invitation
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound
from app.services.groups import GroupView, load_group, membership_of, officer_group
from app.services.membership import RULES_ERROR, AlreadyMember, admit_member

MAX_DAYS = 90


@dataclass(frozen=True)
class InvitationView:
    id: int
    token: str
    single_use: bool
    uses: int
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        if self.single_use and self.uses > 0:
            return "used"
        return "valid"


_COLUMNS = (
    Invitation.id,
    Invitation.token,
    Invitation.single_use,
    Invitation.uses,
    Invitation.expires_at,
    Invitation.revoked_at,
)


async def create_invitation(
    group_id: int, officer: Account, single_use: bool, days: str, now: datetime
) -> str:
    group = await officer_group(group_id, officer, now)
    if group.ended:
        raise FormErrors({"days": "This set has ended, so no one new can join it."})
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        raise FormErrors({"days": f"Enter a number of days from 1 to {MAX_DAYS}."})
    token = secrets.token_urlsafe(24)
    await Invitation.insert(
        Invitation(
            group=group_id,
            token=token,
            created_by=officer.id,
            single_use=single_use,
            expires_at=now + timedelta(days=int(days)),
            created_at=now,
        )
    )
    return token


async def invitations_for(
    group_id: int, officer: Account, now: datetime
) -> tuple[GroupView, list[InvitationView]]:
    group = await officer_group(group_id, officer, now)
    rows = (
        await Invitation.select(*_COLUMNS)
        .where(Invitation.group == group_id)
        .order_by(Invitation.created_at, ascending=False)
        .limit(50)
    )
    return group, [InvitationView(**row) for row in rows]


async def revoke_invitation(
    group_id: int, invitation_id: int, officer: Account, now: datetime
) -> None:
    await officer_group(group_id, officer, now)
    await Invitation.update({Invitation.revoked_at: now}).where(
        (Invitation.id == invitation_id)
        & (Invitation.group == group_id)
        & Invitation.revoked_at.is_null()
    )


@dataclass(frozen=True)
class InvitationLanding:
    state: str
    group: GroupView | None
    already_member: bool


async def look_up(token: str, account: Account, now: datetime) -> InvitationLanding:
    """What an invitation link shows. Only a valid link names the group."""
    row = (
        await Invitation.select(*_COLUMNS, Invitation.group)
        .where(Invitation.token == token)
        .first()
    )
    if row is None:
        raise NotFound()
    group_id = row.pop("group")
    invitation = InvitationView(**row)
    member = await membership_of(group_id, account.id) is not None
    state = invitation.state(now)
    if state != "valid" and not member:
        return InvitationLanding(state=state, group=None, already_member=False)
    return InvitationLanding(state=state, group=await load_group(group_id), already_member=member)


async def redeem(token: str, account: Account, accepted_rules: bool, now: datetime) -> int:
    """Join through a link; a single-use link is claimed by exactly one person."""
    landing = await look_up(token, account, now)
    if landing.group is None:
        raise InvitationUnusable(landing.state)
    if landing.already_member:
        return landing.group.id
    if not accepted_rules:
        raise FormErrors({"accept_rules": RULES_ERROR})
    group = landing.group
    async with write_transaction():
        claim = Invitation.update({Invitation.uses: Invitation.uses + 1}).where(
            (Invitation.token == token)
            & Invitation.revoked_at.is_null()
            & (Invitation.expires_at > now)
        )
        claimed = await claim.where(
            Invitation.single_use.eq(False) | (Invitation.uses == 0)
        ).returning(Invitation.id)
        if not claimed:
            raise InvitationUnusable("used")
        # GroupFull propagates and rolls the claim back: a full group uses up no link.
        with suppress(AlreadyMember):
            await admit_member(group.id, account.id, "member", group.ground_rules_version, now)
    return group.id


class InvitationUnusable(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state
