"""Group kinds, their safe defaults, settings validation, and who may see what.

Pure: no I/O and no clock. Every privacy decision about a group is made here, so the
web layer, exports and emails cannot each get it slightly wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from app.domain.ground_rules import ground_rules_for

KINDS = {
    "peer_support": "Peer support group",
    "staff_network": "Staff network",
    "reflective_forum": "Reflective forum",
    "action_learning": "Action learning set",
}
KIND_SUMMARIES = {
    "peer_support": "Colleagues meeting regularly to support each other, with the facilitator's "
    "role passed round the group.",
    "staff_network": "A network for staff who share an experience, and their allies. The member "
    "list is seen only by the network's officers.",
    "reflective_forum": "A panel of about three colleagues share stories from practice, then the "
    "group reflects together. Not a space to solve problems.",
    "action_learning": "A small set of 4 to 8 colleagues who meet over 9 to 12 months, taking "
    "turns to present a challenge and be asked good questions.",
}
NETWORKS = {
    "bme": "BME staff network",
    "disabled": "Disabled staff network",
    "lgbtqi": "LGBTQI+ staff network",
    "women": "Women's network",
    "faith": "Faith and belief network",
    "carers": "Carers' network",
    "custom": "Another network",
}
VISIBILITY = {
    "listed": "Listed in the group directory",
    "unlisted": "Unlisted: members and invitations only",
}
JOIN_POLICIES = {
    "open": "Anyone can join",
    "request": "People ask to join and a convenor decides",
    "invitation": "By invitation only",
}
MEMBER_LISTS = {
    "members": "Members can see who else is in the group",
    "officers": "Only convenors can see the member list",
}
MEETS = {"in_person": "In person", "online": "Online", "hybrid": "In person and online"}
FACILITATION = {
    "rotating": "Facilitation rotates among members",
    "fixed_adviser": "A set adviser facilitates; presenters rotate",
    "panel": "A rotating panel of three tells stories",
    "fixed": "One facilitator leads every session",
}

# Counts smaller than this are never shown for staff networks: in a small network a count
# plus a glance round the office can identify people.
SUPPRESS_BELOW = 5
ACTION_LEARNING_SEATS = (4, 8)
NAME_MAX = 120
PURPOSE_MAX = 2000
RULES_MAX = 5000


@dataclass(frozen=True)
class GroupSettings:
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
    discreet: bool
    facilitation: str
    # Members may post in the forum without their name (see app.services.forum).
    anonymous_posts: bool = False


def defaults_for(kind: str, today: date) -> GroupSettings:
    """The safe, practice-based starting point for each kind; a convenor can change any of it."""
    base = GroupSettings(
        kind=kind,
        name="",
        purpose="",
        network="",
        visibility="listed",
        join_policy="request",
        member_list="members",
        capacity=None,
        term_starts=None,
        term_ends=None,
        meets="in_person",
        ground_rules=ground_rules_for(kind),
        discreet=False,
        facilitation="rotating",
    )
    if kind == "staff_network":
        return replace(
            base,
            network="custom",
            join_policy="open",
            member_list="officers",
            discreet=True,
            anonymous_posts=True,
        )
    if kind == "reflective_forum":
        return replace(base, join_policy="open", facilitation="panel", anonymous_posts=True)
    if kind == "action_learning":
        return replace(
            base,
            visibility="unlisted",
            join_policy="invitation",
            capacity=6,
            term_starts=today,
            term_ends=add_months(today, 12),
            facilitation="fixed_adviser",
        )
    return base


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError(day)


def is_listed(visibility: str, join_policy: str) -> bool:
    # An invitation-only group is never listed: its existence is for the invited.
    return visibility == "listed" and join_policy != "invitation"


def parse_settings(kind: str, raw: dict[str, str]) -> tuple[GroupSettings | None, dict[str, str]]:
    """Turn what a person typed into settings, or say what is wrong beside each field."""
    errors: dict[str, str] = {}

    def choice(name: str, options: dict[str, str], default: str) -> str:
        value = raw.get(name, "") or default
        if value not in options:
            errors[name] = "Choose one of the options."
        return value

    def optional_date(name: str) -> date | None:
        value = raw.get(name, "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors[name] = "Enter a date like 2027-01-31."
            return None

    capacity: int | None = None
    capacity_raw = raw.get("capacity", "").strip()
    if capacity_raw:
        if capacity_raw.isdigit() and 0 < int(capacity_raw) <= 10000:
            capacity = int(capacity_raw)
        else:
            errors["capacity"] = "Enter a whole number of places, or leave it empty for no limit."

    settings = GroupSettings(
        kind=kind,
        name=raw.get("name", "").strip(),
        purpose=raw.get("purpose", "").strip(),
        network=choice("network", NETWORKS, "custom") if kind == "staff_network" else "",
        visibility=choice("visibility", VISIBILITY, "listed"),
        join_policy=choice("join_policy", JOIN_POLICIES, "open"),
        member_list=choice("member_list", MEMBER_LISTS, "members"),
        capacity=capacity,
        term_starts=optional_date("term_starts"),
        term_ends=optional_date("term_ends"),
        meets=choice("meets", MEETS, "in_person"),
        ground_rules=raw.get("ground_rules", "").strip(),
        discreet=raw.get("discreet") == "true",
        facilitation=choice("facilitation", FACILITATION, "rotating"),
        anonymous_posts=raw.get("anonymous_posts") == "true",
    )
    errors.update(validate_settings(settings, already=errors))
    return (None if errors else settings), errors


def validate_settings(s: GroupSettings, already: dict[str, str] | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    known = already or {}
    if not s.name:
        errors["name"] = "Give the group a name people will recognise."
    elif len(s.name) > NAME_MAX:
        errors["name"] = f"Use at most {NAME_MAX} characters."
    if len(s.purpose) > PURPOSE_MAX:
        errors["purpose"] = f"Use at most {PURPOSE_MAX} characters."
    if not s.ground_rules:
        errors["ground_rules"] = "Every group needs ground rules; start from the suggested ones."
    elif len(s.ground_rules) > RULES_MAX:
        errors["ground_rules"] = f"Use at most {RULES_MAX} characters."
    if "capacity" not in known and s.capacity is not None:
        if s.kind == "action_learning" and not (
            ACTION_LEARNING_SEATS[0] <= s.capacity <= ACTION_LEARNING_SEATS[1]
        ):
            errors["capacity"] = "An action learning set has between 4 and 8 members."
        elif s.kind == "staff_network" and s.capacity < SUPPRESS_BELOW:
            # A full network of fewer than five would reveal its size.
            errors["capacity"] = (
                f"A staff network's limit must be at least {SUPPRESS_BELOW}, or none."
            )
    if s.kind == "action_learning" and s.capacity is None and "capacity" not in known:
        errors["capacity"] = "An action learning set has between 4 and 8 members."
    if s.kind == "action_learning":
        if s.term_starts is None and "term_starts" not in known:
            errors["term_starts"] = "Enter the date the set starts."
        if s.term_ends is None and "term_ends" not in known:
            errors["term_ends"] = "Enter the date the set ends."
    if s.term_starts and s.term_ends and s.term_ends <= s.term_starts:
        errors["term_ends"] = "The end date must be after the start date."
    return errors


@dataclass(frozen=True)
class Standing:
    """Where one person stands with one group. Site roles add no rights inside groups."""

    role_in_group: str | None  # "convenor", "member", or None for anyone not an active member
    site_role: str = "member"
    break_glass: bool = False

    @property
    def is_officer(self) -> bool:
        return self.role_in_group == "convenor"

    @property
    def is_member(self) -> bool:
        return self.role_in_group is not None


def can_see_group(listed: bool, standing: Standing) -> bool:
    return listed or standing.is_member or standing.break_glass


def can_see_members(member_list: str, standing: Standing) -> bool:
    if standing.is_officer:
        return True
    if member_list == "officers":
        # Not organisers, not admins, not break-glass: who belongs to a network is the most
        # sensitive fact Roundtable holds, and a safeguarding look does not need it.
        return False
    return standing.is_member or standing.break_glass


def can_see_convenors(member_list: str, standing: Standing) -> bool:
    # A convenor of a private-list network is a member too: naming them to outsiders
    # would say who belongs.
    return member_list != "officers" or standing.is_member


def shown_count(kind: str, count: int, standing: Standing | None = None) -> int | None:
    """The member count a person may see, or None where it must not be shown at all."""
    if standing is not None and standing.is_officer:
        return count
    if kind == "staff_network" and count < SUPPRESS_BELOW:
        return None
    return count


def places_left(kind: str, capacity: int | None, count: int, standing: Standing) -> int | None:
    if capacity is None or shown_count(kind, count, standing) is None:
        return None
    return max(capacity - count, 0)
