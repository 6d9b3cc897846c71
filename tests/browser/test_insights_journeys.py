"""Insights as Olga (an organiser) and Alice (a convenor) use them: filters by keyboard alone,
with JavaScript and without; charts with a text alternative and their data beside them; the
printable report; and no accessibility violations on any of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    ContextFactory,
    axe_violations,
    expect,
    format_violations,
    sign_in,
    tab_to,
    wait_for_settled_focus,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

BRITISH = {"locale": "en-GB", "timezone_id": "Europe/London"}


def _assert_axe_clean(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(violations)


@pytest.fixture
def olga(new_context: ContextFactory, request: pytest.FixtureRequest) -> Iterator[Page]:
    context, watch = new_context(java_script_enabled=request.param, **BRITISH)
    page = context.new_page()
    sign_in(page, "olga")
    yield page
    watch.assert_clean()


@pytest.mark.parametrize(
    "olga", [True, False], ids=["with_javascript", "without_javascript"], indirect=True
)
def test_olga_narrows_the_insights_to_staff_networks_by_keyboard_alone(olga: Page) -> None:
    page = olga
    page.goto("/")
    tab_to(page, "Insights")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/organiser/insights$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights across groups")
    _assert_axe_clean(page)

    tab_to(page, "Kind of group")
    # A closed select changes with the arrow keys, as a keyboard user picks an option.
    for _ in range(5):
        if page.locator("#kind").input_value() == "staff_network":
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#kind").input_value() == "staff_network"
    tab_to(page, "Show figures")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"kind=staff_network"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["kind"] == ["staff_network"]
    wait_for_settled_focus(page)
    groups = page.locator("#table-by_group tbody th[scope=row]").all_inner_texts()
    assert groups, "no groups listed for staff networks"
    assert all("network" in name.lower() for name in groups), groups
    expect(page.locator("#kind")).to_have_value("staff_network")
    _assert_axe_clean(page)


@pytest.mark.parametrize("olga", [True], ids=["with_javascript"], indirect=True)
def test_every_chart_has_a_name_a_summary_and_its_data_beside_it(olga: Page) -> None:
    page = olga
    page.goto("/organiser/insights")
    charts = page.locator("figure.chart")
    assert charts.count() >= 4
    for i in range(charts.count()):
        figure = charts.nth(i)
        svg = figure.locator("svg[role=img]")
        if svg.count():
            name = svg.evaluate(
                "(el) => { const id = el.getAttribute('aria-labelledby');"
                " return id ? document.getElementById(id).textContent : ''; }"
            )
            assert name.strip(), "a chart without a text name"
        summary = figure.locator("p").first.inner_text()
        assert summary.strip(), "a chart without a text summary"
        assert figure.locator("table caption").count() == 1, "a chart without its data table"
    _assert_axe_clean(page)


@pytest.mark.parametrize("olga", [True], ids=["with_javascript"], indirect=True)
def test_the_printable_report_is_clean_and_prints_the_charts_and_tables(olga: Page) -> None:
    page = olga
    page.goto("/organiser/insights")
    page.get_by_role("link", name="Printable report of these figures").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Insights report")
    _assert_axe_clean(page)
    page.emulate_media(media="print")
    # The filter form and the navigation are for the screen; the figures are for paper.
    expect(page.locator("figure.chart").first).to_be_visible()
    expect(page.locator("table.figures").first).to_be_visible()
    expect(page.locator(".site-header")).to_be_hidden()


@pytest.mark.parametrize("javascript", [True, False], ids=["with_javascript", "without_javascript"])
def test_alice_sees_her_own_groups_insights_from_its_page(
    new_context: ContextFactory, javascript: bool
) -> None:
    context, watch = new_context(java_script_enabled=javascript, **BRITISH)
    page = context.new_page()
    sign_in(page, "alice")
    page.goto("/groups")
    page.get_by_role("link", name=re.compile("Night shift peer support", re.I)).first.click()
    tab_to(page, "Insights: attendance, shared leadership and themes")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights for your group")
    _assert_axe_clean(page)
    tab_to(page, "From")
    # A date field takes digits in the locale's order: day, month, year for en-GB.
    page.keyboard.type("01012025")
    tab_to(page, "Show figures")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"from=2025-01-01"))
    expect(page.locator("#table-glance")).to_be_visible()
    _assert_axe_clean(page)
    watch.assert_clean()
