"""Insights figures against values worked out by hand (tests/services/insights_fixture.py)."""

from __future__ import annotations

import pytest

from app.domain.disclosure import Shown
from app.services.insights import Insights, Table, group_insights, organiser_insights
from tests.services import insights_fixture as fixture

pytestmark = pytest.mark.anyio


def row(table: Table, first: str) -> dict[str, object]:
    for cells in table.rows:
        if cells[0] == first:
            return dict(zip(table.columns, cells, strict=True))
    raise AssertionError(f"no row {first!r} in {table.id}: {[r[0] for r in table.rows]}")


def value(cell: object) -> object:
    assert isinstance(cell, Shown), cell
    assert cell.state == "shown", f"{cell} is not shown"
    return cell.value


def state(cell: object) -> str:
    assert isinstance(cell, Shown), cell
    return cell.state


async def organiser_view(db: str) -> tuple[fixture.Organisation, Insights]:
    org = await fixture.build()
    return org, await organiser_insights(fixture.FILTERS, fixture.NOW)


async def test_participation_by_group_matches_the_hand_count(db: str) -> None:
    _, view = await organiser_view(db)
    a = row(view.tables["by_group"], "Peer group A")
    assert value(a["Meetings held"]) == 3
    assert value(a["Cancelled"]) == 1
    assert value(a["Average attendance"]) == pytest.approx(14 / 3)
    assert value(a["Attendance rate"]) == pytest.approx(14 / 19)
    assert value(a["Active members"]) == 6
    assert value(a["Said going but didn't come"]) == pytest.approx(1 / 10)
    # One person joined and one left: figures about one person are never shown.
    assert state(a["New members"]) == "small"
    assert state(a["Members leaving"]) == "small"


async def test_a_small_network_shows_no_figure_about_its_few_people(db: str) -> None:
    _, view = await organiser_view(db)
    b = row(view.tables["by_group"], "Network B")
    assert value(b["Meetings held"]) == 1
    for column in ("Average attendance", "Attendance rate", "Active members"):
        assert state(b[column]) == "small"
    assert state(b["Said going but didn't come"]) == "none"


async def test_totals_cover_every_listed_group_and_no_private_one(db: str) -> None:
    _, view = await organiser_view(db)
    everything = row(view.tables["by_kind"], "All groups")
    assert value(everything["Meetings held"]) == 5
    assert value(everything["Cancelled"]) == 1
    assert value(everything["Attendance rate"]) == pytest.approx(22 / 28)
    assert value(everything["Active members"]) == 8
    names = {r[0] for r in view.tables["by_group"].rows}
    assert names == {"Peer group A", "Network B", "Set D"}


async def test_months_add_up_and_a_month_with_few_people_is_protected(db: str) -> None:
    _, view = await organiser_view(db)
    months = view.tables["by_month"]
    assert [r[0] for r in months.rows] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    january, february, march = (row(months, m) for m in ("Jan 2026", "Feb 2026", "Mar 2026"))
    assert value(january["Meetings held"]) == 3
    assert value(january["Attendance rate"]) == pytest.approx(13 / 15)
    assert state(february["Attendance rate"]) == "small"
    assert value(march["Cancelled"]) == 1
    assert value(march["Attendance rate"]) == pytest.approx(5 / 6)


async def test_leadership_share_and_spread_match_the_hand_count(db: str) -> None:
    _, view = await organiser_view(db)
    a = row(view.tables["leadership_by_group"], "Peer group A")
    assert value(a["Members who led"]) == pytest.approx(2 / 7)
    # Turns [2, 1, 0, 0, 0, 0, 0]: sum of |xi - xj| over ordered pairs is 32; 32 / (2 * 49 * 3/7).
    assert value(a["Spread of turns (Gini)"]) == pytest.approx(32 / 42)
    assert state(a["First-time leads"]) == "small"
    everything = row(view.tables["leadership_by_kind"], "All groups")
    assert value(everything["Members who led"]) == pytest.approx(2 / 16)


async def test_first_time_leads_are_counted_once_and_shadowing_before_is_seen(db: str) -> None:
    org = await fixture.build()
    view = await group_insights(org.a, fixture.FILTERS, fixture.NOW)
    readings = {r.label: r for r in view.leadership}
    first = readings["First-time leads"].figure
    shadowed = readings["Shadowed before their first lead"].figure
    # One first-time lead (u2, who shadowed in January): about one person, so protected.
    assert first.state == "small" and shadowed.state == "small"
    assert "Too few" in readings["First-time leads"].sentence or first.text in (
        readings["First-time leads"].sentence
    )


async def test_themes_are_ranked_by_quarter_with_small_ones_left_out(db: str) -> None:
    _, view = await organiser_view(db)
    themes = view.tables["themes"]
    ranked = [(r[0], r[1], r[2], value(r[3])) for r in themes.rows]
    assert ranked == [
        ("Jan\N{EN DASH}Mar 2026", "1", "Workload", 2),
        ("Jan\N{EN DASH}Mar 2026", "2", "Wellbeing", 1),
    ]
    pairs = [(r[0], r[1], value(r[2])) for r in view.tables["theme_pairs"].rows]
    assert pairs == [("Workload", "Wellbeing", 1)]
    everywhere = repr(view)
    assert "Belonging" not in [r[2] for r in themes.rows]
    assert "Secret theme" not in everywhere


async def test_reflective_coverage_lists_the_tool_3_questions_used(db: str) -> None:
    _, view = await organiser_view(db)
    a = row(view.tables["coverage"], "Peer group A")
    assert (a["Self"], a["Supervisor/leader"], a["Team"], a["Organisation"]) == (
        "1 of 5",
        "1 of 5",
        "1 of 6",
        "0 of 4",
    )
    assert a["Questions used"] == "1, 6, 11"
    assert row(view.tables["coverage"], "Network B")["Questions used"] == "None yet"


async def test_actions_are_counted_by_state_and_one_small_state_hides_a_second(db: str) -> None:
    _, view = await organiser_view(db)
    d = row(view.tables["actions"], "Set D")
    assert value(d["Actions set"]) == 12
    assert value(d["Done"]) == 6
    assert state(d["Still open"]) == "small"
    # With the total shown, a lone small cell could be worked out: a second is hidden.
    assert state(d["Carried over"]) == "hidden"
    assert value(d["Dropped"]) == 0
    everything = row(view.tables["actions"], "All sets")
    assert state(everything["Carried over"]) != "shown"


async def test_a_convenors_view_has_the_same_figures_for_their_group(db: str) -> None:
    org = await fixture.build()
    mine = await group_insights(org.a, fixture.FILTERS, fixture.NOW)
    glance = {r.label: r.figure for r in mine.glance}
    assert glance["Meetings held"].value == 3
    assert glance["Attendance rate"].value == pytest.approx(14 / 19)
    assert glance["Active members"].value == 6
    assert "by_group" not in mine.tables
    assert [r[0] for r in mine.tables["coverage"].rows] == ["Peer group A"]


async def test_a_private_group_is_seen_by_its_convenor_only_in_its_own_view(db: str) -> None:
    org = await fixture.build()
    mine = await group_insights(org.c, fixture.FILTERS, fixture.NOW)
    glance = {r.label: r.figure for r in mine.glance}
    assert glance["Meetings held"].value == 1
    everyone = await organiser_insights(fixture.FILTERS, fixture.NOW)
    assert "Private group C" not in repr(everyone)
