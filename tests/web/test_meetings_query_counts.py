"""Session pages issue the same number of SQL statements however big the group is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from litestar import Litestar

from app.db.engine import write_transaction
from app.db.tables import Meeting, Membership, Rsvp
from app.services import meetings
from tests.conftest import client_for, empty_all_tables, sign_in
from tests.query_count import counting_statements
from tests.services.groups_support import group_of, person

NOW = datetime.now(UTC)


async def build(members: int, past_weeks: int) -> dict[str, int]:
    await empty_all_tables()
    from app.services.prompts import sync_prompt_banks

    await sync_prompt_banks()
    convenor = await person("convenor")
    gid = await group_of("peer_support", convenor, name="Peers")
    people = [await person(n) for n in range(members)]
    async with write_transaction():
        await Membership.insert(
            *[
                Membership(group=gid, user=p.id, joined_at=NOW, accepted_rules_version=1)
                for p in people
            ]
        )
    start = NOW - timedelta(weeks=past_weeks)
    schedule = {
        "rule": "weekly",
        "first_date": start.date().isoformat(),
        "local_start": "18:00",
        "minutes": "90",
    }
    await meetings.save_schedule(gid, convenor, schedule, start - timedelta(days=1))
    for week in range(0, past_weeks, 4):
        await meetings.materialise(gid, start + timedelta(weeks=week))
    await meetings.materialise(gid, NOW)
    upcoming = (
        await Meeting.select(Meeting.id)
        .where((Meeting.group == gid) & (Meeting.starts_at > NOW))
        .order_by(Meeting.starts_at)
        .first()
    )["id"]
    await Rsvp.insert(
        *[Rsvp(meeting=upcoming, user=p.id, answer="going", answered_at=NOW) for p in people]
    )
    return {"group": gid, "meeting": upcoming}


PAGES = ("/groups/{group}", "/meetings/{meeting}", "/account/calendar")


async def statements(app: Litestar, ids: dict[str, int], who: str) -> dict[str, int]:
    counts = {}
    async with client_for(app) as client:
        await sign_in(client, who)
        for template in PAGES:
            path = template.format(**ids)
            await client.get(path)
            with counting_statements() as seen:
                assert (await client.get(path)).status_code == 200, path
            counts[template] = len(seen)
        feed = re.search(
            r"http://testserver(/calendar/[\w-]+\.ics)",
            (await client.get("/account/calendar")).text,
        ).group(1)
        with counting_statements() as seen:
            assert (await client.get(feed)).status_code == 200
        counts["feed"] = len(seen)
    return counts


async def test_session_pages_issue_the_same_statements_with_ten_times_the_members_and_meetings(
    app: Litestar,
) -> None:
    small = [
        await statements(app, await build(5, 4), who)
        for who in ("personconvenor@example.org", "person0@example.org")
    ]
    large = [
        await statements(app, await build(50, 40), who)
        for who in ("personconvenor@example.org", "person0@example.org")
    ]
    assert all(n > 0 for counts in small for n in counts.values())
    assert small == large, f"statements grew with the data: {small} -> {large}"
