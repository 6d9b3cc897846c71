"""Reading groups: the directory, a group's page, its members, and 'my groups'.

Every read decides visibility with app.domain.groups. Each function issues a fixed number
of queries, however many groups or members there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from app.db.engine import is_postgres
from app.db.tables import Group, JoinRequest, Membership
from app.domain import groups as rules
from app.domain.groups import Standing
from app.services.accounts import Account
from app.services.errors import NotFound
from app.services.safeguarding import AccessRecord, access_log, has_break_glass

ACTIVE = "active"


@dataclass(frozen=True)
class GroupView:
    id: int
    kind: str
    name: str
    purpose: str
    network: str
    visibility: str
    join_policy: str
    member_list: str
    capacity: int | None
    term_starts: date | None
    term_ends: date | None
    meets: str
    ground_rules: str
    ground_rules_version: int
    discreet: bool
    facilitation: str
    timezone: str
    # An action learning set's lifecycle (see app.domain.set_lifecycle).
    status: str = "active"
    closing_review_at: datetime | None = None
    closing_review_note: str = ""
    ended_at: datetime | None = None
    anonymous_posts: bool = False

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    @property
    def listed(self) -> bool:
        return rules.is_listed(self.visibility, self.join_policy)

    @property
    def kind_label(self) -> str:
        return rules.KINDS[self.kind]

    @property
    def network_label(self) -> str:
        return rules.NETWORKS.get(self.network, "")

    @property
    def meets_label(self) -> str:
        return rules.MEETS.get(self.meets, self.meets)

    @property
    def join_label(self) -> str:
        return rules.JOIN_POLICIES[self.join_policy]

    @property
    def rules_list(self) -> list[str]:
        # Shown as an ordered list, so any numbering typed into the text is dropped.
        lines = (line.strip() for line in self.ground_rules.splitlines())
        return [re.sub(r"^\d+[.)]\s*", "", line) for line in lines if line]


GROUP_COLUMNS = (
    Group.id,
    Group.kind,
    Group.name,
    Group.purpose,
    Group.network,
    Group.visibility,
    Group.join_policy,
    Group.member_list,
    Group.capacity,
    Group.term_starts,
    Group.term_ends,
    Group.meets,
    Group.ground_rules,
    Group.ground_rules_version,
    Group.discreet,
    Group.facilitation,
    Group.timezone,
    Group.status,
    Group.closing_review_at,
    Group.closing_review_note,
    Group.ended_at,
    Group.anonymous_posts,
)


def group_view(row: dict[str, Any]) -> GroupView:
    return GroupView(**row)


async def load_group(group_id: int) -> GroupView | None:
    row = await Group.select(*GROUP_COLUMNS).where(Group.id == group_id).first()
    return group_view(row) if row else None


@dataclass(frozen=True)
class MyMembership:
    id: int
    role: str
    accepted_rules_version: int
    joined_at: datetime


async def membership_of(group_id: int, user_id: int) -> MyMembership | None:
    row = (
        await Membership.select(
            Membership.id, Membership.role, Membership.accepted_rules_version, Membership.joined_at
        )
        .where(
            (Membership.group == group_id)
            & (Membership.user == user_id)
            & (Membership.status == ACTIVE)
        )
        .first()
    )
    return MyMembership(**row) if row else None


async def standing_of(
    group: GroupView, account: Account, now: datetime
) -> tuple[Standing, MyMembership | None]:
    mine = await membership_of(group.id, account.id)
    glass = account.is_admin and mine is None and await has_break_glass(group.id, account.id, now)
    standing = Standing(
        role_in_group=mine.role if mine else None, site_role=account.role, break_glass=glass
    )
    return standing, mine


async def visible_group(
    group_id: int, account: Account, now: datetime
) -> tuple[GroupView, Standing, MyMembership | None]:
    """The group as this person may see it; NotFound when they may not know it exists."""
    group = await load_group(group_id)
    if group is None:
        raise NotFound()
    standing, mine = await standing_of(group, account, now)
    if not rules.can_see_group(group.listed, standing):
        raise NotFound()
    return group, standing, mine


async def officer_group(group_id: int, account: Account, now: datetime) -> GroupView:
    group, standing, _ = await visible_group(group_id, account, now)
    if not standing.is_officer:
        raise NotFound()
    return group


async def active_count(group_id: int) -> int:
    return await Membership.count().where(
        (Membership.group == group_id) & (Membership.status == ACTIVE)
    )


@dataclass(frozen=True)
class MemberView:
    membership_id: int
    user_id: int
    name: str
    pronouns: str
    role: str
    joined_at: datetime


async def _members(group_id: int, role: str | None = None) -> list[MemberView]:
    where = (Membership.group == group_id) & (Membership.status == ACTIVE)
    if role:
        where &= Membership.role == role
    rows = (
        await Membership.select(
            Membership.id.as_alias("membership_id"),
            Membership.user.id.as_alias("user_id"),
            Membership.user.display_name.as_alias("name"),
            Membership.user.pronouns.as_alias("pronouns"),
            Membership.role,
            Membership.joined_at,
        )
        .where(where)
        .order_by(Membership.joined_at)
        .order_by(Membership.id)
    )
    return [MemberView(**row) for row in rows]


@dataclass(frozen=True)
class GroupPage:
    group: GroupView
    standing: Standing
    membership: MyMembership | None
    count: int | None
    places_left: int | None
    is_full: bool
    convenors: list[MemberView]
    members: list[MemberView] | None
    pending_request: bool
    pending_requests: int
    access_log: list[AccessRecord]

    @property
    def needs_rules(self) -> bool:
        m = self.membership
        return m is not None and m.accepted_rules_version < self.group.ground_rules_version


async def group_page(group_id: int, account: Account, now: datetime) -> GroupPage:
    group, standing, mine = await visible_group(group_id, account, now)
    count = await active_count(group.id)
    members = (
        await _members(group.id) if rules.can_see_members(group.member_list, standing) else None
    )
    if members is not None:
        convenors = [m for m in members if m.role == "convenor"]
    elif rules.can_see_convenors(group.member_list, standing):
        convenors = await _members(group.id, role="convenor")
    else:
        convenors = []
    pending_request = mine is None and bool(
        await JoinRequest.exists().where(
            (JoinRequest.group == group.id)
            & (JoinRequest.user == account.id)
            & (JoinRequest.status == "pending")
        )
    )
    officer = standing.is_officer
    return GroupPage(
        group=group,
        standing=standing,
        membership=mine,
        count=rules.shown_count(group.kind, count, standing),
        places_left=rules.places_left(group.kind, group.capacity, count, standing),
        is_full=group.capacity is not None and count >= group.capacity,
        convenors=convenors,
        members=members,
        pending_request=pending_request,
        pending_requests=await JoinRequest.count().where(
            (JoinRequest.group == group.id) & (JoinRequest.status == "pending")
        )
        if officer
        else 0,
        access_log=await access_log(group.id) if officer else [],
    )


async def members_page(
    group_id: int, account: Account, now: datetime
) -> tuple[GroupView, Standing, list[MemberView]]:
    group, standing, _ = await visible_group(group_id, account, now)
    if not rules.can_see_members(group.member_list, standing):
        raise NotFound()
    return group, standing, await _members(group.id)


@dataclass(frozen=True)
class PendingRequest:
    id: int
    name: str
    pronouns: str
    message: str
    created_at: datetime


async def pending_requests(
    group_id: int, officer: Account, now: datetime
) -> tuple[GroupView, list[PendingRequest]]:
    group = await officer_group(group_id, officer, now)
    rows = (
        await JoinRequest.select(
            JoinRequest.id,
            JoinRequest.user.display_name.as_alias("name"),
            JoinRequest.user.pronouns.as_alias("pronouns"),
            JoinRequest.message,
            JoinRequest.created_at,
        )
        .where((JoinRequest.group == group_id) & (JoinRequest.status == "pending"))
        .order_by(JoinRequest.created_at)
    )
    return group, [PendingRequest(**row) for row in rows]


async def member_for_officer(
    group_id: int, membership_id: int, officer: Account, now: datetime
) -> tuple[GroupView, MemberView]:
    group = await officer_group(group_id, officer, now)
    for member in await _members(group_id):
        if member.membership_id == membership_id and member.user_id != officer.id:
            return group, member
    raise NotFound()


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    kind: str = ""
    meets: str = ""
    has_space: bool = False


@dataclass(frozen=True)
class DirectoryEntry:
    group: GroupView
    count: int | None
    has_space: bool
    my_role: str | None


async def _counts(group_ids: list[int]) -> dict[int, int]:
    if not group_ids:
        return {}
    rows = (
        await Membership.select(Membership.group, Count(Membership.id, alias="n"))
        .where(Membership.group.is_in(group_ids) & (Membership.status == ACTIVE))
        .group_by(Membership.group)
    )
    return {row["group"]: row["n"] for row in rows}


async def _my_roles(user_id: int) -> dict[int, str]:
    rows = await Membership.select(Membership.group, Membership.role).where(
        (Membership.user == user_id) & (Membership.status == ACTIVE)
    )
    return {row["group"]: row["role"] for row in rows}


DIRECTORY_LIMIT = 200


async def directory(account: Account, filters: DirectoryFilters) -> list[DirectoryEntry]:
    where = (Group.visibility == "listed") & (Group.join_policy != "invitation")
    if filters.kind in rules.KINDS:
        where &= Group.kind == filters.kind
    if filters.meets == "online":
        where &= Group.meets.is_in(["online", "hybrid"])
    elif filters.meets == "in_person":
        where &= Group.meets.is_in(["in_person", "hybrid"])
    if filters.q:
        pattern = f"%{filters.q.replace('%', '').replace('_', '')}%"
        # SQLite's LIKE already ignores case; PostgreSQL needs ILIKE.
        if is_postgres(Group):
            where &= Group.name.ilike(pattern) | Group.purpose.ilike(pattern)
        else:
            where &= Group.name.like(pattern) | Group.purpose.like(pattern)
    rows = (
        await Group.select(*GROUP_COLUMNS).where(where).order_by(Group.name).limit(DIRECTORY_LIMIT)
    )
    groups = [group_view(row) for row in rows]
    counts = await _counts([g.id for g in groups])
    mine = await _my_roles(account.id)
    entries = []
    for group in groups:
        count = counts.get(group.id, 0)
        role = mine.get(group.id)
        standing = Standing(role_in_group=role, site_role=account.role)
        space = group.capacity is None or count < group.capacity
        if filters.has_space and not space:
            continue
        entries.append(
            DirectoryEntry(
                group=group,
                count=rules.shown_count(group.kind, count, standing),
                has_space=space,
                my_role=role,
            )
        )
    return entries


@dataclass(frozen=True)
class MyGroup:
    group: GroupView
    role: str
    needs_rules: bool


async def my_groups(account: Account) -> tuple[list[MyGroup], list[GroupView]]:
    """The person's groups, and the groups they have asked to join."""
    rows = (
        await Membership.select(
            *(getattr(Membership.group, c._meta.name) for c in GROUP_COLUMNS),
            Membership.role,
            Membership.accepted_rules_version,
        )
        .where((Membership.user == account.id) & (Membership.status == ACTIVE))
        .output(nested=True)
    )
    memberships = []
    for row in rows:
        group = group_view(row["group"])
        memberships.append(
            MyGroup(
                group=group,
                role=row["role"],
                needs_rules=row["accepted_rules_version"] < group.ground_rules_version,
            )
        )
    memberships.sort(key=lambda m: m.group.name.lower())
    pending_rows = (
        await JoinRequest.select(*(getattr(JoinRequest.group, c._meta.name) for c in GROUP_COLUMNS))
        .where((JoinRequest.user == account.id) & (JoinRequest.status == "pending"))
        .output(nested=True)
    )
    return memberships, [group_view(r["group"]) for r in pending_rows]


@dataclass(frozen=True)
class OverviewRow:
    group: GroupView
    count: int | None
    has_convenor: bool


async def organiser_overview() -> list[OverviewRow]:
    """Every listed group with totals, suppressed for small networks; never names."""
    rows = await (
        Group.select(*GROUP_COLUMNS)
        .where((Group.visibility == "listed") & (Group.join_policy != "invitation"))
        .order_by(Group.kind)
        .order_by(Group.name)
    )
    groups = [group_view(row) for row in rows]
    counts = await _counts([g.id for g in groups])
    convenor_rows = (
        await Membership.select(Membership.group, Count(Membership.id, alias="n"))
        .where(
            Membership.group.is_in([g.id for g in groups] or [0])
            & (Membership.status == ACTIVE)
            & (Membership.role == "convenor")
        )
        .group_by(Membership.group)
    )
    convenors = {row["group"]: row["n"] for row in convenor_rows}
    return [
        OverviewRow(
            group=g,
            count=rules.shown_count(g.kind, counts.get(g.id, 0)),
            # Yes or no, not a number: a count of officers is a count under five too.
            has_convenor=convenors.get(g.id, 0) > 0,
        )
        for g in groups
    ]
