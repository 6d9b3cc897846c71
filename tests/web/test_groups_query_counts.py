"""A page's SQL statement count must not grow with the data behind it."""

from __future__ import annotations

from litestar import Litestar

from app.db.engine import write_transaction
from app.db.tables import Group, JoinRequest, Membership, User
from app.services import membership
from tests.conftest import client_for, empty_all_tables, sign_in
from tests.query_count import counting_statements
from tests.services.groups_support import NOW, group_of, person

KINDS = ("peer_support", "staff_network", "reflective_forum")


async def build(groups_per_kind: int, members_per_group: int) -> dict[str, int]:
    await empty_all_tables()
    alice = await person("alice", role="admin")
    people = [await person(n) for n in range(members_per_group)]
    ids: dict[str, int] = {}
    for kind in KINDS:
        for n in range(groups_per_kind):
            gid = await group_of(kind, alice, name=f"{kind} {n}")
            ids.setdefault(kind, gid)
            async with write_transaction():
                await Membership.insert(
                    *[
                        Membership(group=gid, user=p.id, joined_at=NOW, accepted_rules_version=1)
                        for p in people
                    ]
                )
    outsiders = [await person(f"o{n}") for n in range(members_per_group)]
    for p in outsiders:
        await membership.request_to_join(ids["peer_support"], p, "Hello", True, NOW)
    return ids


PAGES = (
    "/",
    "/groups",
    "/groups?kind=staff_network&space=true",
    "/groups/{peer_support}",
    "/groups/{staff_network}",
    "/groups/{peer_support}/members",
    "/groups/{staff_network}/members",
    "/groups/{peer_support}/requests",
    "/organiser/groups",
)


async def statements_per_page(app: Litestar, ids: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with client_for(app) as client:
        await sign_in(client, "personalice@example.org")
        for template in PAGES:
            path = template.format(**ids)
            await client.get(path)  # warm: flashes and first-visit writes are not the page
            with counting_statements() as seen:
                response = await client.get(path)
            assert response.status_code == 200, path
            counts[template] = len(seen)
    return counts


async def test_no_group_page_issues_more_statements_with_ten_times_the_data(app: Litestar) -> None:
    small = await statements_per_page(app, await build(groups_per_kind=2, members_per_group=5))
    large = await statements_per_page(app, await build(groups_per_kind=20, members_per_group=50))
    assert (
        await Group.count() == 60 and await User.count() > 100 and await JoinRequest.count() == 50
    )
    assert all(n > 0 for n in small.values()), small
    grew = {page: (small[page], large[page]) for page in PAGES if small[page] != large[page]}
    assert grew == {}, f"statements grew with the data (small, large): {grew}"
