"""The prompt banks in the database: shipped banks synced from their data files, plus
organisers' own prompts."""

from __future__ import annotations

from dataclasses import dataclass

from app.db.tables import Prompt
from app.domain.prompts import load_banks
from app.services.accounts import Account
from app.services.errors import FormErrors, NotFound

CUSTOM = "custom"


async def sync_prompt_banks() -> int:
    """Upsert every shipped prompt; safe to run at every migration or start-up."""
    rows = [
        Prompt(
            bank=prompt.bank,
            number=prompt.number,
            lens=prompt.lens,
            text=prompt.text,
            pair=prompt.pair or "",
            source=bank.attribution,
        )
        for bank in load_banks().values()
        for prompt in bank.prompts
    ]
    await Prompt.insert(*rows).on_conflict(
        target=(Prompt.bank, Prompt.number),
        action="DO UPDATE",
        values=[Prompt.lens, Prompt.text, Prompt.pair, Prompt.source],
    )
    return len(rows)


@dataclass(frozen=True)
class PromptView:
    id: int
    bank: str
    number: int
    lens: str | None
    text: str
    pair: str
    source: str
    retired: bool


_COLUMNS = (
    Prompt.id,
    Prompt.bank,
    Prompt.number,
    Prompt.lens,
    Prompt.text,
    Prompt.pair,
    Prompt.source,
    Prompt.retired,
)


async def all_prompts(include_retired: bool = False) -> list[PromptView]:
    query = Prompt.select(*_COLUMNS).order_by(Prompt.bank).order_by(Prompt.number)
    if not include_retired:
        query = query.where(Prompt.retired.eq(False))
    return [PromptView(**row) for row in await query]


async def add_custom_prompt(organiser: Account, text: str, lens: str) -> None:
    if not organiser.is_organiser:
        raise NotFound()
    text = text.strip()
    errors: dict[str, str] = {}
    if not 10 <= len(text) <= 500:
        errors["text"] = "Write a question of 10 to 500 characters."
    if lens not in {"", "self", "supervisor", "team", "organisation"}:
        errors["lens"] = "Choose one of the lenses, or none."
    if errors:
        raise FormErrors(errors)
    highest = (
        await Prompt.select(Prompt.number)
        .where(Prompt.bank == CUSTOM)
        .order_by(Prompt.number, ascending=False)
        .first()
    )
    await Prompt.insert(
        Prompt(
            bank=CUSTOM,
            number=(highest["number"] if highest else 0) + 1,
            lens=lens or None,
            text=text,
            source=f"Added by {organiser.display_name}",
            created_by=organiser.id,
        )
    )


async def set_retired(organiser: Account, prompt_id: int, retired: bool) -> None:
    if not organiser.is_organiser:
        raise NotFound()
    await Prompt.update({Prompt.retired: retired}).where(
        (Prompt.id == prompt_id) & (Prompt.bank == CUSTOM)
    )
