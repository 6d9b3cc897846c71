"""The tables. Only services query them.

No table has a column for ethnicity, disability, sexuality, religion or any other
protected characteristic: membership of a staff network says nothing about the member,
because allies join too.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Bytea,
    ForeignKey,
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


class AuditEvent(Table, tablename="rt_audit_event"):
    id = Serial(primary_key=True)
    actor = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    action = Varchar(length=64, index=True)
    detail = Text(default="")
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)


ALL_TABLES: tuple[type[Table], ...] = (User, HttpSession, PasswordReset, SignInAttempt, AuditEvent)
