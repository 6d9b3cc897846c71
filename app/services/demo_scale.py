"""A large synthetic organisation, so organiser insights have years of data to work on.

`roundtable demo --scale large` adds 5,000 staff in 300 groups that have met fortnightly for
three years: attendance, RSVPs, the rota with shadows, covers and swaps, themes that rise
and fall, Tool 3 prompts, action learning actions and forum posts. Smaller sizes serve
tests that need a known amount of data.

The rows are written straight into the tables with multi-row INSERTs inside one
transaction. Going through the services would cost one or more round trips per row, and
hundreds of thousands of rows would take the better part of an hour; one transaction also
means an interrupted run leaves nothing behind, so "already there?" is a single lookup.
What the services would have decided (agenda drafts, the Tool 3 rotation, occurrence
keys) is decided by the same domain functions they use.

Everything follows from the seed and `now`: no other clock and no other randomness.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from app.db.engine import is_postgres, write_transaction
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
    Prompt,
    ReminderPreference,
    Rsvp,
    SwapRequest,
    Theme,
    User,
)
from app.domain import agendas, prompt_rotation
from app.domain.ground_rules import ground_rules_for
from app.domain.groups import KINDS, NETWORKS, add_months
from app.domain.recurrence import Schedule, occurrences
from app.domain.reminders import KINDS as REMINDER_KINDS
from app.services.demo import DEMO_PASSWORD
from app.services.passwords import hash_password
from app.services.prompts import sync_prompt_banks


class Scale(TypedDict):
    staff: int
    groups: int
    years: float


LARGE: Scale = {"staff": 5000, "groups": 300, "years": 3}
EMAIL_DOMAIN = "scale.example"
TIMEZONE = "Europe/London"

# Both engines allow about 32,000 bound values in a statement; staying well under that
# keeps any one statement small without making the number of statements matter.
PARAMETERS_PER_STATEMENT = 10_000
FUTURE_MEETINGS = 2

FIRST_NAMES = (
    "Aaliyah", "Abdul", "Adaeze", "Aisha", "Amara", "Ana", "Ben", "Bethan", "Chen", "Chloe",
    "Daniel", "Deepa", "Eilidh", "Emeka", "Fatima", "Gareth", "Hannah", "Ibrahim", "Jade",
    "Jamal", "Joanne", "Kofi", "Lena", "Liam", "Mariam", "Marek", "Megan", "Mohammed",
    "Nia", "Olu", "Priya", "Rhys", "Rosa", "Sam", "Sana", "Siobhan", "Tariq", "Tom",
    "Yusuf", "Zofia",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Ali", "Begum", "Bennett", "Campbell", "Chowdhury", "Davies", "Edwards",
    "Evans", "Francis", "Gill", "Griffiths", "Hughes", "Iqbal", "Jackson", "Jones", "Kaur",
    "Khan", "Kowalski", "Lewis", "MacLeod", "Mensah", "Murphy", "Nowak", "Obi", "O'Brien",
    "Okeke", "Patel", "Price", "Rahman", "Roberts", "Santos", "Shah", "Singh", "Taylor",
    "Thomas", "Walker", "Williams", "Wright", "Zhang",
)  # fmt: skip
LOCALITIES = (
    "Riverside", "Northgate", "Hillcrest", "Eastfield", "Westbrook", "Southmead", "Oakwood",
    "Millbrook", "Harbourside", "Kingsmead", "Ashford Vale", "Longmoor",
)  # fmt: skip
SERVICES = (
    "Home care", "Reablement", "Residential care", "Day services", "Supported living",
    "Night care", "Learning disability services", "Mental health support", "Dementia care",
    "Extra care housing", "Hospital discharge", "Shared lives",
)  # fmt: skip
SET_COHORTS = (
    "new supervisors", "registered managers", "first-year social workers", "team leaders",
    "practice educators", "senior carers", "occupational therapists",
)  # fmt: skip
ROOMS = ("Room 1", "Room 2", "The training room", "The quiet room", "Meeting room B")

# The shared vocabulary, as record_themes would store it (lower case), including the
# normal demo's themes. A theme rises or falls over the years, or holds steady.
THEMES: dict[str, str] = {
    "workload": "rising",
    "burnout": "rising",
    "cost of living": "rising",
    "recruitment and retention": "rising",
    "managing risk": "steady",
    "safeguarding": "steady",
    "feeling heard": "steady",
    "recognition": "steady",
    "team trust": "falling",
    "conflict in the team": "falling",
    "covid recovery": "falling",
    "peer support": "steady",
    "night shifts": "steady",
    "sleep and rest": "steady",
    "supervision": "falling",
    "new starters": "rising",
    "grief and loss": "steady",
    "racism at work": "steady",
}
# Themes that tend to come up together in one session.
PAIRS = (
    ("burnout", "workload"),
    ("night shifts", "sleep and rest"),
    ("managing risk", "safeguarding"),
    ("feeling heard", "recognition"),
    ("team trust", "conflict in the team"),
    ("recruitment and retention", "new starters"),
    ("cost of living", "workload"),
    ("supervision", "feeling heard"),
)
ACTION_TEXTS = (
    "Ask my manager for protected time for supervision",
    "Talk to the family about what matters most to them before the review",
    "Try a reflective supervision with one new starter",
    "Write down what makes a handover feel safe, to share next time",
    "Book a conversation with the safeguarding lead about the referral",
    "Shadow a colleague on the night shift to see the pressure points",
    "Draft a one-page guide for agency staff and test it with two of them",
    "Ask the team what one change would make rotas fairer",
    "Find out who else in the organisation has solved this and ask them",
    "Say no to one extra task this month and notice what happens",
    "Keep a note of moments I felt heard, and bring it back",
    "Raise the staffing gap at the next managers' meeting, with the figures",
)
REVIEW_NOTES = (
    "Done, and it helped more than expected",
    "Started; carrying it over",
    "No longer the right thing to do",
    "Partly done: the conversation happened, the change has not yet",
    "",
    "",
)
THREAD_TITLES = (
    "What helps you switch off after a shift?",
    "Ideas for our next session",
    "Handovers that work",
    "Dealing with a difficult week",
    "Has anyone tried a different rota pattern?",
    "Resources on managing risk positively",
    "Feeling stretched: how are you all doing?",
    "Good news to share",
    "Welcoming new starters",
    "Speaking up when something feels wrong",
    "Books and podcasts that helped",
    "After the restructure",
)
POST_BODIES = (
    "Thanks for starting this. I've been thinking about it since our last session.",
    "Same for me. A short walk before I go home makes a real difference.",
    "I found it hard to say this in the room, so I'm writing it here instead.",
    "Could we give this some time at the next session? I'll suggest it to the facilitator.",
    "We tried this on our unit and it worked better than I thought it would.",
    "I hear you. You're not the only one feeling this way.",
    "Our manager agreed to look at it after we raised it together.",
    "Worth reading: the briefing's section on compassionate leadership says a lot about this.",
    "It helped to know others felt the same after that week.",
    "I'd like to hear how others handle this with families.",
    "Writing it down helped me leave it at work.",
    "Can we keep this in the group? It's a sensitive one for me.",
)

_WEEKDAY_START = {
    "peer_support": ("10:30", "13:00", "14:00", "19:00"),
    "staff_network": ("12:30", "18:00", "18:30"),
    "reflective_forum": ("13:00", "15:30"),
    "action_learning": ("09:30", "10:00", "13:30"),
}
_MINUTES = {
    "peer_support": (60, 90, 90),
    "staff_network": (60, 90),
    "reflective_forum": (60, 90),
    "action_learning": (120, 150, 180),
}


@dataclass(frozen=True)
class ScaleSummary:
    """Rows written, per table."""

    users: int = 0
    email_preferences: int = 0
    groups: int = 0
    memberships: int = 0
    meetings: int = 0
    agenda_items: int = 0
    rsvps: int = 0
    attendance: int = 0
    facilitation_turns: int = 0
    swap_requests: int = 0
    themes: int = 0
    meeting_themes: int = 0
    actions: int = 0
    forum_threads: int = 0
    forum_posts: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


_SUMMARY_FIELD = {
    User: "users",
    ReminderPreference: "email_preferences",
    Group: "groups",
    Membership: "memberships",
    Meeting: "meetings",
    AgendaItem: "agenda_items",
    Rsvp: "rsvps",
    Attendance: "attendance",
    FacilitationTurn: "facilitation_turns",
    SwapRequest: "swap_requests",
    MeetingTheme: "meeting_themes",
    Action: "actions",
    ForumThread: "forum_threads",
    ForumPost: "forum_posts",
}

# The columns written for each table, in the order rows are given. Parents come before
# their children, which is the order buffers are written in.
_COLUMNS: dict[type[Table], tuple[str, ...]] = {
    User: ("id", "email", "display_name", "password_hash", "role", "timezone", "created_at"),
    ReminderPreference: ("user", "kind", "setting"),
    Group: (
        "id", "kind", "network", "name", "purpose", "visibility", "join_policy", "member_list",
        "capacity", "term_starts", "term_ends", "meets", "ground_rules", "facilitation",
        "discreet", "timezone", "created_at", "schedule_rule", "schedule_first_date",
        "schedule_time", "schedule_minutes", "place", "online_link", "step_free",
        "hearing_loop", "captions", "quiet_room", "status", "closing_review_at",
        "closing_review_note", "ended_at", "closing_prompted_at", "anonymous_posts",
    ),
    Membership: (
        "group", "user", "role", "status", "joined_at", "left_at", "accepted_rules_version",
        "opted_out_of_leading",
    ),
    Meeting: (
        "id", "group", "occurrence_key", "starts_at", "ends_at", "place", "online_link",
        "step_free", "hearing_loop", "captions", "quiet_room", "status", "facilitator",
        "sequence", "attendance_recorded", "created_at",
    ),
    AgendaItem: ("meeting", "position", "kind", "title", "minutes", "prompt", "phases"),
    Rsvp: ("meeting", "user", "answer", "answered_at"),
    Attendance: ("meeting", "user"),
    MeetingTheme: ("meeting", "theme"),
    FacilitationTurn: ("meeting", "member", "role", "origin", "covered_for", "note"),
    SwapRequest: (
        "meeting", "role", "requester", "kind", "status", "taken_by", "created_at", "taken_at",
    ),
    Action: (
        "group", "meeting", "owner", "text", "status", "review_note", "created_at",
        "reviewed_at",
    ),
    ForumThread: ("id", "group", "title", "pinned", "created_at", "last_post_at"),
    ForumPost: ("thread", "author", "anonymous", "body", "created_at"),
}  # fmt: skip


class _Bulk:
    """Rows buffered per table and written as multi-row INSERTs, parents before children."""

    def __init__(self) -> None:
        self.buffers: dict[type[Table], list[tuple[Any, ...]]] = {t: [] for t in _COLUMNS}
        self.written: Counter[type[Table]] = Counter()
        self.full = False

    def add(self, table: type[Table], *row: Any) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= _rows_per_statement(table):
            self.full = True

    async def flush(self) -> None:
        for table, rows in self.buffers.items():
            step = _rows_per_statement(table)
            for at in range(0, len(rows), step):
                await _insert(table, rows[at : at + step])
            self.written[table] += len(rows)
            rows.clear()
        self.full = False


@cache
def _rows_per_statement(table: type[Table]) -> int:
    return max(1, PARAMETERS_PER_STATEMENT // len(_COLUMNS[table]))


@cache
def _insert_sql(table: type[Table], rows: int) -> str:
    columns = _COLUMNS[table]
    # Piccolo's raw queries take {} for each value and bind them, as ? or $n.
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    # Only table and column names from the code are formatted in; every value is bound.
    into = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES '  # noqa: S608
    return into + ", ".join([one] * rows)


async def _insert(table: type[Table], rows: list[tuple[Any, ...]]) -> None:
    await table.raw(_insert_sql(table, len(rows)), *[v for row in rows for v in row])


class _Ids:
    """Ids for new rows, known before they are written so children can refer to them.

    PostgreSQL hands them out from each table's own sequence, so nothing else writing at
    the same time can collide. SQLite needs no sequence: every write transaction here holds
    the database's one write lock (BEGIN IMMEDIATE), so nobody else inserts meanwhile.
    """

    def __init__(self) -> None:
        self.next_free: dict[type[Table], int] = {}

    async def take(self, table: type[Table], count: int) -> list[int]:
        if count == 0:
            return []
        name = table._meta.tablename
        if is_postgres(table):
            rows = await table.raw(
                f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) AS id "  # noqa: S608
                "FROM generate_series(1, {})",
                count,
            )
            return sorted(row["id"] for row in rows)
        if table not in self.next_free:
            rows = await table.raw(f'SELECT COALESCE(MAX(id), 0) AS top FROM "{name}"')  # noqa: S608
            self.next_free[table] = rows[0]["top"] + 1
        first = self.next_free[table]
        self.next_free[table] = first + count
        return list(range(first, first + count))


def staff_email(n: int) -> str:
    return f"staff{n:04d}@{EMAIL_DOMAIN}"


async def scale_seeded() -> bool:
    """Whether a synthetic organisation is already there: one lookup on a unique index."""
    return bool(await User.exists().where(User.email == staff_email(1)))


async def seed_scale(
    now: datetime, *, staff: int, groups: int, years: float, seed: int = 7
) -> ScaleSummary:
    """Write a synthetic organisation of `staff` people in `groups` groups, `years` deep.

    It must not be there already (see seed_scale_once).
    """
    summary = await seed_scale_once(now, staff=staff, groups=groups, years=years, seed=seed)
    if summary is None:
        raise ValueError("A synthetic organisation is already in this database.")
    return summary


async def seed_scale_once(
    now: datetime, *, staff: int, groups: int, years: float, seed: int = 7
) -> ScaleSummary | None:
    """As seed_scale, or None, writing nothing, when the organisation is already there."""
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware.")
    if staff < 10 or groups < 1 or years <= 0:
        raise ValueError("Ask for at least 10 staff, one group and some time.")
    if await scale_seeded():
        return None
    await sync_prompt_banks()
    # One hash for everyone: each Argon2 hash takes a good fraction of a second.
    shared_hash = await hash_password(DEMO_PASSWORD)
    async with write_transaction():
        # Asked again inside the transaction: on SQLite it holds the write lock, so a second
        # run waits and then finds the first run's rows; on PostgreSQL a run that races this
        # one fails on the unique email and writes nothing.
        if await scale_seeded():
            return None
        plan = _Organisation(now.astimezone(UTC), staff, groups, years, random.Random(seed))  # noqa: S311
        summary = await plan.write(shared_hash)
    if isinstance(User._meta.db, PostgresEngine):
        # Half a million rows at once: without fresh statistics the planner guesses at
        # tiny tables until autovacuum catches up, and picks slow plans meanwhile.
        await User.raw("ANALYZE")
    return summary


@dataclass
class _Member:
    user: int
    joined: datetime
    left: datetime | None
    convenor: bool
    opted_out: bool
    # How readily they attend, and how often the rota lands on them (0: never).
    keenness: float
    lead_weight: float
    # Nobody leads for the first time alone: they shadow first, unless they led elsewhere.
    may_lead: bool

    def active_at(self, moment: datetime) -> bool:
        return self.joined <= moment and (self.left is None or self.left > moment)


@dataclass
class _Set:
    """An action learning set's term, and the members who might carry on into the next."""

    starts: date
    ends: date
    members: list[int] = field(default_factory=list)


class _Organisation:
    def __init__(
        self, now: datetime, staff: int, groups: int, years: float, rng: random.Random
    ) -> None:
        self.now = now
        self.start = now - timedelta(days=round(365.25 * years))
        self.staff = staff
        self.group_count = groups
        self.rng = rng
        self.zone = ZoneInfo(TIMEZONE)
        self.bulk = _Bulk()
        self.ids = _Ids()
        self.names: set[str] = set()
        self.networks = 0
        self.users: list[int] = []
        self.themes: dict[str, int] = {}
        self.themes_written = 0
        self.tool3: dict[int, int] = {}
        self.other_prompts: list[int] = []
        # Sets whose term has ended and which may be followed by another.
        self.ended_sets: list[_Set] = []

    @property
    def span(self) -> timedelta:
        return self.now - self.start

    async def write(self, shared_hash: str) -> ScaleSummary:
        await self._vocabulary()
        await self._users(shared_hash)
        for kind in self._kinds():
            await self._group(kind)
        await self.bulk.flush()
        counts = {_SUMMARY_FIELD[t]: n for t, n in self.bulk.written.items()}
        return ScaleSummary(**counts, themes=self.themes_written)

    async def _vocabulary(self) -> None:
        made = (
            await Theme.insert(*[Theme(name=name) for name in THEMES])
            .on_conflict(action="DO NOTHING")
            .returning(Theme.id)
        )
        self.themes_written = len(made)
        rows = await Theme.select(Theme.id, Theme.name).where(Theme.name.is_in(list(THEMES)))
        self.themes = {row["name"]: row["id"] for row in rows}
        prompts = await Prompt.select(Prompt.id, Prompt.bank, Prompt.number).where(
            Prompt.retired.eq(False)
        )
        self.tool3 = {p["number"]: p["id"] for p in prompts if p["bank"] == "tool3"}
        # What a facilitator may put in place of a Tool 3 question (see pick_prompt).
        self.other_prompts = sorted(
            p["id"] for p in prompts if p["bank"] in ("tool1", "nussbaum", "caring_conversations")
        )

    async def _users(self, shared_hash: str) -> None:
        rng = self.rng
        self.users = await self.ids.take(User, self.staff)
        for n, user_id in enumerate(self.users, start=1):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            joined = self.start - timedelta(days=rng.randint(1, 400))
            self.bulk.add(
                User, user_id, staff_email(n), name, shared_hash, "member", TIMEZONE, joined
            )
            # Synthetic people read no email: a large demo's first job run would otherwise
            # print thousands of reminders. In-app notifications still appear.
            for kind in REMINDER_KINDS:
                self.bulk.add(ReminderPreference, user_id, kind, "off")
            if self.bulk.full:
                await self.bulk.flush()

    def _kinds(self) -> list[str]:
        # One of each kind first, so that even a tiny organisation has every kind.
        order = list(KINDS)
        extra = self.rng.choices(order, weights=(40, 22, 20, 18), k=max(0, self.group_count - 4))
        return (order + extra)[: self.group_count]

    def _unique_name(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.names:
            candidate, n = f"{name} ({n})", n + 1
        self.names.add(candidate)
        return candidate

    def _local_start(self, moment: datetime) -> date:
        day = moment.astimezone(self.zone).date()
        # Groups meet on weekdays.
        return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day

    async def _group(self, kind: str) -> None:
        rng = self.rng
        (group_id,) = await self.ids.take(Group, 1)
        succeeding: _Set | None = None
        term: _Set | None = None
        if kind == "action_learning":
            succeeding, term = self._term()
            first_day = term.starts
        elif rng.random() < 0.8:
            # Most groups were running when the period began; the rest started since.
            first_day = self._local_start(self.start + timedelta(days=rng.randint(0, 20)))
        else:
            latest = max(0, (self.span - timedelta(weeks=6)).days)
            first_day = self._local_start(self.start + timedelta(days=rng.randint(0, latest)))
        local_start = rng.choice(_WEEKDAY_START[kind])
        minutes = rng.choice(_MINUTES[kind])
        schedule = Schedule(
            rule="every_2_weeks",
            first_date=first_day,
            local_start=time.fromisoformat(local_start),
            minutes=minutes,
            timezone=TIMEZONE,
        )
        opening = datetime.combine(first_day, time(0), self.zone)
        created = opening - timedelta(days=rng.randint(7, 30))
        network = ""
        small = False
        if kind == "staff_network":
            network = rng.choice(list(NETWORKS))
            # The first network, and about a quarter of the rest, are too small for their
            # count to be shown (see SUPPRESS_BELOW).
            small = self.networks == 0 or rng.random() < 0.25
            self.networks += 1
        name = self._name(kind, network)

        # The meetings: fortnightly from the first, up to now plus the next couple.
        occurrence_budget = int(self.span.days / 14) + 2 * FUTURE_MEETINGS + 4
        times = [
            (s, e)
            for s, e in occurrences(schedule, opening - timedelta(seconds=1), occurrence_budget)
            if term is None or s.astimezone(self.zone).date() <= term.ends
        ]
        past = [t for t in times if t[1] <= self.now]
        future = [t for t in times if t[0] > self.now][:FUTURE_MEETINGS]
        ended = term is not None and term.ends < self.now.astimezone(self.zone).date()
        if ended:
            future = []
        times = past + future

        members = self._members(kind, small, created, term, succeeding)
        if term is not None:
            term.members = [m.user for m in members if m.left is None]
            if ended:
                self.ended_sets.append(term)

        capacity = None
        if kind == "action_learning":
            seated = sum(1 for m in members if m.left is None)
            capacity = rng.randint(max(4, seated), 8)
        meets = rng.choices(("in_person", "online", "hybrid"), weights=(5, 3, 2))[0]
        place = (
            ""
            if meets == "online"
            else f"{rng.choice(ROOMS)}, {rng.choice(LOCALITIES)} Resource Centre"
        )
        link = "" if meets == "in_person" else f"https://meet.example.org/rt-{group_id}"
        access = (
            rng.random() < 0.8,
            meets != "online" and rng.random() < 0.6,
            meets != "in_person" and rng.random() < 0.7,
            rng.random() < 0.3,
        )
        closing_review_at = ended_at = prompted_at = None
        closing_note = ""
        if ended and past:
            closing_review_at = past[-1][1]
            ended_at = closing_review_at + timedelta(days=rng.randint(1, 10))
            closing_note = "We met our aims for the year and agreed to keep meeting informally."
        today = self.now.astimezone(self.zone).date()
        if term is not None and (ended or term.ends - timedelta(weeks=4) <= today):
            prompted_at = datetime.combine(term.ends - timedelta(weeks=4), time(9), self.zone)
        anonymous_posts = kind in ("staff_network", "reflective_forum") or rng.random() < 0.2
        self.bulk.add(
            Group,
            group_id,
            kind,
            network,
            name,
            _PURPOSES[kind],
            "unlisted" if rng.random() < 0.1 else "listed",
            {
                "staff_network": "open",
                "reflective_forum": "open",
                # Half the sets recruit through the directory (and so appear in organisers'
                # insights); the rest are by invitation and stay private to their members.
                "action_learning": "request" if group_id % 2 else "invitation",
            }.get(kind, "request"),
            "officers" if kind == "staff_network" else "members",
            capacity,
            term.starts if term else None,
            term.ends if term else None,
            meets,
            ground_rules_for(kind),
            {"reflective_forum": "panel", "action_learning": "fixed_adviser"}.get(kind, "rotating"),
            kind == "staff_network" and rng.random() < 0.5,
            TIMEZONE,
            created,
            "every_2_weeks",
            first_day,
            local_start,
            minutes,
            place,
            link,
            *access,
            "ended" if ended else "active",
            closing_review_at,
            closing_note,
            ended_at,
            prompted_at,
            anonymous_posts,
        )
        for m in members:
            self.bulk.add(
                Membership,
                group_id,
                m.user,
                "convenor" if m.convenor else "member",
                "active" if m.left is None else "left",
                m.joined,
                m.left,
                1,
                m.opted_out,
            )
        await _Meetings(self, group_id, kind, members, times, access, place, link, created).write()
        await self._forum(group_id, members, created, anonymous_posts)

    def _name(self, kind: str, network: str) -> str:
        rng = self.rng
        place = rng.choice(LOCALITIES)
        if kind == "peer_support":
            name = f"{rng.choice(SERVICES)} peer support, {place}"
        elif kind == "staff_network":
            name = f"{_NETWORK_NAMES.get(network, NETWORKS[network])}, {place}"
        elif kind == "reflective_forum":
            name = f"Reflective forum: {rng.choice(SERVICES).lower()}, {place}"
        else:
            name = f"Action learning set for {rng.choice(SET_COHORTS)}, {place}"
        return self._unique_name(name)

    def _term(self) -> tuple[_Set | None, _Set]:
        """The next set's term: following one that has ended, or starting a new line."""
        rng = self.rng
        today = self.now.astimezone(self.zone).date()
        while self.ended_sets:
            before = self.ended_sets.pop(0)
            starts = self._local_start(
                datetime.combine(before.ends + timedelta(days=rng.randint(14, 42)), time(12))
            )
            if starts < today - timedelta(weeks=4):
                return before, _Set(starts, add_months(starts, rng.choice((9, 10, 12))))
        room = max(0, min(56, self.span.days // 4))
        starts = self._local_start(self.start + timedelta(days=rng.randint(0, room)))
        return None, _Set(starts, add_months(starts, rng.choice((9, 10, 12))))

    def _members(
        self,
        kind: str,
        small: bool,
        created: datetime,
        term: _Set | None,
        succeeding: _Set | None,
    ) -> list[_Member]:
        rng = self.rng
        if small:
            active, leavers = rng.randint(3, 4), 0
        elif kind == "action_learning":
            active = rng.randint(4, 8)
            leavers = 1 if rng.random() < 0.15 else 0
        else:
            active = int(rng.triangular(8, 30, 14))
            leavers = round(active * 0.15 / 0.85 * rng.uniform(0.5, 1.5))
        total = min(active + leavers, len(self.users))
        carried = [u for u in (succeeding.members if succeeding else []) if rng.random() < 0.3]
        carried = carried[: max(0, total - 1)]
        chosen = carried + [
            u for u in rng.sample(self.users, min(len(self.users), total + len(carried)))
            if u not in carried
        ][: total - len(carried)]  # fmt: skip
        founders = max(2, round(total * (1.0 if term else 0.55)))
        convenors = 1 if total < 6 or rng.random() < 0.6 else 2
        members = []
        life = self.now - created
        for n, user in enumerate(chosen):
            convenor = n < convenors
            if n < founders:
                joined = created + timedelta(hours=rng.randint(0, 6 * 24))
            else:
                joined = created + life * rng.random()
            members.append(
                _Member(
                    user=user,
                    joined=joined,
                    left=None,
                    convenor=convenor,
                    opted_out=not convenor and rng.random() < 0.08,
                    keenness=rng.uniform(0.6, 1.3),
                    lead_weight=3.0 if convenor else rng.choice((0.0, 0.3, 1.0, 1.0, 2.5)),
                    may_lead=convenor or rng.random() < 0.15,
                )
            )
        # Leavers are never convenors, and stayed at least four weeks.
        candidates = [m for m in members if not m.convenor]
        for m in rng.sample(candidates, min(leavers, len(candidates))):
            stayed = self.now - m.joined - timedelta(weeks=4)
            if stayed > timedelta(0):
                m.left = m.joined + timedelta(weeks=4) + stayed * rng.random()
        return members

    async def _forum(
        self, group_id: int, members: list[_Member], created: datetime, anonymous: bool
    ) -> None:
        rng = self.rng
        count = rng.randint(1, 6)
        thread_ids = await self.ids.take(ForumThread, count)
        life = (self.now - created).total_seconds()
        for n, thread_id in enumerate(thread_ids):
            opened = created + timedelta(seconds=life * rng.random() * 0.97)
            at = opened
            posts = []
            for _ in range(rng.randint(1, 8)):
                if at > self.now:
                    break
                here = [m for m in members if m.active_at(at)] or members[:1]
                posts.append((rng.choice(here).user, anonymous and rng.random() < 0.4, at))
                at += timedelta(minutes=rng.randint(20, 3 * 24 * 60))
            title = "Welcome: how we use this forum" if n == 0 else rng.choice(THREAD_TITLES)
            self.bulk.add(
                ForumThread, thread_id, group_id, title, n == 0 and rng.random() < 0.3, opened,
                posts[-1][2],
            )  # fmt: skip
            for author_id, anon, when in posts:
                self.bulk.add(ForumPost, thread_id, author_id, anon, rng.choice(POST_BODIES), when)
        if self.bulk.full:
            await self.bulk.flush()


_NETWORK_NAMES = {"custom": "Neurodivergent staff network"}
_PURPOSES = {
    "peer_support": "Colleagues meeting every fortnight to support each other, with the "
    "facilitator's role passed round the group.",
    "staff_network": "A network for staff who share an experience, and their allies: peer "
    "support and a voice into the organisation.",
    "reflective_forum": "A panel shares stories from practice, then we reflect together. Not a "
    "space to solve problems.",
    "action_learning": "A small set meeting over a fixed term, taking turns to present a "
    "challenge and be asked good questions.",
}


@cache
def _draft(kind: str, minutes: int) -> tuple[agendas.ItemDraft, ...]:
    return tuple(agendas.draft_agenda(kind, minutes))


def _phases_text(phases: tuple[tuple[str, int], ...]) -> str:
    return "\n".join(f"{name}={minutes}" for name, minutes in phases)


def _weighted_pick(rng: random.Random, people: Sequence[_Member], weights: list[float]) -> _Member:
    return rng.choices(people, weights=weights)[0]


def _trend(kind: str, progress: float) -> float:
    if kind == "rising":
        return 0.2 + 2.4 * progress
    if kind == "falling":
        return 2.6 - 2.4 * progress
    return 1.0


class _Meetings:
    """One group's meetings and everything recorded at them, in date order."""

    def __init__(
        self,
        org: _Organisation,
        group_id: int,
        kind: str,
        members: list[_Member],
        times: list[tuple[datetime, datetime]],
        access: tuple[bool, bool, bool, bool],
        place: str,
        link: str,
        created: datetime,
    ) -> None:
        self.org = org
        self.rng = org.rng
        self.group_id = group_id
        self.kind = kind
        self.members = members
        self.times = times
        self.access = access
        self.place = place
        self.link = link
        self.created = created
        rng = self.rng
        self.turnout = rng.uniform(0.5, 0.8)
        self.favourites = rng.sample(list(THEMES), 3)
        # Some facilitators keep steering towards one lens, or bring in another bank.
        self.steer = rng.choice(list(prompt_rotation.LENSES)) if rng.random() < 0.3 else None
        self.other_banks = rng.random() < 0.2
        self.history: list[int] = []
        self.last_lead: int | None = None
        # An exchange: the helper's next lead goes to the person they helped.
        self.owed: dict[int, int] = {}
        self.presented: Counter[int] = Counter()

    async def write(self) -> None:
        org, rng = self.org, self.rng
        ids = await org.ids.take(Meeting, len(self.times))
        held: list[tuple[int, datetime, datetime, int | None]] = []  # for actions
        for meeting_id, (starts, ends) in zip(ids, self.times, strict=True):
            is_past = ends <= org.now
            cancelled = rng.random() < (0.05 if is_past else 0.03)
            local_day = starts.astimezone(org.zone).date().isoformat()
            lead = presenter = None
            came: set[int] = set()
            if not cancelled:
                lead, presenter, came = self._turns(meeting_id, starts, is_past)
            org.bulk.add(
                Meeting,
                meeting_id,
                self.group_id,
                f"{self.group_id}:{local_day}",
                starts,
                ends,
                self.place,
                self.link,
                *self.access,
                "cancelled" if cancelled else "scheduled",
                lead,
                1 if cancelled else 0,
                is_past and not cancelled,
                min(org.now, max(self.created, starts - timedelta(weeks=8))),
            )
            self._agenda(meeting_id, starts, ends, cancelled)
            self._rsvps(meeting_id, starts, is_past and not cancelled, came)
            if is_past and not cancelled:
                self._themes(meeting_id, starts)
                if self.kind == "action_learning":
                    held.append((meeting_id, starts, ends, presenter))
            if org.bulk.full:
                await org.bulk.flush()
        self._actions(held)

    def _active(self, at: datetime) -> list[_Member]:
        return [m for m in self.members if m.active_at(at)]

    def _turns(
        self, meeting_id: int, starts: datetime, is_past: bool
    ) -> tuple[int, int | None, set[int]]:
        """Who leads (and shadows, co-facilitates, presents), and who came."""
        rng, bulk = self.rng, self.org.bulk
        active = self._active(starts)
        ready = [m for m in active if m.may_lead and not m.opted_out]
        if not ready:
            ready = [m for m in active if m.convenor] or active
        if self.kind == "action_learning" and rng.random() < 0.85:
            # A set adviser facilitates; others step in now and then.
            planned = next((m for m in ready if m.convenor), ready[0])
        else:
            weights = [
                (m.lead_weight or 0.01) * (0.2 if m.user == self.last_lead else 1.0) for m in ready
            ]
            planned = _weighted_pick(rng, ready, weights)
        lead, origin, covered_for, note = planned, "rota", None, ""
        owed_to = self.owed.pop(planned.user, None)
        giving_back = next((m for m in ready if m.user == owed_to), None)
        others = [m for m in ready if m is not planned]
        away: _Member | None = None
        if giving_back is not None:
            lead, origin = giving_back, "swap"
        elif others and is_past:
            roll = rng.random()
            helper = _weighted_pick(rng, others, [m.lead_weight + 0.1 for m in others])
            asked = starts - timedelta(days=rng.randint(2, 12))
            if roll < 0.05:
                lead, origin, covered_for, away = helper, "cover", planned.user, planned
                self._swap(meeting_id, planned, "cover", "taken", asked, helper)
            elif roll < 0.06:
                lead, origin, away = helper, "override", planned
                note = "Arranged at the last session."
            elif roll < 0.09:
                lead, origin = helper, "swap"
                self.owed[helper.user] = planned.user
                self._swap(meeting_id, planned, "exchange", "taken", asked, helper)
            elif roll < 0.105:
                self._swap(
                    meeting_id, planned, rng.choice(("cover", "exchange")), "withdrawn", asked
                )
        elif others and rng.random() < 0.1:
            self._swap(meeting_id, planned, "cover", "open", self.org.now - timedelta(days=2))
        self.last_lead = lead.user
        bulk.add(FacilitationTurn, meeting_id, lead.user, "lead", origin, covered_for, note)
        present = [lead]
        newcomers = [
            m
            for m in active
            if not m.may_lead and not m.opted_out and m.lead_weight > 0 and m is not lead
        ]
        if newcomers and rng.random() < 0.5:
            shadow = newcomers[0]
            shadow.may_lead = True
            present.append(shadow)
            bulk.add(FacilitationTurn, meeting_id, shadow.user, "shadow", "rota", None, "")
        wants_co = self.kind == "reflective_forum" or rng.random() < 0.08
        co_options = [m for m in ready if m not in present and m is not away]
        if wants_co and co_options:
            co = rng.choice(co_options)
            present.append(co)
            bulk.add(FacilitationTurn, meeting_id, co.user, "co", "rota", None, "")
        presenter = None
        if self.kind == "action_learning":
            options = [m for m in active if m not in present and m is not away] or [lead]
            chosen = min(options, key=lambda m: (self.presented[m.user], rng.random()))
            self.presented[chosen.user] += 1
            presenter = chosen.user
            present.append(chosen)
            bulk.add(FacilitationTurn, meeting_id, chosen.user, "presenter", "rota", None, "")
        came = self._attendance(meeting_id, active, present, away) if is_past else set()
        return lead.user, presenter, came

    def _swap(
        self,
        meeting_id: int,
        requester: _Member,
        kind: str,
        status: str,
        asked: datetime,
        taker: _Member | None = None,
    ) -> None:
        taken_at = asked + timedelta(hours=self.rng.randint(1, 48)) if taker else None
        self.org.bulk.add(
            SwapRequest,
            meeting_id,
            "lead",
            requester.user,
            kind,
            status,
            taker.user if taker else None,
            asked,
            taken_at,
        )

    def _attendance(
        self,
        meeting_id: int,
        active: list[_Member],
        present: list[_Member],
        away: _Member | None,
    ) -> set[int]:
        rng = self.rng
        share = min(0.9, max(0.4, self.turnout + rng.gauss(0, 0.08)))
        wanted = max(len(present), round(len(active) * share))
        came = {m.user for m in present}
        # The keenest come most often: sort by a random key weighted by keenness.
        rest = sorted(
            (m for m in active if m.user not in came and m is not away),
            key=lambda m: rng.random() ** (1 / m.keenness),
            reverse=True,
        )
        for m in rest[: max(0, wanted - len(came))]:
            came.add(m.user)
        for user in sorted(came):
            self.org.bulk.add(Attendance, meeting_id, user)
        return came

    def _rsvps(self, meeting_id: int, starts: datetime, held: bool, came: set[int]) -> None:
        rng, bulk, now = self.rng, self.org.bulk, self.org.now
        opened = max(self.created, starts - timedelta(weeks=8))
        if held:
            for m in self._active(starts):
                roll = rng.random()
                if m.user in came:
                    answer = None if roll < 0.2 else ("maybe" if roll < 0.28 else "going")
                else:
                    # "Going" and then not there: the no-shows organisers ask about.
                    answer = "going" if roll < 0.12 else "no" if roll < 0.37 else None
                    answer = "maybe" if answer is None and roll < 0.45 else answer
                if answer:
                    at = starts - timedelta(minutes=rng.randint(60, 10 * 24 * 60))
                    bulk.add(Rsvp, meeting_id, m.user, answer, max(opened, at))
            return
        for m in self._active(min(starts, now)):
            roll = rng.random()
            answer = (
                "going" if roll < 0.3 else "maybe" if roll < 0.38 else "no" if roll < 0.45 else None
            )
            if answer:
                seconds = max(0.0, (min(now, starts) - opened).total_seconds())
                bulk.add(
                    Rsvp,
                    meeting_id,
                    m.user,
                    answer,
                    opened + timedelta(seconds=seconds * rng.random()),
                )

    def _agenda(self, meeting_id: int, starts: datetime, ends: datetime, cancelled: bool) -> None:
        rng, org = self.rng, self.org
        minutes = int((ends - starts).total_seconds() // 60)
        drafts = _draft(self.kind, minutes)
        slots = [n for n, d in enumerate(drafts) if d.prompt_lens is not None]
        prompt_for: dict[int, int] = {}
        if slots:
            # As the app drafts it: the next questions in the group's Tool 3 rotation.
            chosen = prompt_rotation.next_questions(self.history, len(slots))
            chosen.sort(key=lambda q: prompt_rotation.LENS_OF[q] != "self")
            if self.steer and rng.random() < 0.4:
                # A swap the rotation can't make is one the facilitator didn't make.
                with suppress(ValueError):
                    chosen[-1] = prompt_rotation.swap(self.history, chosen, chosen[-1], self.steer)
            prompt_for = {slot: org.tool3[q] for slot, q in zip(slots, chosen, strict=False)}
            tool3_numbers = list(chosen)
            if self.other_banks and org.other_prompts and rng.random() < 0.3:
                prompt_for[slots[-1]] = rng.choice(org.other_prompts)
                tool3_numbers = tool3_numbers[:-1]
            if not cancelled:
                self.history.extend(tool3_numbers)
        for position, d in enumerate(drafts):
            org.bulk.add(
                AgendaItem,
                meeting_id,
                position,
                d.kind,
                d.title,
                d.minutes,
                prompt_for.get(position),
                _phases_text(d.phases),
            )

    def _themes(self, meeting_id: int, starts: datetime) -> None:
        rng, org = self.rng, self.org
        progress = (starts - org.start) / org.span if org.span else 1.0
        names = list(THEMES)
        weights = [
            _trend(THEMES[n], progress) * (2.0 if n in self.favourites else 1.0) for n in names
        ]
        count = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
        chosen: list[str] = []
        while len(chosen) < count:
            partners = [b if a in chosen else a for a, b in PAIRS if (a in chosen) != (b in chosen)]
            if chosen and partners and rng.random() < 0.6:
                pick = rng.choice(partners)
            else:
                pick = rng.choices(names, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        for name in sorted(chosen):
            org.bulk.add(MeetingTheme, meeting_id, org.themes[name])

    def _actions(self, held: list[tuple[int, datetime, datetime, int | None]]) -> None:
        rng, bulk = self.rng, self.org.bulk
        for n, (meeting_id, _starts, ends, presenter) in enumerate(held):
            if presenter is None:
                continue
            review = held[n + 1][1] + timedelta(minutes=20) if n + 1 < len(held) else None
            for text in rng.sample(ACTION_TEXTS, rng.randint(1, 3)):
                status, note, reviewed = "open", "", None
                if review is not None and rng.random() < 0.9:
                    status = rng.choices(("done", "carried_over", "dropped"), weights=(6, 2, 1))[0]
                    note, reviewed = rng.choice(REVIEW_NOTES), review
                bulk.add(
                    Action, self.group_id, meeting_id, presenter, text, status, note, ends, reviewed
                )
