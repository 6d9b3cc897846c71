"""Insights pages issue the same number of SQL statements for ten times the organisation."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from litestar import Litestar

from app.db.tables import Group, Membership
from app.services.accounts import ensure_account
from app.services.demo_scale import seed_scale
from app.services.prompts import sync_prompt_banks
from tests.conftest import TEST_PASSWORD, client_for, empty_all_tables, sign_in
from tests.query_count import counting_statements

NOW = datetime.now(UTC)
PAGES = (
    "/organiser/insights",
    "/organiser/insights?kind=staff_network",
    "/organiser/insights/report",
    "/organiser/insights/csv/by_group",
    "/groups/{group}/insights",
)


async def build(staff: int, groups: int) -> dict[str, int]:
    """A synthetic organisation, an organiser, and one group's convenor."""
    await empty_all_tables()
    await sync_prompt_banks()
    await seed_scale(NOW, staff=staff, groups=groups, years=0.5)
    await ensure_account("olga@example.org", "Olga Organiser", TEST_PASSWORD, "organiser")
    convenor = await ensure_account("conv@example.org", "Con Venor", TEST_PASSWORD, "member")
    group = await Group.select(Group.id).where(Group.kind == "peer_support").first()
    assert group is not None
    await Membership.insert(
        Membership(group=group["id"], user=convenor.id, role="convenor", joined_at=NOW)
    )
    return {"group": group["id"]}


async def statements(app: Litestar, ids: dict[str, int]) -> dict[str, int]:
    counts = {}
    async with client_for(app) as client:
        await sign_in(client, "olga@example.org")
        for path in PAGES[:-1]:
            counts[path] = await _count(client, path)
    async with client_for(app) as client:
        await sign_in(client, "conv@example.org")
        counts[PAGES[-1]] = await _count(client, PAGES[-1].format(**ids))
    return counts


async def _count(client: httpx.AsyncClient, path: str) -> int:
    await client.get(path)
    with counting_statements() as seen:
        response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen)


async def test_insights_pages_issue_the_same_statements_for_ten_times_the_data(
    app: Litestar,
) -> None:
    small = await statements(app, await build(staff=60, groups=4))
    large = await statements(app, await build(staff=600, groups=40))
    assert all(n > 0 for n in small.values())
    assert small == large, f"statements grew with the data: {small} -> {large}"
