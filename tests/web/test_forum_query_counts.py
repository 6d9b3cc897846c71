"""Forum pages issue the same number of SQL statements however many threads and posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import Litestar

from app.db.engine import write_transaction
from app.db.tables import ForumAck, ForumPost, ForumReport, ForumThread, Membership
from tests.conftest import client_for, empty_all_tables, sign_in
from tests.query_count import counting_statements
from tests.services.groups_support import group_of, person

NOW = datetime.now(UTC)


async def build(threads: int, posts: int) -> dict[str, int]:
    """A network whose threads each have posts (some anonymous), acks and reports."""
    await empty_all_tables()
    convenor = await person("convenor")
    gid = await group_of("staff_network", convenor, name="Network")
    people = [await person(n) for n in range(4)]
    async with write_transaction():
        await Membership.insert(
            *[
                Membership(group=gid, user=p.id, joined_at=NOW, accepted_rules_version=1)
                for p in people
            ]
        )
        for t in range(threads):
            rows = await ForumThread.insert(
                ForumThread(
                    group=gid,
                    title=f"Thread {t}",
                    created_at=NOW,
                    last_post_at=NOW + timedelta(minutes=t),
                )
            ).returning(ForumThread.id)
            thread_id = rows[0]["id"]
            made = await ForumPost.insert(
                *[
                    ForumPost(
                        thread=thread_id,
                        author=people[n % 4].id,
                        anonymous=n % 2 == 0,
                        body=f"Post {n} about handover",
                        created_at=NOW,
                    )
                    for n in range(posts)
                ]
            ).returning(ForumPost.id)
            ids = [r["id"] for r in made]
            await ForumAck.insert(*[ForumAck(post=i, user=convenor.id) for i in ids])
            await ForumReport.insert(
                *[
                    ForumReport(post=i, reporter=people[1].id, reason="Check", created_at=NOW)
                    for i in ids[::3]
                ]
            )
    return {"group": gid, "thread": thread_id}


PAGES = (
    "/groups/{group}/forum",
    "/forum/threads/{thread}",
    "/groups/{group}/forum/search?q=handover",
    "/groups/{group}/forum/reports",
)


async def statements(app: Litestar, ids: dict[str, int], who: str) -> dict[str, int]:
    counts = {}
    async with client_for(app) as client:
        await sign_in(client, who)
        for template in PAGES:
            path = template.format(**ids)
            await client.get(path)
            with counting_statements() as seen:
                response = await client.get(path)
            counts[template] = len(seen)
            counts[f"{template} status"] = response.status_code
    return counts


async def test_forum_pages_issue_the_same_statements_with_many_more_threads_and_posts(
    app: Litestar,
) -> None:
    who = ("personconvenor@example.org", "person0@example.org")
    small = [await statements(app, await build(2, 3), w) for w in who]
    large = [await statements(app, await build(15, 28), w) for w in who]
    assert small[0]["/groups/{group}/forum/reports status"] == 200
    assert small[1]["/groups/{group}/forum/reports status"] == 404
    assert all(n > 0 for counts in small for n in counts.values())
    assert small == large, f"statements grew with the data: {small} -> {large}"
