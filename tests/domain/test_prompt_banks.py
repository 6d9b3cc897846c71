from __future__ import annotations

import json
import shutil
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest

from app.domain.prompts import BANK_IDS, LENS_LABELS, LENSES, load_banks


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged banks, to break one file at a time."""
    with as_file(files("app").joinpath("prompt_banks")) as packaged:
        for f in Path(packaged).glob("*.json"):
            shutil.copy(f, tmp_path / f.name)
    return tmp_path


def edit(folder: Path, name: str, change: Any) -> None:
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_all_five_banks_load_from_the_package() -> None:
    assert list(load_banks()) == list(BANK_IDS)


def test_tool_3_has_twenty_numbered_questions_under_the_four_lenses() -> None:
    tool3 = load_banks()["tool3"]
    assert [p.number for p in tool3.prompts] == list(range(1, 21))
    by_lens = {lens: [p.number for p in tool3.prompts if p.lens == lens] for lens in LENSES}
    assert by_lens == {
        "self": [1, 2, 3, 4, 5],
        "supervisor": [6, 7, 8, 9, 10],
        "team": [11, 12, 13, 14, 15, 16],
        "organisation": [17, 18, 19, 20],
    }
    assert tool3.prompts[0].text == (
        "How can you build on existing practices, or develop new practices to process your "
        "emotions, sustainably and healthily?"
    )


def test_the_self_questions_each_end_where_the_next_begins() -> None:
    self_questions = [p.text for p in load_banks()["tool3"].prompts if p.lens == "self"]
    assert [q.split()[:3] for q in self_questions] == [
        ["How", "can", "you"],
        ["When", "have", "you"],
        ["In", "recalling", "situations"],
        ["When", "does", "your"],
        ["How", "is", "your"],
    ]
    assert all(q.endswith("?") for q in self_questions)


def test_every_lens_has_a_display_label() -> None:
    assert set(LENS_LABELS) == set(LENSES)
    assert LENS_LABELS["supervisor"] == "Supervisor/leader"


def test_nussbaum_has_seven_dimensions_and_caring_conversations_six_processes() -> None:
    banks = load_banks()
    assert len(banks["nussbaum"].prompts) == 7
    assert len(banks["caring_conversations"].prompts) == 6
    assert banks["caring_conversations"].prompts[0].text.startswith("Caring conversations: ")


@pytest.mark.parametrize("bank_id", BANK_IDS)
def test_every_bank_has_a_source_and_attribution_naming_research_in_practice_for_adults(
    bank_id: str,
) -> None:
    bank = load_banks()[bank_id]
    assert "Research in Practice for Adults" in bank.source
    assert "Leading with compassion" in bank.source
    assert "Research in Practice for Adults" in bank.attribution
    assert all(p.source == bank.source and p.bank == bank_id for p in bank.prompts)


def test_every_tool_2_prompt_pairs_a_practitioner_question_with_a_supervisor_question() -> None:
    tool2 = load_banks()["tool2"]
    assert len(tool2.prompts) == 7
    assert all(p.pair and p.pair.endswith("?") and p.lens is None for p in tool2.prompts)
    assert len(tool2.questions) == 2


def test_only_tool_2_prompts_have_a_pair() -> None:
    for bank_id, bank in load_banks().items():
        if bank_id != "tool2":
            assert all(p.pair is None for p in bank.prompts), bank_id


def test_every_text_is_non_empty_and_free_of_doubled_spaces() -> None:
    for bank in load_banks().values():
        texts = [bank.title, bank.source, bank.attribution, *bank.questions]
        texts += [t for p in bank.prompts for t in (p.text, p.pair) if t is not None]
        for text in texts:
            assert text.strip() == text != "", (bank.id, text)
            assert "  " not in text, (bank.id, text)


def test_load_banks_accepts_an_intact_copy(bank_copy: Path) -> None:
    assert load_banks(bank_copy) == load_banks()


def test_load_banks_rejects_invalid_json_naming_the_file(bank_copy: Path) -> None:
    (bank_copy / "nussbaum.json").write_text('{"bank": "nussbaum",', encoding="utf-8")
    with pytest.raises(ValueError, match=r"^nussbaum\.json: not valid JSON"):
        load_banks(bank_copy)


def test_load_banks_rejects_a_tool_3_question_under_the_wrong_lens(bank_copy: Path) -> None:
    def move_question_6_to_self(data: dict[str, Any]) -> None:
        data["prompts"][5]["lens"] = "self"

    edit(bank_copy, "tool3.json", move_question_6_to_self)
    with pytest.raises(ValueError, match=r"^tool3\.json: prompt 6: lens should be 'supervisor'"):
        load_banks(bank_copy)


def test_load_banks_rejects_a_missing_tool_3_question(bank_copy: Path) -> None:
    edit(bank_copy, "tool3.json", lambda data: data["prompts"].pop())
    with pytest.raises(ValueError, match=r"^tool3\.json: expected 20 prompts, found 19"):
        load_banks(bank_copy)


def test_load_banks_rejects_repeated_or_gapped_numbers(bank_copy: Path) -> None:
    def repeat(data: dict[str, Any]) -> None:
        data["prompts"][1]["number"] = 1

    edit(bank_copy, "tool1.json", repeat)
    with pytest.raises(ValueError, match=r"^tool1\.json: prompt numbers repeated: \[1\]"):
        load_banks(bank_copy)

    def gap(data: dict[str, Any]) -> None:
        data["prompts"][1]["number"] = 2
        data["prompts"][-1]["number"] = 99

    edit(bank_copy, "tool1.json", gap)
    with pytest.raises(ValueError, match=r"^tool1\.json: prompt numbers must run 1 to 9"):
        load_banks(bank_copy)


def test_load_banks_rejects_a_tool_2_prompt_without_its_pair(bank_copy: Path) -> None:
    edit(bank_copy, "tool2.json", lambda data: data["prompts"][2].pop("pair"))
    with pytest.raises(ValueError, match=r"^tool2\.json: prompt 3: needs a pair"):
        load_banks(bank_copy)


def test_load_banks_rejects_nussbaum_with_only_six_dimensions(bank_copy: Path) -> None:
    edit(bank_copy, "nussbaum.json", lambda data: data["prompts"].pop())
    with pytest.raises(ValueError, match=r"^nussbaum\.json: expected 7 prompts, found 6"):
        load_banks(bank_copy)


def test_load_banks_rejects_doubled_spaces(bank_copy: Path) -> None:
    def double_space(data: dict[str, Any]) -> None:
        data["prompts"][0]["text"] = data["prompts"][0]["text"].replace(" ", "  ", 1)

    edit(bank_copy, "caring_conversations.json", double_space)
    with pytest.raises(ValueError, match=r"^caring_conversations\.json: prompt 1 text has doubled"):
        load_banks(bank_copy)


def test_load_banks_rejects_a_file_whose_bank_id_differs_from_its_name(bank_copy: Path) -> None:
    shutil.copy(bank_copy / "tool3.json", bank_copy / "caring_conversations.json")
    with pytest.raises(ValueError, match=r"^caring_conversations\.json: \"bank\" is 'tool3'"):
        load_banks(bank_copy)


def test_load_banks_rejects_a_folder_missing_a_bank(bank_copy: Path) -> None:
    (bank_copy / "caring_conversations.json").unlink()
    with pytest.raises(
        ValueError, match=r"^caring_conversations\.json: prompt bank file is missing"
    ):
        load_banks(bank_copy)


def test_load_banks_rejects_a_bank_without_a_source(bank_copy: Path) -> None:
    edit(bank_copy, "tool3.json", lambda data: data.pop("source"))
    with pytest.raises(ValueError, match=r"^tool3\.json: bank is missing source"):
        load_banks(bank_copy)
