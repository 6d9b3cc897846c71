"""Accounts: register, sign in, passwords, profiles and roles."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.db.engine import write_transaction
from app.db.tables import AuditEvent, PasswordReset, SignInAttempt, User
from app.domain import accounts as rules
from app.mail import Mailer, render
from app.services.errors import FormErrors, TooManyAttempts
from app.services.passwords import hash_password, needs_rehash, verify_password

_ACCOUNT_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.pronouns,
    User.timezone,
    User.accessibility_needs,
    User.role,
    User.password_hash,
)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    display_name: str
    pronouns: str
    timezone: str
    accessibility_needs: str
    role: str
    # Kept in the session: changing the password changes it, which signs out every
    # other session of that person.
    password_fingerprint: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_organiser(self) -> bool:
        return self.role in {"organiser", "admin"}


PAUSED_MESSAGE = (
    "Sign-in is paused after several attempts that didn't match. Wait 15 minutes and try "
    "again, or reset your password."
)


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        pronouns=row["pronouns"],
        timezone=row["timezone"],
        accessibility_needs=row["accessibility_needs"],
        role=row["role"],
        password_fingerprint=fingerprint(row["password_hash"]),
    )


async def get_account(user_id: int) -> Account | None:
    row = (
        await User.select(*_ACCOUNT_COLUMNS)
        .where((User.id == user_id) & (User.is_active.eq(True)))
        .first()
    )
    return _account(row) if row else None


async def register(
    registration: rules.Registration, allowed_domains: tuple[str, ...], timezone: str
) -> Account:
    errors = rules.validate_registration(registration, allowed_domains)
    if errors:
        raise FormErrors(errors)
    password_hash = await hash_password(registration.password)
    # ON CONFLICT rather than look-then-insert: two people registering the same address
    # at once get one account and one clear message, never a database error.
    rows = (
        await User.insert(
            User(
                email=registration.email,
                display_name=registration.display_name,
                password_hash=password_hash,
                timezone=timezone,
            )
        )
        .on_conflict(target=User.email, action="DO NOTHING")
        .returning(User.id)
    )
    if not rows:
        raise FormErrors(
            {"email": "An account with this email already exists. Sign in, or reset your password."}
        )
    account = await get_account(rows[0]["id"])
    assert account is not None
    return account


async def _recent_failures(email: str, address: str, now: datetime) -> tuple[int, int]:
    since = rules.window_start(now)
    failed = SignInAttempt.succeeded.eq(False) & (SignInAttempt.attempted_at > since)
    by_account = await SignInAttempt.count().where(failed & (SignInAttempt.email == email))
    by_address = await SignInAttempt.count().where(failed & (SignInAttempt.address == address))
    return by_account, by_address


async def authenticate(email: str, password: str, address: str, now: datetime) -> Account:
    email = rules.normalise_email(email)
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        raise FormErrors(errors)
    if rules.sign_in_paused(*await _recent_failures(email, address, now)):
        raise TooManyAttempts()
    row = (
        await User.select(*_ACCOUNT_COLUMNS)
        .where((User.email == email) & (User.is_active.eq(True)))
        .first()
    )
    ok = await verify_password(row["password_hash"] if row else None, password)
    await SignInAttempt.insert(
        SignInAttempt(email=email, address=address, succeeded=ok, attempted_at=now)
    )
    if not ok or row is None:
        raise FormErrors(
            {"password": "That email and password don't match. Check both and try again."}
        )
    # A success clears this account's count, so a colleague who finally remembers is
    # not locked out by their own earlier typos.
    await SignInAttempt.delete().where(
        (SignInAttempt.email == email) & SignInAttempt.succeeded.eq(False)
    )
    if needs_rehash(row["password_hash"]):
        row["password_hash"] = await hash_password(password)
        await User.update({User.password_hash: row["password_hash"]}).where(User.id == row["id"])
    return _account(row)


async def _set_password(user_id: int, password: str, action: str) -> Account:
    password_hash = await hash_password(password)
    async with write_transaction():
        await User.update({User.password_hash: password_hash}).where(User.id == user_id)
        await AuditEvent.insert(AuditEvent(actor=user_id, action=action))
    account = await get_account(user_id)
    assert account is not None
    return account


async def change_password(account: Account, current: str, new: str) -> Account:
    row = await User.select(User.password_hash).where(User.id == account.id).first()
    errors: dict[str, str] = {}
    if not row or not await verify_password(row["password_hash"], current):
        errors["current_password"] = "That isn't your current password."
    if message := rules.password_error(new):
        errors["new_password"] = message
    elif new == current:
        errors["new_password"] = "Choose a password different from your current one."
    if errors:
        raise FormErrors(errors)
    return await _set_password(account.id, new, "password_changed")


async def update_profile(account: Account, profile: rules.Profile) -> Account:
    errors = rules.validate_profile(profile)
    if errors:
        raise FormErrors(errors)
    await User.update(
        {
            User.display_name: profile.display_name,
            User.pronouns: profile.pronouns,
            User.timezone: profile.timezone,
            User.accessibility_needs: profile.accessibility_needs,
        }
    ).where(User.id == account.id)
    updated = await get_account(account.id)
    assert updated is not None
    return updated


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_password_reset(email: str, now: datetime, mailer: Mailer, base_url: str) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    email = rules.normalise_email(email)
    if message := rules.email_error(email):
        raise FormErrors({"email": message})
    row = (
        await User.select(User.id, User.display_name)
        .where((User.email == email) & (User.is_active.eq(True)))
        .first()
    )
    if row is None:
        return
    token = secrets.token_urlsafe(32)
    await PasswordReset.insert(
        PasswordReset(
            user=row["id"],
            token_hash=_token_hash(token),
            expires_at=now + rules.RESET_LINK_LIFETIME,
        )
    )
    context = {
        "name": row["display_name"],
        "link": f"{base_url}/password/reset/{token}",
        "minutes": int(rules.RESET_LINK_LIFETIME.total_seconds() // 60),
    }
    await mailer.send(render("password_reset", email, context))


async def reset_link_is_valid(token: str, now: datetime) -> bool:
    found = await PasswordReset.exists().where(
        (PasswordReset.token_hash == _token_hash(token))
        & PasswordReset.used_at.is_null()
        & (PasswordReset.expires_at > now)
    )
    return bool(found)


class InvalidResetLink(Exception):
    """The link is unknown, used or expired: the page says so plainly."""


async def reset_password(token: str, new_password: str, now: datetime) -> Account:
    if message := rules.password_error(new_password):
        raise FormErrors({"new_password": message})
    async with write_transaction():
        # The conditional update is the claim: of two tabs using one link, one wins.
        claimed = (
            await PasswordReset.update({PasswordReset.used_at: now})
            .where(
                (PasswordReset.token_hash == _token_hash(token))
                & PasswordReset.used_at.is_null()
                & (PasswordReset.expires_at > now)
            )
            .returning(PasswordReset.user)
        )
        if not claimed:
            raise InvalidResetLink()
        user_id = claimed[0]["user"]
        # Any other outstanding links die with this one.
        await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.user == user_id) & PasswordReset.used_at.is_null()
        )
    return await _set_password(user_id, new_password, "password_reset")


async def ensure_account(
    email: str,
    display_name: str,
    password: str,
    role: str,
    timezone: str = "Europe/London",
    password_hash: str | None = None,
) -> Account:
    """Create the account, or bring an existing one to this role and password."""
    if role not in rules.ROLES:
        raise ValueError(f"unknown role {role!r}")
    email = rules.normalise_email(email)
    errors = rules.validate_registration(rules.Registration(display_name, email, password), ())
    if errors:
        raise FormErrors(errors)
    password_hash = password_hash or await hash_password(password)
    await User.insert(
        User(
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            timezone=timezone,
        )
    ).on_conflict(
        target=User.email,
        action="DO UPDATE",
        values=[User.display_name, User.password_hash, User.role, User.is_active],
    )
    row = await User.select(*_ACCOUNT_COLUMNS).where(User.email == email).first()
    assert row is not None
    return _account(row)


async def delete_account(account: Account, password: str, now: datetime) -> None:
    # Imported here: membership builds on accounts, so a top-level import would be circular.
    from app.services.membership import erase_account

    row = await User.select(User.password_hash).where(User.id == account.id).first()
    if not row or not await verify_password(row["password_hash"], password):
        raise FormErrors({"password": "That isn't your password."})
    await erase_account(account, now)
