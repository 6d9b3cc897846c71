"""Insights pages: who may see them, filters, CSV exports and what never appears."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import httpx
import pytest

from app.db.tables import Membership
from app.services.accounts import ensure_account
from tests.conftest import TEST_PASSWORD, field_error, sign_in, text_of
from tests.services import insights_fixture as fixture

pytestmark = pytest.mark.anyio

PERIOD = "from=2026-01-01&to=2026-03-31"


class TableReader(HTMLParser):
    """The text of every cell of one table on a page, row by row."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", f"table-{self.table_id}") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_on(html: str, table_id: str) -> list[list[str]]:
    reader = TableReader(table_id)
    reader.feed(html)
    assert reader.rows, f"no table {table_id} on the page"
    return reader.rows


async def organisation_with_people() -> fixture.Organisation:
    org = await fixture.build()
    await ensure_account("olga@example.org", "Olga Organiser", TEST_PASSWORD, "organiser")
    await ensure_account("adam@example.org", "Adam Admin", TEST_PASSWORD, "admin")
    # insight1 convenes group A; insight2 is an ordinary member of it.
    await Membership.update({Membership.role: "convenor"}).where(
        (Membership.group == org.a) & (Membership.user == org.users[1])
    )
    return org


async def test_organisers_and_admins_see_insights_and_nobody_else_knows_they_exist(
    db: str, client: httpx.AsyncClient
) -> None:
    await organisation_with_people()
    routes = [
        f"/organiser/insights?{PERIOD}",
        f"/organiser/insights/report?{PERIOD}",
        f"/organiser/insights/csv/by_group?{PERIOD}",
    ]
    for email in ("personinsight1@example.org", "personinsight2@example.org"):
        await sign_in(client, email)
        for url in routes:
            assert (await client.get(url)).status_code == 404, (email, url)
        client.cookies.clear()
    for email in ("olga@example.org", "adam@example.org"):
        await sign_in(client, email)
        for url in routes:
            assert (await client.get(url)).status_code == 200, (email, url)
        client.cookies.clear()


async def test_convenors_see_their_own_group_and_no_other(
    db: str, client: httpx.AsyncClient
) -> None:
    org = await organisation_with_people()
    await sign_in(client, "personinsight1@example.org")
    own = await client.get(f"/groups/{org.a}/insights?{PERIOD}")
    assert own.status_code == 200
    assert "Insights for your group" in own.text
    # A member of B and D, but not their convenor; C is private and not convened by them.
    for other in (org.b, org.c, org.d, 999999):
        assert (await client.get(f"/groups/{other}/insights")).status_code == 404
        assert (await client.get(f"/groups/{other}/insights/csv/glance")).status_code == 404
    client.cookies.clear()
    await sign_in(client, "personinsight2@example.org")
    assert (await client.get(f"/groups/{org.a}/insights")).status_code == 404
    client.cookies.clear()
    await sign_in(client, "olga@example.org")
    assert (await client.get(f"/groups/{org.a}/insights")).status_code == 404


async def test_the_csv_matches_the_page_and_opens_in_excel(
    db: str, client: httpx.AsyncClient
) -> None:
    await organisation_with_people()
    await sign_in(client, "olga@example.org")
    page = await client.get(f"/organiser/insights?{PERIOD}")
    for table_id in ("glance", "by_month", "by_kind", "by_group", "leadership_by_group", "actions"):
        response = await client.get(f"/organiser/insights/csv/{table_id}?{PERIOD}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows == table_on(page.text, table_id), table_id
    assert (await client.get(f"/organiser/insights/csv/nothing?{PERIOD}")).status_code == 404


async def test_no_name_note_or_action_text_reaches_an_organiser(
    db: str, client: httpx.AsyncClient
) -> None:
    await organisation_with_people()
    await sign_in(client, "olga@example.org")
    page = await client.get(f"/organiser/insights?{PERIOD}")
    report = await client.get(f"/organiser/insights/report?{PERIOD}")
    exports = [
        (await client.get(f"/organiser/insights/csv/{t}?{PERIOD}")).text
        for t in ("glance", "by_group", "themes", "theme_pairs", "coverage", "actions")
    ]
    for text in (page.text, report.text, *exports):
        assert "Person insight" not in text
        assert "personinsight" not in text
        assert "An action nobody outside the set may read" not in text
        assert "Private group C" not in text
        assert "Secret theme" not in text
    assert "fewer than 5" in text_of(page.text)


async def test_a_filter_works_as_a_plain_form_and_as_an_htmx_fragment(
    db: str, client: httpx.AsyncClient
) -> None:
    org = await organisation_with_people()
    await sign_in(client, "olga@example.org")
    plain = await client.get(f"/organiser/insights?{PERIOD}&kind=staff_network")
    assert [r[0] for r in table_on(plain.text, "by_group")[1:]] == ["Network B"]
    assert "<html" in plain.text
    fragment = await client.get(
        f"/organiser/insights?{PERIOD}&group={org.a}", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text
    assert 'id="insights"' in fragment.text
    assert [r[0] for r in table_on(fragment.text, "by_group")[1:]] == ["Peer group A"]


async def test_bad_filters_are_explained_beside_the_field_and_kept(
    db: str, client: httpx.AsyncClient
) -> None:
    org = await organisation_with_people()
    await sign_in(client, "olga@example.org")
    response = await client.get(f"/organiser/insights?from=2026-13-01&to=2026-03-31&group={org.c}")
    assert response.status_code == 422
    assert field_error(response.text, "from") == "Enter a date like 2026-04-30."
    assert field_error(response.text, "group") == "Choose a group from the list."
    assert 'value="2026-13-01"' in response.text
    # The private group is not offered, and its name is not echoed back.
    assert "Private group C" not in response.text
    backwards = await client.get("/organiser/insights?from=2026-03-01&to=2026-02-01")
    assert field_error(backwards.text, "to") == "The end date must be on or after the start date."


async def test_the_page_links_to_a_report_and_csv_files_that_keep_the_filters(
    db: str, client: httpx.AsyncClient
) -> None:
    await organisation_with_people()
    await sign_in(client, "olga@example.org")
    page = await client.get(f"/organiser/insights?{PERIOD}&kind=peer_support")
    query = re.escape("from=2026-01-01&amp;to=2026-03-31&amp;kind=peer_support")
    assert re.search(rf'href="/organiser/insights/report\?{query}"', page.text)
    assert re.search(rf'href="/organiser/insights/csv/by_group\?{query}"', page.text)
    report = await client.get(f"/organiser/insights/report?{PERIOD}&kind=peer_support")
    assert "Insights report" in report.text
    assert "/csv/" not in report.text


async def test_a_convenors_dates_are_checked_beside_the_field_in_place_and_as_a_form(
    db: str, client: httpx.AsyncClient
) -> None:
    org = await organisation_with_people()
    await sign_in(client, "personinsight1@example.org")
    url = f"/groups/{org.a}/insights?from=2026-03-01&to=yesterday"
    plain = await client.get(url)
    assert plain.status_code == 422
    assert field_error(plain.text, "to") == "Enter a date like 2026-04-30."
    assert 'value="yesterday"' in plain.text
    fragment = await client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 422
    assert "<html" not in fragment.text
    assert field_error(fragment.text, "to") == "Enter a date like 2026-04-30."
    good = await client.get(f"/groups/{org.a}/insights?{PERIOD}", headers={"HX-Request": "true"})
    assert "<html" not in good.text
    assert [r[0] for r in table_on(good.text, "coverage")[1:]] == ["Peer group A"]
