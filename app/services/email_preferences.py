"""Which reminder emails a person gets, their quiet hours, and one-click unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.db.engine import write_transaction
from app.db.tables import ReminderPreference, User
from app.domain.reminders import DEFAULT_SETTING, KINDS, SETTINGS
from app.services.errors import FormErrors, NotFound

QUIET_FIELDS = ("quiet_from", "quiet_until")
FIELDS = (*KINDS, *QUIET_FIELDS)

# 21:00, 9:00, 21.00, and 21:00:00 from a browser whose time field counts seconds.
_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?")


@dataclass(frozen=True)
class EmailChoices:
    settings: dict[str, str]  # kind -> on | digest | off, every kind in KINDS
    quiet_from: str  # "HH:MM", or "" with quiet_until "" for no quiet hours
    quiet_until: str

    def form_values(self) -> dict[str, str]:
        return {**self.settings, "quiet_from": self.quiet_from, "quiet_until": self.quiet_until}


async def choices_of(user_id: int) -> EmailChoices:
    rows = await ReminderPreference.select(
        ReminderPreference.kind, ReminderPreference.setting
    ).where(ReminderPreference.user == user_id)
    stored = {row["kind"]: row["setting"] for row in rows}
    person = await User.select(User.quiet_from, User.quiet_until).where(User.id == user_id).first()
    if person is None:
        raise NotFound()
    settings = {
        kind: stored[kind] if stored.get(kind) in SETTINGS else DEFAULT_SETTING for kind in KINDS
    }
    return EmailChoices(settings, person["quiet_from"], person["quiet_until"])


def _time(raw: str) -> str | None:
    """ "HH:MM", "" for nothing typed, or None when it is not a time of day."""
    if not raw:
        return ""
    found = _TIME.fullmatch(raw)
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else None


def parse_choices(values: Mapping[str, str]) -> EmailChoices:
    """What the form asks for, or FormErrors keyed by the fieldset or field to show them by."""
    errors: dict[str, str] = {}
    settings: dict[str, str] = {}
    for kind in KINDS:
        setting = values.get(kind, "")
        if setting not in SETTINGS:
            errors[kind] = "Choose whether to email you, put it in your digest, or not email you."
        settings[kind] = setting
    times: dict[str, str] = {}
    for name in QUIET_FIELDS:
        parsed = _time(values.get(name, ""))
        if parsed is None:
            errors[name] = "Enter a time like 21:00."
        else:
            times[name] = parsed
    if len(times) == 2:
        starts, ends = times["quiet_from"], times["quiet_until"]
        if starts and not ends:
            errors["quiet_until"] = "Enter when your quiet hours end, or clear both times."
        elif ends and not starts:
            errors["quiet_from"] = "Enter when your quiet hours start, or clear both times."
        elif starts and starts == ends:
            errors["quiet_until"] = "Quiet hours must end at a different time from when they start."
    if errors:
        raise FormErrors(errors)
    return EmailChoices(settings, times["quiet_from"], times["quiet_until"])


async def _upsert(user_id: int, settings: Mapping[str, str]) -> None:
    # ON CONFLICT against the unique (user, kind) index: two saves at once both succeed
    # and leave one row per kind (a delete-then-insert can collide on PostgreSQL).
    await ReminderPreference.insert(
        *(ReminderPreference(user=user_id, kind=k, setting=s) for k, s in settings.items())
    ).on_conflict(
        target=(ReminderPreference.user, ReminderPreference.kind),
        action="DO UPDATE",
        values=[ReminderPreference.setting],
    )


async def save_choices(user_id: int, values: Mapping[str, str]) -> EmailChoices:
    choices = parse_choices(values)
    async with write_transaction():
        await _upsert(user_id, choices.settings)
        await User.update(
            {User.quiet_from: choices.quiet_from, User.quiet_until: choices.quiet_until}
        ).where(User.id == user_id)
    return choices


async def person_exists(user_id: int) -> bool:
    return bool(await User.exists().where((User.id == user_id) & User.is_active.eq(True)))


async def unsubscribe(user_id: int, kind: str) -> None:
    """Switch one kind ("all": every kind) off. Doing it again changes nothing."""
    kinds = list(KINDS) if kind == "all" else [kind]
    if not set(kinds) <= KINDS.keys():
        raise NotFound()
    async with write_transaction():
        if not await person_exists(user_id):
            raise NotFound()
        await _upsert(user_id, dict.fromkeys(kinds, "off"))
