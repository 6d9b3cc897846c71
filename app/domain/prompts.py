"""Reflective prompt banks from "Leading with compassion" (Research in Practice for Adults, 2019).

The wording lives in app/prompt_banks/*.json, copied from the briefing rather than paraphrased,
so that what a group reads can be traced back to the published text. The banks are checked
against the counts the briefing states when they are loaded, because a miscount would put the
wrong question under the wrong lens on every agenda that uses them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

LENSES = ("self", "supervisor", "team", "organisation")
LENS_LABELS = {
    "self": "Self",
    "supervisor": "Supervisor/leader",
    "team": "Team",
    "organisation": "Organisation",
}

# The order agendas offer them in; a bank file outside this list is still loaded, after these.
BANK_IDS = ("tool1", "tool2", "tool3", "nussbaum", "caring_conversations")

# Counts the briefing itself states ("seven dimensions", six processes, Tool 3's numbered 1-20).
_EXPECTED_COUNTS = {"tool3": 20, "nussbaum": 7, "caring_conversations": 6}

# Tool 3 prints the lenses as column headings over numbered questions; numbers decide the lens.
_TOOL3_LENSES = (
    (range(1, 6), "self"),
    (range(6, 11), "supervisor"),
    (range(11, 17), "team"),
    (range(17, 21), "organisation"),
)

# Tool 2 is a two-column checklist: every practitioner question has a supervisor counterpart.
_PAIRED_BANKS = frozenset({"tool2"})

_BANK_KEYS = {"bank", "title", "source", "attribution", "prompts"}
_OPTIONAL_BANK_KEYS = {"questions"}
_PROMPT_KEYS = {"number", "lens", "text"}
_OPTIONAL_PROMPT_KEYS = {"pair"}


@dataclass(frozen=True)
class Prompt:
    bank: str
    number: int
    lens: str | None
    text: str
    pair: str | None
    source: str


@dataclass(frozen=True)
class Bank:
    id: str
    title: str
    source: str
    attribution: str
    prompts: tuple[Prompt, ...]
    # The tool's own questions that are not numbered prompts: Tool 1's column headings, asked
    # of every key concept, and Tool 2's listening-activity questions, which have no pair.
    questions: tuple[str, ...] = ()


def load_banks(folder: Traversable | Path | None = None) -> dict[str, Bank]:
    """Every bank by id. Raises ValueError naming the file at fault.

    Pass a folder to check bank files that are not the packaged ones.
    """
    if folder is None:
        # A copy, so a caller changing its dict cannot change everyone else's.
        return dict(_packaged_banks())
    return _read_banks(folder)


@functools.cache
def _packaged_banks() -> dict[str, Bank]:
    # Through importlib.resources, so an installed wheel reads the copy inside the package.
    return _read_banks(files("app").joinpath("prompt_banks"))


def _read_banks(folder: Traversable | Path) -> dict[str, Bank]:
    found = {f.name: f for f in folder.iterdir() if f.is_file() and f.name.endswith(".json")}
    for bank_id in BANK_IDS:
        if f"{bank_id}.json" not in found:
            raise ValueError(f"{bank_id}.json: prompt bank file is missing")
    ordered = [f"{b}.json" for b in BANK_IDS] + sorted(set(found) - {f"{b}.json" for b in BANK_IDS})
    banks = {}
    for name in ordered:
        try:
            bank = _parse_bank(name, found[name].read_text(encoding="utf-8"))
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from e
        banks[bank.id] = bank
    return banks


def _parse_bank(name: str, raw: str) -> Bank:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    _check_keys(data, _BANK_KEYS, _OPTIONAL_BANK_KEYS, "bank")
    bank_id = _text(data, "bank")
    if f"{bank_id}.json" != name:
        # The id is how agendas refer to a bank, so a copied file left unrenamed must not load.
        raise ValueError(f'"bank" is {bank_id!r} but the file is named {name}')
    source = _text(data, "source")
    raw_questions = data.get("questions", [])
    if not isinstance(raw_questions, list):
        raise ValueError('"questions" must be a list')
    questions = tuple(_clean_text(q, '"questions"') for q in raw_questions)
    raw_prompts = data["prompts"]
    if not isinstance(raw_prompts, list) or not raw_prompts:
        raise ValueError('"prompts" must be a non-empty list')
    prompts = tuple(_parse_prompt(bank_id, source, p) for p in raw_prompts)
    _check_numbers(prompts)
    _check_bank_rules(bank_id, prompts)
    return Bank(
        id=bank_id,
        title=_text(data, "title"),
        source=source,
        attribution=_text(data, "attribution"),
        prompts=prompts,
        questions=questions,
    )


def _parse_prompt(bank_id: str, source: str, data: object) -> Prompt:
    if not isinstance(data, dict):
        raise ValueError("each prompt must be a JSON object")
    _check_keys(data, _PROMPT_KEYS, _OPTIONAL_PROMPT_KEYS, "prompt")
    number = data["number"]
    # bool is an int subclass; true/false as a number is a typo, not prompt 1 or 0.
    if not isinstance(number, int) or isinstance(number, bool):
        raise ValueError(f"prompt number {number!r} is not a whole number")
    where = f"prompt {number}"
    lens = data["lens"]
    if lens is not None and lens not in LENSES:
        raise ValueError(f"{where}: lens {lens!r} is not one of {', '.join(LENSES)}")
    pair = data.get("pair")
    return Prompt(
        bank=bank_id,
        number=number,
        lens=lens,
        text=_clean_text(data["text"], f"{where} text"),
        pair=None if pair is None else _clean_text(pair, f"{where} pair"),
        source=source,
    )


def _check_keys(data: dict[str, Any], required: set[str], optional: set[str], what: str) -> None:
    missing = required - data.keys()
    if missing:
        raise ValueError(f"{what} is missing {', '.join(sorted(missing))}")
    # Rejecting unknown keys catches a misspelt "pair" that would otherwise vanish silently.
    unknown = data.keys() - required - optional
    if unknown:
        raise ValueError(f"{what} has unknown keys {', '.join(sorted(unknown))}")


def _text(data: dict[str, Any], key: str) -> str:
    return _clean_text(data[key], f'"{key}"')


def _clean_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text")
    # Doubled spaces and stray edges are PDF-extraction leftovers; they show up on screen.
    if value != value.strip() or "  " in value:
        raise ValueError(f"{what} has doubled or surrounding spaces")
    return value


def _check_numbers(prompts: tuple[Prompt, ...]) -> None:
    numbers = [p.number for p in prompts]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise ValueError(f"prompt numbers repeated: {duplicates}")
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        raise ValueError(f"prompt numbers must run 1 to {len(numbers)}, found {sorted(numbers)}")


def _check_bank_rules(bank_id: str, prompts: tuple[Prompt, ...]) -> None:
    expected = _EXPECTED_COUNTS.get(bank_id)
    if expected is not None and len(prompts) != expected:
        raise ValueError(f"expected {expected} prompts, found {len(prompts)}")
    if bank_id == "tool3":
        for p in prompts:
            lens = next(lens for numbers, lens in _TOOL3_LENSES if p.number in numbers)
            if p.lens != lens:
                raise ValueError(f"prompt {p.number}: lens should be {lens!r}, not {p.lens!r}")
    for p in prompts:
        if bank_id in _PAIRED_BANKS and p.pair is None:
            raise ValueError(f"prompt {p.number}: needs a pair (the practice supervisor question)")
        if bank_id not in _PAIRED_BANKS and p.pair is not None:
            raise ValueError(f"prompt {p.number}: only Tool 2 prompts have a pair")
