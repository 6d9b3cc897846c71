"""The tables. Only services query them.

No table has a column for ethnicity, disability, sexuality, religion or any other
protected characteristic: membership of a staff network says nothing about the member,
because allies join too.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="rt_user"):
    id = Serial(primary_key=True)
    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=100)
    pronouns = Varchar(length=40, default="")
    timezone = Varchar(length=64, default="Europe/London")
    # Free text the person chooses to share; shown only to their groups' facilitators.
    accessibility_needs = Text(default="")
    password_hash = Varchar(length=255)
    role = Varchar(length=16, default="member")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # The secret in a personal calendar feed's address; reset to lock out the old one.
    calendar_token = Varchar(length=64, default="", index=True)
    # Local times between which non-urgent email waits, e.g. 21:00 to 07:00; empty: none.
    quiet_from = Varchar(length=5, default="")
    quiet_until = Varchar(length=5, default="")


class HttpSession(Table, tablename="rt_http_session"):
    """Server-side session data, shared by every web instance."""

    id = Serial(primary_key=True)
    key = Varchar(length=128, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class PasswordReset(Table, tablename="rt_password_reset"):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    # Only a hash is kept, so a database leak gives no working link.
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SignInAttempt(Table, tablename="rt_sign_in_attempt"):
    id = Serial(primary_key=True)
    email = Varchar(length=254, index=True)
    address = Varchar(length=64, index=True)
    succeeded = Boolean(default=False)
    attempted_at = Timestamptz(index=True)


class Group(Table, tablename="rt_group"):
    id = Serial(primary_key=True)
    kind = Varchar(length=24, index=True)
    # Which network (bme, lgbtqi, ...) describes the group, never its members.
    network = Varchar(length=24, default="")
    name = Varchar(length=120)
    purpose = Text(default="")
    visibility = Varchar(length=12, default="listed", index=True)
    join_policy = Varchar(length=12, default="open")
    member_list = Varchar(length=12, default="members")
    capacity = Integer(null=True, default=None)
    term_starts = Date(null=True, default=None)
    term_ends = Date(null=True, default=None)
    meets = Varchar(length=12, default="in_person")
    ground_rules = Text(default="")
    ground_rules_version = Integer(default=1)
    facilitation = Varchar(length=16, default="rotating")
    discreet = Boolean(default=False)
    timezone = Varchar(length=64, default="Europe/London")
    created_at = Timestamptz(default=TimestamptzNow())
    # The repeat rule; empty until a convenor sets a schedule.
    schedule_rule = Varchar(length=24, default="")
    schedule_first_date = Date(null=True, default=None)
    schedule_time = Varchar(length=5, default="")
    schedule_minutes = Integer(default=90)
    schedule_weekday = Integer(null=True, default=None)
    schedule_nth = Integer(null=True, default=None)
    place = Varchar(length=255, default="")
    online_link = Varchar(length=500, default="")
    step_free = Boolean(default=False)
    hearing_loop = Boolean(default=False)
    captions = Boolean(default=False)
    quiet_room = Boolean(default=False)
    access_notes = Text(default="")
    # How many people the room holds; RSVPs of "going" stop there. Empty: no limit.
    venue_capacity = Integer(null=True, default=None)
    # An action learning set's end: "active" | "ended". An ended set makes no more
    # meetings, and its members keep read-only access to their own actions.
    status = Varchar(length=12, default="active")
    closing_review_at = Timestamptz(null=True, default=None)
    closing_review_note = Text(default="")
    ended_at = Timestamptz(null=True, default=None)
    # Set once, by a conditional update, when members were told the closing review is due.
    closing_prompted_at = Timestamptz(null=True, default=None)
    # Whether members may post in the group's forum without their name.
    anonymous_posts = Boolean(default=False)


class Membership(Table, tablename="rt_membership"):
    id = Serial(primary_key=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=12, default="member")
    status = Varchar(length=12, default="active", index=True)
    joined_at = Timestamptz()
    left_at = Timestamptz(null=True, default=None)
    removal_reason = Text(default="")
    accepted_rules_version = Integer(default=0)
    opted_out_of_leading = Boolean(default=False)


class JoinRequest(Table, tablename="rt_join_request"):
    id = Serial(primary_key=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    message = Text(default="")
    status = Varchar(length=12, default="pending", index=True)
    accepted_rules_version = Integer(default=0)
    decision_message = Text(default="")
    decided_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="rt_invitation"):
    id = Serial(primary_key=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, index=True)
    token = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    single_use = Boolean(default=True)
    uses = Integer(default=0)
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Meeting(Table, tablename="rt_meeting"):
    id = Serial(primary_key=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, index=True)
    # "<group id>:<local date>" of the scheduled occurrence, so making meetings twice, or
    # from several processes, makes each once; it stays put when a meeting is moved.
    occurrence_key = Varchar(length=64, unique=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    place = Varchar(length=255, default="")
    online_link = Varchar(length=500, default="")
    step_free = Boolean(default=False)
    hearing_loop = Boolean(default=False)
    captions = Boolean(default=False)
    quiet_room = Boolean(default=False)
    access_notes = Text(default="")
    venue_capacity = Integer(null=True, default=None)
    status = Varchar(length=12, default="scheduled", index=True)
    facilitator = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    # Raised on every change, as RFC 5545 asks, so calendars replace the old copy.
    sequence = Integer(default=0)
    attendance_recorded = Boolean(default=False)
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Prompt(Table, tablename="rt_prompt"):
    id = Serial(primary_key=True)
    bank = Varchar(length=32, index=True)
    number = Integer()
    lens = Varchar(length=16, null=True, default=None)
    text = Text()
    pair = Text(default="")
    source = Text(default="")
    retired = Boolean(default=False)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)


class AgendaItem(Table, tablename="rt_agenda_item"):
    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    kind = Varchar(length=24)
    title = Varchar(length=200)
    minutes = Integer()
    prompt = ForeignKey(references=Prompt, on_delete=OnDelete.set_null, null=True)
    # For an action learning presenter slot: "phase=minutes" lines.
    phases = Text(default="")


class Rsvp(Table, tablename="rt_rsvp"):
    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    answer = Varchar(length=8)
    answered_at = Timestamptz()


class Attendance(Table, tablename="rt_attendance"):
    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)


class Theme(Table, tablename="rt_theme"):
    id = Serial(primary_key=True)
    name = Varchar(length=60, unique=True)


class MeetingTheme(Table, tablename="rt_meeting_theme"):
    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    theme = ForeignKey(references=Theme, on_delete=OnDelete.cascade, index=True)


class Action(Table, tablename="rt_action"):
    """Something a set member commits to do; reviewed at the next meeting's check-in."""

    id = Serial(primary_key=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    owner = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    text = Text()
    status = Varchar(length=16, default="open", index=True)
    review_note = Text(default="")
    created_at = Timestamptz()
    reviewed_at = Timestamptz(null=True, default=None)


class FacilitationTurn(Table, tablename="rt_facilitation_turn"):
    """Who leads, co-facilitates or shadows a meeting, and how they came to."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=12)  # lead | co | shadow | presenter
    origin = Varchar(length=10, default="rota")  # rota | swap | cover | override
    covered_for = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    note = Text(default="")


class SwapRequest(Table, tablename="rt_swap_request"):
    """Someone assigned a turn asks for cover (the coverer earns a give-back) or an exchange."""

    id = Serial(primary_key=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=12, default="lead")
    requester = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=8, default="cover")  # cover | exchange
    status = Varchar(length=10, default="open", index=True)  # open | taken | withdrawn
    taken_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    taken_at = Timestamptz(null=True, default=None)


class Unavailability(Table, tablename="rt_unavailability"):
    """A day someone has said they are away; the rota skips them."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    day = Date(index=True)


class Notification(Table, tablename="rt_notification"):
    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    text = Text()
    link = Varchar(length=255, default="")
    created_at = Timestamptz(index=True)
    read_at = Timestamptz(null=True, default=None)


class Reminder(Table, tablename="rt_reminder"):
    """The outbox: one row per message, claimed with a lease and marked sent exactly once."""

    id = Serial(primary_key=True)
    # What the message is about, e.g. "session:12:3:7" (meeting, its sequence, person):
    # planning twice inserts nothing, and the Message-ID is derived from it.
    key = Varchar(length=200, unique=True)
    kind = Varchar(length=16)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, null=True, index=True)
    swap = ForeignKey(references=SwapRequest, on_delete=OnDelete.cascade, null=True)
    due_at = Timestamptz()
    # pending | sent | failed | void (no longer true) | skipped (email off) | folded (digest)
    status = Varchar(length=10, default="pending")
    claimed_by = Varchar(length=40, default="")
    # While a claim holds, nobody else takes the row; after a failure it is the retry time.
    lease_until = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
    # A folded row's subject line, listed in the digest that carried it.
    summary = Text(default="")
    digest = Integer(null=True, default=None)
    created_at = Timestamptz()


class ReminderPreference(Table, tablename="rt_reminder_preference"):
    """Email on, off or in the daily digest, per person and kind; no row means on."""

    id = Serial(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    setting = Varchar(length=8)


class ForumThread(Table, tablename="rt_forum_thread"):
    """A conversation in one group's forum, readable only by that group's members."""

    id = Serial(primary_key=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=150)
    pinned = Boolean(default=False)
    created_at = Timestamptz()
    # Raised (never lowered) by each reply, so concurrent replies need no read-modify-write.
    last_post_at = Timestamptz(index=True)


class ForumPost(Table, tablename="rt_forum_post"):
    """One post; a thread's posts are in id order, its first post opens it.

    The author is kept for an anonymous post too (so they can edit or delete it), but no
    view, page, email or export ever shows who it is: see app.services.forum.
    """

    id = Serial(primary_key=True)
    thread = ForeignKey(references=ForumThread, on_delete=OnDelete.cascade, index=True)
    author = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    anonymous = Boolean(default=False)
    body = Text()
    created_at = Timestamptz()
    edited_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    hidden_at = Timestamptz(null=True, default=None)
    hidden_reason = Text(default="")


class ForumReport(Table, tablename="rt_forum_report"):
    """A member asks the convenors to look at a post; one per post and person."""

    id = Serial(primary_key=True)
    post = ForeignKey(references=ForumPost, on_delete=OnDelete.cascade, index=True)
    reporter = ForeignKey(references=User, on_delete=OnDelete.cascade)
    reason = Text()
    created_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)


class ForumAck(Table, tablename="rt_forum_ack"):
    """An "I hear you" from one person: shown as a count, never as a ranking."""

    id = Serial(primary_key=True)
    post = ForeignKey(references=ForumPost, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)


class ForumRead(Table, tablename="rt_forum_read"):
    """How far one person has read one thread: the highest post id they have seen."""

    id = Serial(primary_key=True)
    thread = ForeignKey(references=ForumThread, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    last_post = Integer(default=0)


class AuditEvent(Table, tablename="rt_audit_event"):
    id = Serial(primary_key=True)
    actor = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    group = ForeignKey(references=Group, on_delete=OnDelete.cascade, null=True, index=True)
    action = Varchar(length=64, index=True)
    detail = Text(default="")
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)


ALL_TABLES: tuple[type[Table], ...] = (
    User,
    HttpSession,
    PasswordReset,
    SignInAttempt,
    Group,
    Membership,
    JoinRequest,
    Invitation,
    Meeting,
    Prompt,
    AgendaItem,
    Rsvp,
    Attendance,
    Theme,
    MeetingTheme,
    Action,
    FacilitationTurn,
    SwapRequest,
    Unavailability,
    Notification,
    Reminder,
    ReminderPreference,
    ForumThread,
    ForumPost,
    ForumReport,
    ForumAck,
    ForumRead,
    AuditEvent,
)
