"""Rules for accounts: what a valid registration looks like and when sign-in pauses.

Pure: no I/O and no clock. Callers pass `now` and what they counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import available_timezones

ROLES = ("member", "organiser", "admin")
PASSWORD_MIN = 10
PASSWORD_MAX = 256
NAME_MAX = 100
PRONOUNS_MAX = 40
NEEDS_MAX = 1000

# Sign-in pauses after this many failures inside the window: per account it stops a
# guesser aiming at one colleague, per address it stops one machine trying many.
SIGN_IN_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20

RESET_LINK_LIFETIME = timedelta(hours=1)

_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
TIMEZONES = tuple(sorted(available_timezones() - {"localtime", "Factory"}))


Errors = dict[str, str]


@dataclass(frozen=True)
class Registration:
    display_name: str
    email: str
    password: str


@dataclass(frozen=True)
class Profile:
    display_name: str
    pronouns: str
    timezone: str
    accessibility_needs: str


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def email_error(email: str) -> str | None:
    if not email:
        return "Enter your email address."
    if not _EMAIL.match(email):
        return "Enter an email address like name@example.org."
    return None


def password_error(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters. A few words together works well."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    return None


def name_error(name: str) -> str | None:
    if not name:
        return "Enter the name you'd like colleagues to see."
    if len(name) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters."
    return None


def validate_registration(registration: Registration, allowed_domains: tuple[str, ...]) -> Errors:
    errors: Errors = {}
    if message := name_error(registration.display_name):
        errors["display_name"] = message
    if message := email_error(registration.email):
        errors["email"] = message
    elif allowed_domains and registration.email.rsplit("@", 1)[1] not in allowed_domains:
        listed = ", ".join(f"@{d}" for d in allowed_domains)
        errors["email"] = f"Use your work email address ({listed})."
    if message := password_error(registration.password):
        errors["password"] = message
    elif registration.password.lower() == registration.email:
        errors["password"] = "Choose a password that is not your email address."
    return errors


def validate_profile(profile: Profile) -> Errors:
    errors: Errors = {}
    if message := name_error(profile.display_name):
        errors["display_name"] = message
    if len(profile.pronouns) > PRONOUNS_MAX:
        errors["pronouns"] = f"Use at most {PRONOUNS_MAX} characters."
    if profile.timezone not in TIMEZONES:
        errors["timezone"] = "Choose a timezone from the list."
    if len(profile.accessibility_needs) > NEEDS_MAX:
        errors["accessibility_needs"] = f"Use at most {NEEDS_MAX} characters."
    return errors


def sign_in_paused(account_failures: int, address_failures: int) -> bool:
    return account_failures >= ACCOUNT_FAILURE_LIMIT or address_failures >= ADDRESS_FAILURE_LIMIT


def window_start(now: datetime) -> datetime:
    return now - SIGN_IN_WINDOW
