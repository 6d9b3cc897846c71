"""The reminder outbox end to end on the test database: planning, sending once, voiding,
preferences, digests, quiet hours, discretion, failures and leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import anyio
import pytest
from icalendar import Calendar

from app.config import Settings
from app.db.tables import (
    FacilitationTurn,
    Meeting,
    Notification,
    Reminder,
    ReminderPreference,
    SwapRequest,
    Unavailability,
    User,
)
from app.domain import reminders as rules
from app.mail import Email, MemoryMailer, Outgoing, message_id
from app.services import meetings, outbox, rota
from app.services.digests import plan_digests
from app.services.dispatch import dispatch
from app.services.reminders import plan_meetings, plan_swaps
from tests.conftest import make_settings
from tests.services.groups_support import add, group_of, person

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEEKLY = {"rule": "weekly", "first_date": "2027-01-05", "local_start": "19:00", "minutes": "90"}
FIRST = datetime(2027, 1, 5, 19, 0, tzinfo=UTC)  # 19:00 in London in January


@pytest.fixture
def mail_settings() -> Settings:
    return make_settings(SMTP_TIMEOUT="2", REMINDER_LEASE="30")


async def weekly_group(kind: str = "peer_support", members: int = 3, **settings: object):  # type: ignore[no-untyped-def]
    convenor = await person("c")
    gid = await group_of(kind, convenor, **settings)
    others = [await person(n) for n in range(members)]
    await add(gid, *others)
    await meetings.save_schedule(gid, convenor, WEEKLY, NOW)
    await rota.plan_rota(gid, NOW)
    first = await Meeting.select(Meeting.id).where(Meeting.starts_at == FIRST).first()
    return gid, convenor, others, first["id"]


async def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in await Reminder.select(Reminder.status):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def subjects(mailer: MemoryMailer) -> list[str]:
    return [str(m["Subject"]) for m in mailer.outbox]


async def test_planning_twice_creates_nothing_new(db: str) -> None:
    await weekly_group(name="Night shift peers")
    first = await plan_meetings(NOW)
    assert first > 0
    assert await plan_meetings(NOW) == 0
    assert await Reminder.count() == first


async def test_every_member_is_reminded_two_days_before_and_the_lead_a_week_before(
    db: str,
) -> None:
    _gid, convenor, others, meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    rows = await Reminder.select(Reminder.kind, Reminder.user, Reminder.due_at).where(
        Reminder.meeting == meeting
    )
    session = {r["user"]: r["due_at"] for r in rows if r["kind"] == "session"}
    assert set(session) == {convenor.id, *(p.id for p in others)}
    assert set(session.values()) == {FIRST - timedelta(days=2)}
    lead = (
        await FacilitationTurn.select(FacilitationTurn.member)
        .where((FacilitationTurn.meeting == meeting) & (FacilitationTurn.role == "lead"))
        .first()
    )
    facilitating = [r for r in rows if r["kind"] == "facilitating"]
    assert lead["member"] in {r["user"] for r in facilitating}
    assert {r["due_at"] for r in facilitating} == {FIRST - timedelta(days=7)}


async def test_moving_a_meeting_moves_its_pending_reminders(db: str) -> None:
    _gid, convenor, _others, meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    before = await Reminder.count()
    await meetings.change_meeting(
        meeting, convenor, {"date": "2027-01-06", "start": "18:00", "minutes": "90"}, NOW
    )
    live = await Reminder.select(Reminder.kind, Reminder.due_at).where(
        (Reminder.meeting == meeting) & (Reminder.status == "pending")
    )
    moved = datetime(2027, 1, 6, 18, 0, tzinfo=UTC)
    assert {r["due_at"] for r in live if r["kind"] == "session"} == {moved - timedelta(days=2)}
    assert (await statuses())["void"] == before


async def test_cancelling_a_meeting_voids_its_reminders(db: str) -> None:
    _gid, convenor, _others, meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    await meetings.cancel_meeting(meeting, convenor, NOW)
    left = await Reminder.count().where(
        (Reminder.meeting == meeting) & (Reminder.status == "pending")
    )
    assert left == 0
    assert await plan_meetings(NOW) == 0


async def test_each_due_reminder_is_sent_once_and_a_second_pass_sends_nothing(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, _others, _meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    when = FIRST - timedelta(days=1)
    sent = await dispatch(when, mailer, mail_settings)
    assert sent == len(mailer.outbox) > 0
    assert await dispatch(when, mailer, mail_settings) == 0
    ids = [m["Message-ID"] for m in mailer.outbox]
    assert len(ids) == len(set(ids))
    assert "Night shift peers meets on Tuesday 5 January" in subjects(mailer)


class WatchingMailer(MemoryMailer):
    """Before each hand-over, notes how many messages already handed over are unmarked."""

    def __init__(self, sender: str) -> None:
        super().__init__(sender)
        self.unmarked: list[int] = []

    async def deliver(self, message: Outgoing) -> None:
        handed_over = {m["Message-ID"] for m in self.outbox}
        marked = {
            message_id(r["key"], self.sender)
            for r in await Reminder.select(Reminder.key).where(Reminder.status == "sent")
        }
        self.unmarked.append(len(handed_over - marked))
        await super().deliver(message)


async def test_at_most_one_message_handed_over_is_unmarked_when_the_next_one_goes(
    db: str, mail_settings: Settings
) -> None:
    await weekly_group(name="Night shift peers", members=12)
    await plan_meetings(NOW)
    mailer = WatchingMailer(mail_settings.mail_from)
    sent = await dispatch(FIRST - timedelta(days=1), mailer, mail_settings, batch=5)
    assert sent == len(mailer.outbox) >= 12
    # The previous row's mark is written while the next row is sent, never later, so a
    # worker killed mid-send can duplicate at most that row and the one in flight.
    assert max(mailer.unmarked) <= 1
    assert (await statuses())["sent"] == sent


async def test_the_facilitator_is_sent_the_preparation_page_and_tool_3_questions(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, _others, meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    leading = [m for m in mailer.outbox if "You are leading" in str(m["Subject"])]
    assert len(leading) == 1
    text = leading[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"http://testserver/meetings/{meeting}/prepare" in text
    assert "Tool 3" in text
    assert await Notification.count().where(Notification.link == f"/meetings/{meeting}/prepare")


async def test_a_session_reminder_is_multipart_with_a_calendar_file_and_unsubscribe_headers(
    db: str, mail_settings: Settings
) -> None:
    await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(FIRST - timedelta(days=1), mailer, mail_settings)
    message = next(m for m in mailer.outbox if "meets on" in str(m["Subject"]))
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    ics = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert event["SUMMARY"] == "Night shift peers"
    assert event.decoded("DTSTART") == FIRST
    assert str(message["List-Unsubscribe"]).startswith("<http://testserver/email/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_someone_who_said_they_cannot_come_is_not_reminded(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, others, meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    await meetings.set_rsvp(meeting, others[0], "no", NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(FIRST - timedelta(days=1), mailer, mail_settings)
    recipients = [m["To"] for m in mailer.outbox if "meets on" in str(m["Subject"])]
    assert others[0].email not in recipients
    assert others[1].email in recipients


async def test_people_going_are_reminded_on_the_day_at_half_past_seven(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, others, meeting = await weekly_group(name="Night shift peers")
    await meetings.set_rsvp(meeting, others[0], "going", NOW)
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(datetime(2027, 1, 5, 7, 29, tzinfo=UTC), mailer, mail_settings)
    assert "Night shift peers is today" not in subjects(mailer)
    await dispatch(datetime(2027, 1, 5, 7, 30, tzinfo=UTC), mailer, mail_settings)
    today = [m for m in mailer.outbox if str(m["Subject"]) == "Night shift peers is today"]
    assert [m["To"] for m in today] == [others[0].email]


async def test_email_switched_off_is_not_sent_but_still_shows_in_the_app(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, _others, meeting = await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    leads = await FacilitationTurn.select(FacilitationTurn.member).where(
        FacilitationTurn.meeting == meeting
    )
    for row in leads:
        await ReminderPreference.insert(
            ReminderPreference(user=row["member"], kind="facilitating", setting="off")
        )
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    assert not any("You are" in s for s in subjects(mailer))
    assert (await statuses()).get("skipped") == len(leads)
    shown = await Notification.select(Notification.user).where(
        Notification.link == f"/meetings/{meeting}/prepare"
    )
    assert {r["user"] for r in shown} == {r["member"] for r in leads}


async def test_messages_folded_into_the_digest_arrive_as_one_email_at_seven(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, others, _meeting = await weekly_group(name="Night shift peers")
    who = others[0]
    for kind in ("session", "facilitating"):
        await ReminderPreference.insert(
            ReminderPreference(user=who.id, kind=kind, setting="digest")
        )
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    evening = datetime(2027, 1, 3, 20, 0, tzinfo=UTC)
    await dispatch(evening, mailer, mail_settings)
    assert who.email not in [m["To"] for m in mailer.outbox]
    assert await plan_digests(evening) == 1
    assert await plan_digests(evening) == 0
    await dispatch(datetime(2027, 1, 4, 7, 0, tzinfo=UTC), mailer, mail_settings)
    digests = [m for m in mailer.outbox if m["To"] == who.email]
    assert len(digests) == 1
    assert digests[0]["Subject"] == "Your Roundtable digest"
    text = digests[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Night shift peers meets on Tuesday 5 January" in text


async def test_quiet_hours_hold_back_a_reminder_until_they_end(
    db: str, mail_settings: Settings
) -> None:
    _gid, _convenor, others, _meeting = await weekly_group(name="Night shift peers")
    await User.update({User.quiet_from: "21:00", User.quiet_until: "07:00"}).where(
        User.id == others[0].id
    )
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    night = datetime(2027, 1, 3, 22, 0, tzinfo=UTC)
    await dispatch(night, mailer, mail_settings)
    assert others[0].email not in [m["To"] for m in mailer.outbox]
    assert others[1].email in [m["To"] for m in mailer.outbox]
    held = (
        await Reminder.select(Reminder.lease_until, Reminder.attempts)
        .where((Reminder.user == others[0].id) & (Reminder.kind == "session"))
        .first()
    )
    assert held == {"lease_until": datetime(2027, 1, 4, 7, 0, tzinfo=UTC), "attempts": 0}
    await dispatch(datetime(2027, 1, 4, 7, 0, tzinfo=UTC), mailer, mail_settings)
    assert others[0].email in [m["To"] for m in mailer.outbox]


async def test_a_discreet_network_is_never_named_in_a_subject_header_or_calendar_file(
    db: str, mail_settings: Settings
) -> None:
    name = "LGBTQI+ staff network"
    _gid, _convenor, others, meeting = await weekly_group(
        "staff_network", name=name, network="lgbtqi", discreet=True
    )
    await meetings.set_rsvp(meeting, others[0], "going", NOW)
    await plan_meetings(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    for moment in (
        NOW,
        FIRST - timedelta(days=1),
        FIRST - timedelta(hours=2),
        FIRST + timedelta(hours=3),
    ):
        await dispatch(moment, mailer, mail_settings)
    sent = {
        r["kind"] for r in await Reminder.select(Reminder.kind).where(Reminder.status == "sent")
    }
    assert {"facilitating", "session", "today"} <= sent
    assert mailer.outbox
    for message in mailer.outbox:
        for header, value in message.items():
            assert "LGBT" not in str(value), header
        for part in message.iter_attachments():
            assert b"LGBT" not in (part.get_payload(decode=True) or b"")
        assert "LGBT" not in _first_text(message)


class RefusingMailer:
    def __init__(self) -> None:
        self.tries = 0

    async def send(self, email: Email) -> None:
        self.tries += 1
        raise ConnectionRefusedError("SMTP server refused the connection")

    async def deliver(self, message: Outgoing) -> None:
        await self.send(message.email)


async def test_a_failing_server_is_retried_with_backoff_then_the_row_is_marked_failed(
    db: str, mail_settings: Settings
) -> None:
    _gid, convenor, _others, meeting = await weekly_group(name="Night shift peers", members=0)
    await Reminder.delete().where(Reminder.id > 0)
    await Reminder.insert(
        Reminder(
            key=f"session:{meeting}:0:{convenor.id}",
            kind="session",
            user=convenor.id,
            meeting=meeting,
            due_at=NOW,
            created_at=NOW,
        )
    )
    mailer = RefusingMailer()
    moment = NOW
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        await dispatch(moment, mailer, mail_settings)
        row = await Reminder.select(
            Reminder.status, Reminder.attempts, Reminder.lease_until, Reminder.last_error
        ).first()
        assert row["attempts"] == attempt
        assert "refused" in row["last_error"]
        if attempt < rules.MAX_ATTEMPTS:
            assert row["status"] == "pending"
            # Not tried again before the backoff is over.
            await dispatch(row["lease_until"] - timedelta(seconds=1), mailer, mail_settings)
            assert mailer.tries == attempt
            moment = row["lease_until"]
        else:
            assert row["status"] == "failed"
    await dispatch(moment + timedelta(days=1), mailer, mail_settings)
    assert mailer.tries == rules.MAX_ATTEMPTS


async def test_a_dead_workers_rows_pass_to_another_worker_when_the_lease_runs_out(
    db: str, mail_settings: Settings
) -> None:
    await weekly_group(name="Night shift peers")
    await plan_meetings(NOW)
    due = await Reminder.count().where(Reminder.due_at <= NOW)
    lease = timedelta(seconds=mail_settings.reminder_lease)
    dead = await outbox.claim("dead-worker", NOW, NOW + lease, 1000)
    assert len(dead) == due
    mailer = MemoryMailer(mail_settings.mail_from)
    assert await dispatch(NOW + lease - timedelta(seconds=1), mailer, mail_settings) == 0
    assert await dispatch(NOW + lease, mailer, mail_settings) == due
    # The dead worker, had it woken, could not mark what is no longer its own.
    assert not await outbox.settle(dead[0].id, "dead-worker", "sent", NOW + lease)


async def test_three_dispatchers_at_once_send_every_reminder_exactly_once(
    db: str, mail_settings: Settings
) -> None:
    await weekly_group(name="Night shift peers", members=40)
    await plan_meetings(NOW)
    await plan_swaps(NOW)
    due = await Reminder.count().where(Reminder.due_at <= FIRST - timedelta(days=1))
    mailer = MemoryMailer(mail_settings.mail_from)

    async def one() -> None:
        await dispatch(FIRST - timedelta(days=1), mailer, mail_settings, batch=7)

    async with anyio.create_task_group() as tasks:
        for _ in range(3):
            tasks.start_soon(one)
    ids = [m["Message-ID"] for m in mailer.outbox]
    assert len(ids) == len(set(ids)) == due


async def cover_asked_for_the_second_session():  # type: ignore[no-untyped-def]
    """The second session's lead asks for cover; returns (meeting row, asker, everyone)."""
    gid, convenor, others, _meeting = await weekly_group(name="Night shift peers")
    second = (
        await Meeting.select(Meeting.id, Meeting.starts_at)
        .where(Meeting.group == gid)
        .order_by(Meeting.starts_at)
        .offset(1)
        .first()
    )
    lead = (
        await FacilitationTurn.select(FacilitationTurn.member)
        .where((FacilitationTurn.meeting == second["id"]) & (FacilitationTurn.role == "lead"))
        .first()
    )
    people = [convenor, *others]
    asker = next(p for p in people if p.id == lead["member"])
    await rota.ask_for_swap(second["id"], asker, "cover", NOW)
    return second, asker, people


def _first_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_swap_request_is_emailed_to_those_who_could_take_it_then_chased(
    db: str, mail_settings: Settings
) -> None:
    second, asker, _people = await cover_asked_for_the_second_session()
    planned = await plan_swaps(NOW)
    assert planned > 0
    assert await plan_swaps(NOW) == 0
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    asks = [m for m in mailer.outbox if "can you take a facilitation turn" in str(m["Subject"])]
    assert asks and asker.email not in [m["To"] for m in asks]
    assert "/groups/" in _first_text(asks[0])
    chase_at = second["starts_at"] - timedelta(days=3)
    await dispatch(chase_at, mailer, mail_settings)
    chased = [m for m in mailer.outbox if str(m["Subject"]).startswith("Still needed")]
    assert len(chased) == len(asks)


async def test_a_swap_is_not_offered_to_someone_away_that_day_or_already_in_that_session(
    db: str, mail_settings: Settings
) -> None:
    second, asker, people = await cover_asked_for_the_second_session()
    free = [p for p in people if p.id != asker.id]
    shadowing, away = free[0], free[1]
    await FacilitationTurn.delete().where(
        (FacilitationTurn.meeting == second["id"]) & (FacilitationTurn.member != asker.id)
    )
    await FacilitationTurn.insert(
        FacilitationTurn(meeting=second["id"], member=shadowing.id, role="shadow")
    )
    day = second["starts_at"].astimezone(ZoneInfo("Europe/London")).date()
    await Unavailability.insert(Unavailability(user=away.id, day=day))
    await plan_swaps(NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(NOW, mailer, mail_settings)
    asked = {
        str(m["To"])
        for m in mailer.outbox
        if "can you take a facilitation turn" in str(m["Subject"])
    }
    assert asked == {p.email for p in free[2:]}


async def test_a_taken_swap_is_not_chased(db: str, mail_settings: Settings) -> None:
    second, _asker, people = await cover_asked_for_the_second_session()
    await plan_swaps(NOW)
    busy = {
        r["member"]
        for r in await FacilitationTurn.select(FacilitationTurn.member).where(
            FacilitationTurn.meeting == second["id"]
        )
    }
    taker = next(p for p in people if p.id not in busy)
    swap = await SwapRequest.select(SwapRequest.id).first()
    await rota.take_swap(swap["id"], taker, NOW)
    mailer = MemoryMailer(mail_settings.mail_from)
    await dispatch(second["starts_at"] - timedelta(days=3), mailer, mail_settings)
    assert not [m for m in mailer.outbox if "facilitation turn" in str(m["Subject"])]


async def test_a_planning_pass_of_thousands_of_reminders_fits_the_databases_limits(
    db: str,
) -> None:
    # PostgreSQL takes at most 32,767 parameters in a statement: 2,500 rows need chunks.
    from tests.jobs.test_exactly_once_processes import due_session_reminders

    expected = await due_session_reminders(2500)
    assert len(expected) == 2500
    assert await plan_meetings(datetime.now(UTC)) == 0
