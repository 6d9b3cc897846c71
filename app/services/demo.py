"""Demo data: the people the README lists and a group of each kind.

Running it twice leaves one copy: people are matched by email, groups by name, and
memberships by the (group, person) pair.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from app.db.tables import (
    Action,
    FacilitationTurn,
    ForumAck,
    ForumPost,
    ForumRead,
    ForumReport,
    ForumThread,
    Group,
    Invitation,
    JoinRequest,
    Meeting,
    Membership,
)
from app.domain.groups import add_months, defaults_for
from app.services.accounts import Account, ensure_account
from app.services.meetings import (
    materialise,
    record_attendance,
    record_themes,
    save_schedule,
    set_facilitator,
)
from app.services.membership import create_group
from app.services.passwords import hash_password
from app.services.prompts import sync_prompt_banks
from app.services.rota import plan_rota

DEMO_PASSWORD = "roundtable-demo"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str
    part: str


DEMO_PEOPLE = (
    DemoPerson("alice@example.org", "Alice Ahmed", "member", "convenor"),
    DemoPerson("bob@example.org", "Bob Brown", "member", "member"),
    DemoPerson("carol@example.org", "Carol Clarke", "member", "outsider"),
    DemoPerson("olga@example.org", "Olga Okafor", "organiser", "organiser"),
    DemoPerson("adam@example.org", "Adam Adeyemi", "admin", "admin"),
)

# Colleagues who fill the groups out, so that counts and lists look like a real service.
COLLEAGUES = (
    DemoPerson("dev@example.org", "Dev Patel", "member", "colleague"),
    DemoPerson("erin@example.org", "Erin Evans", "member", "colleague"),
    DemoPerson("femi@example.org", "Femi Adebayo", "member", "colleague"),
    DemoPerson("grace@example.org", "Grace Green", "member", "colleague"),
    DemoPerson("hamid@example.org", "Hamid Hussain", "member", "colleague"),
    DemoPerson("iris@example.org", "Iris Ilori", "member", "colleague"),
)


@dataclass(frozen=True)
class DemoGroup:
    kind: str
    name: str
    purpose: str
    members: tuple[str, ...]  # emails; the first is the convenor
    network: str = ""
    meets: str = "in_person"


DEMO_GROUPS = (
    DemoGroup(
        "peer_support",
        "Night shift peer support",
        "For staff who work nights in residential and home care: a monthly space to talk about "
        "what the work asks of us, and to support each other.",
        ("alice@example.org", "bob@example.org", "dev@example.org", "erin@example.org"),
        meets="hybrid",
    ),
    DemoGroup(
        "staff_network",
        "LGBTQI+ staff network",
        "A network for lesbian, gay, bisexual, trans, queer and intersex staff, and allies.",
        # Convened by colleagues who convene nothing public, so no page an outsider can
        # reach names anyone who belongs to a network.
        ("femi@example.org", "bob@example.org", "dev@example.org"),
        network="lgbtqi",
        meets="online",
    ),
    DemoGroup(
        "staff_network",
        "BME staff network",
        "A network for Black, Asian and minority ethnic staff, and allies: peer support and a "
        "voice into the organisation.",
        (
            "hamid@example.org",
            "bob@example.org",
            "dev@example.org",
            "femi@example.org",
            "erin@example.org",
            "iris@example.org",
        ),
        network="bme",
        meets="hybrid",
    ),
    DemoGroup(
        "reflective_forum",
        "Stories from practice",
        "A monthly reflective forum for all staff: a panel shares stories from practice, then "
        "we reflect together.",
        ("alice@example.org", "grace@example.org", "erin@example.org"),
    ),
    DemoGroup(
        "action_learning",
        "New supervisors' action learning set",
        "For staff in their first year of supervising others.",
        ("alice@example.org", "bob@example.org", "grace@example.org", "hamid@example.org"),
    ),
)


async def seed_demo(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    # Agendas draw on the prompt banks; make sure they are there, whatever ran before.
    await sync_prompt_banks()
    people: dict[str, Account] = {}
    # Everyone shares the published demo password, so one Argon2 hash serves them all
    # (each hash takes a good fraction of a second on a small machine).
    shared_hash = await hash_password(DEMO_PASSWORD)
    for person in DEMO_PEOPLE + COLLEAGUES:
        people[person.email] = await ensure_account(
            person.email, person.name, DEMO_PASSWORD, person.role, password_hash=shared_hash
        )
    for demo in DEMO_GROUPS:
        group_id = await _seed_group(demo, people, now)
        await _seed_sessions(group_id, people[demo.members[0]], demo, now)
    await _seed_extras(people, now)
    await _seed_forum(people, now)
    return len(people)


async def _seed_group(demo: DemoGroup, people: dict[str, Account], now: datetime) -> int:
    existing = await Group.select(Group.id).where(Group.name == demo.name).first()
    if existing:
        group_id: int = existing["id"]
    else:
        settings = defaults_for(demo.kind, now.date())
        settings = replace(settings, name=demo.name, purpose=demo.purpose, meets=demo.meets)
        if demo.kind == "action_learning":
            # Nine months in, with three weeks to go: the closing review is due, so the
            # demo shows the prompt to its members and the review form to its convenor.
            ends = (now + timedelta(weeks=3)).date()
            settings = replace(settings, term_starts=add_months(ends, -9), term_ends=ends)
        if demo.network:
            settings = replace(settings, network=demo.network)
        group_id = await create_group(people[demo.members[0]], settings, "Europe/London", now)
        # The convenor set the group up before its first sessions, as the others joined.
        await Membership.update({Membership.joined_at: now - timedelta(days=61)}).where(
            (Membership.group == group_id) & (Membership.user == people[demo.members[0]].id)
        )
    for n, email in enumerate(demo.members[1:], start=1):
        await Membership.insert(
            Membership(
                group=group_id,
                user=people[email].id,
                joined_at=now - timedelta(days=60 - n),
                accepted_rules_version=1,
            )
        ).on_conflict(action="DO NOTHING")
    return group_id


THEMES = (
    ("workload", "feeling heard", "night shifts"),
    ("managing risk", "team trust"),
    ("burnout", "peer support", "workload"),
    ("recognition", "feeling heard"),
)


async def _seed_sessions(group_id: int, convenor: Account, demo: DemoGroup, now: datetime) -> None:
    """A schedule, past sessions with attendance and themes, and upcoming ones with agendas."""
    group = await Group.select(Group.schedule_rule).where(Group.id == group_id).first()
    start = now - timedelta(weeks=8)
    if group and not group["schedule_rule"]:
        await save_schedule(
            group_id,
            convenor,
            {
                "rule": "every_2_weeks",
                "first_date": start.date().isoformat(),
                "local_start": "18:30" if demo.meets == "online" else "14:00",
                "minutes": "120" if demo.kind == "action_learning" else "90",
                "place": "" if demo.meets == "online" else "Room 2, Riverside Resource Centre",
                "online_link": ""
                if demo.meets == "in_person"
                else "https://meet.example.org/roundtable",
                "step_free": "true",
                "hearing_loop": "true" if demo.meets != "online" else "",
                "captions": "true" if demo.meets != "in_person" else "",
            },
            start - timedelta(days=1),
        )
    await materialise(group_id, now - timedelta(weeks=4))
    await materialise(group_id, now)
    past = (
        await Meeting.select(Meeting.id)
        .where(
            (Meeting.group == group_id)
            & (Meeting.starts_at < now)
            & Meeting.attendance_recorded.eq(False)
        )
        .order_by(Meeting.starts_at)
    )
    members = [
        row["user"]
        for row in await Membership.select(Membership.user).where(
            (Membership.group == group_id) & (Membership.status == "active")
        )
    ]
    for n, row in enumerate(past):
        meeting_id = row["id"]
        facilitator = members[n % len(members)]
        await set_facilitator(meeting_id, convenor, facilitator, now)
        # The second session was covered: its planned lead owes a give-back.
        covered = n == 1 and len(members) > 2
        await FacilitationTurn.insert(
            FacilitationTurn(
                meeting=meeting_id,
                member=facilitator,
                role="lead",
                origin="cover" if covered else "rota",
                covered_for=members[2] if covered else None,
            )
        ).on_conflict(action="DO NOTHING")
        came = members[: max(2, len(members) - n % 2)]
        await record_attendance(meeting_id, convenor, came, now)
        await record_themes(meeting_id, convenor, list(THEMES[n % len(THEMES)]), "", now)
    await plan_rota(group_id, now)


async def _seed_extras(people: dict[str, Account], now: datetime) -> None:
    peer = await Group.select(Group.id).where(Group.name == DEMO_GROUPS[0].name).first()
    als = await Group.select(Group.id).where(Group.name == DEMO_GROUPS[-1].name).first()
    assert peer and als
    # Someone waiting for Alice's answer, so the requests page has something to decide.
    iris = people["iris@example.org"].id
    asked = await JoinRequest.exists().where(
        (JoinRequest.group == peer["id"]) & (JoinRequest.user == iris)
    )
    if not asked:
        await JoinRequest.insert(
            JoinRequest(
                group=peer["id"],
                user=iris,
                message="I've just moved to nights and would value this.",
                accepted_rules_version=1,
                created_at=now,
            )
        )
    await _seed_actions(als["id"], people, now)
    if not await Invitation.exists().where(Invitation.group == als["id"]):
        await Invitation.insert(
            Invitation(
                group=als["id"],
                token=secrets.token_urlsafe(24),
                created_by=people["alice@example.org"].id,
                single_use=False,
                expires_at=datetime.combine(date(2099, 1, 1), datetime.min.time(), UTC),
                created_at=now,
            )
        )


async def _seed_actions(group_id: int, people: dict[str, Account], now: datetime) -> None:
    """Commitments from the set's past sessions: one done, two still open for report-back."""
    if await Action.exists().where(Action.group == group_id):
        return
    past = (
        await Meeting.select(Meeting.id)
        .where((Meeting.group == group_id) & (Meeting.starts_at < now))
        .order_by(Meeting.starts_at)
    )
    if len(past) < 2:
        return
    bob, grace = people["bob@example.org"].id, people["grace@example.org"].id
    await Action.insert(
        Action(
            group=group_id,
            meeting=past[-2]["id"],
            owner=grace,
            text="Ask my manager for protected time for supervision",
            status="done",
            review_note="Agreed: an hour a fortnight",
            created_at=now,
        ),
        Action(
            group=group_id,
            meeting=past[-1]["id"],
            owner=bob,
            text="Try a reflective supervision with one new starter",
            created_at=now,
        ),
        Action(
            group=group_id,
            meeting=past[-1]["id"],
            owner=grace,
            text="Write down what makes a supervision feel safe, to share next time",
            created_at=now,
        ),
    )


@dataclass(frozen=True)
class DemoPost:
    author: str  # an email
    body: str
    anonymous: bool = False
    heard_by: tuple[str, ...] = ()
    # (who reports it, why): left open for the group's convenor to decide.
    reported: tuple[str, str] | None = None


@dataclass(frozen=True)
class DemoThread:
    group: str
    title: str
    days_ago: int
    posts: tuple[DemoPost, ...]
    pinned: bool = False


DEMO_THREADS = (
    DemoThread(
        "Night shift peer support",
        "Welcome: how we use this forum",
        20,
        (
            DemoPost(
                "alice@example.org",
                "This is our space between sessions. A few things that help:\n\n"
                "- *Be kind*, as in the room.\n"
                "- Don't name residents, families or colleagues.\n"
                "- Press **I hear you** when a post speaks to you: it is not a vote.",
                heard_by=("bob@example.org", "erin@example.org"),
            ),
        ),
        pinned=True,
    ),
    DemoThread(
        "Night shift peer support",
        "What helps you wind down after a night shift?",
        3,
        (
            DemoPost(
                "erin@example.org",
                "I get home at 8 and my head is still at work. What do you do to switch off?",
                heard_by=("bob@example.org", "dev@example.org", "alice@example.org"),
            ),
            DemoPost(
                "bob@example.org",
                "A short walk before bed, even in the rain. And no news on my phone.",
                heard_by=("erin@example.org",),
            ),
            DemoPost(
                "dev@example.org",
                "Writing down the one thing that bothered me, so it's on paper and not "
                "in my head. Tried it after our last session.",
                heard_by=("erin@example.org", "alice@example.org"),
            ),
            DemoPost(
                "alice@example.org",
                "Shall we make this the theme for our next session? I'll add it to the agenda.",
            ),
        ),
    ),
    DemoThread(
        "LGBTQI+ staff network",
        "Being out at work: where do you start?",
        5,
        (
            DemoPost(
                "bob@example.org",
                "I've never said anything at work. Some days I'd like to, "
                "but I don't know how people would take it.",
                anonymous=True,
                heard_by=("dev@example.org", "femi@example.org"),
            ),
            DemoPost(
                "dev@example.org",
                "Same here. I told one colleague I trust first, and that made it easier.",
                anonymous=True,
                heard_by=("femi@example.org",),
            ),
            DemoPost(
                "femi@example.org",
                "There is no right time or way, and no need to at all. If it helps, "
                "our next session is on exactly this. See the "
                "[staff guide](https://example.org/guide).",
            ),
            DemoPost(
                "bob@example.org",
                "Thank you both. That helps more than you know.",
                anonymous=True,
            ),
        ),
    ),
    DemoThread(
        "Stories from practice",
        "A visit I keep coming back to",
        7,
        (
            DemoPost(
                "grace@example.org",
                "Last month a man I support asked me to sit with him while he rang his "
                "daughter. I still think about how little I had to do, and how much it "
                "seemed to matter.",
                anonymous=True,
                heard_by=("alice@example.org", "erin@example.org"),
            ),
            DemoPost(
                "erin@example.org",
                "> how little I had to do\n\nThis is what the forum last month was about "
                "for me too: being there is the work.",
            ),
            DemoPost(
                "grace@example.org",
                "It was Mr Okoro at Riverside, room 4, if anyone knows him.",
                reported=(
                    "erin@example.org",
                    "This names a person we support and where he lives.",
                ),
            ),
        ),
    ),
)


async def _seed_forum(people: dict[str, Account], now: datetime) -> None:
    """Threads in several groups, anonymous posts, "I hear you"s and one open report."""
    for demo in DEMO_THREADS:
        group = await Group.select(Group.id).where(Group.name == demo.group).first()
        if group is None:
            continue
        exists = await ForumThread.exists().where(
            (ForumThread.group == group["id"]) & (ForumThread.title == demo.title)
        )
        if exists:
            continue
        if any(post.anonymous for post in demo.posts):
            await Group.update({Group.anonymous_posts: True}).where(Group.id == group["id"])
        started = now - timedelta(days=demo.days_ago)
        times = [started + timedelta(hours=3 * n) for n in range(len(demo.posts))]
        rows = await ForumThread.insert(
            ForumThread(
                group=group["id"],
                title=demo.title,
                pinned=demo.pinned,
                created_at=started,
                last_post_at=times[-1],
            )
        ).returning(ForumThread.id)
        thread_id = rows[0]["id"]
        for post, at in zip(demo.posts, times, strict=True):
            made = await ForumPost.insert(
                ForumPost(
                    thread=thread_id,
                    author=people[post.author].id,
                    anonymous=post.anonymous,
                    body=post.body,
                    created_at=at,
                )
            ).returning(ForumPost.id)
            post_id = made[0]["id"]
            for email in post.heard_by:
                await ForumAck.insert(ForumAck(post=post_id, user=people[email].id))
            if post.reported:
                reporter, reason = post.reported
                await ForumReport.insert(
                    ForumReport(
                        post=post_id, reporter=people[reporter].id, reason=reason, created_at=now
                    )
                )
            # Everyone who wrote has read up to their own post, so later replies show as new.
            await ForumRead.insert(
                ForumRead(thread=thread_id, user=people[post.author].id, last_post=post_id)
            ).on_conflict(
                target=(ForumRead.thread, ForumRead.user),
                action="DO UPDATE",
                values=[ForumRead.last_post],
            )
