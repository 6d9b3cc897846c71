"""How the group directory holds up against the bare cost of rendering it.

Serves the real /groups page and the same template rendered from in-memory data, in one
process, alternating request by request, and prints the ratio of CPU time per request
(in-memory / real) as PERF.md describes, plus the page's SQL statement count at demo size
and at 10x the groups and members. Not a test: it never fails on a time.

    .venv/bin/python benchmarks/directory_page.py            # SQLite in a temporary folder
    DATABASE_URL=postgresql://... SECRET_KEY=... .venv/bin/python benchmarks/directory_page.py

Goals from PERF.md: ratio at least 0.35 on SQLite and 0.5 on PostgreSQL; the statement
count the same at both sizes.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = tempfile.mkdtemp(prefix="roundtable-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/bench.sqlite3")
os.environ.setdefault("VAR_DIR", _TMP)
os.environ["SCHEDULER"] = "off"
os.environ["MAIL_BACKEND"] = "memory"

import httpx  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from litestar import Request, get  # noqa: E402
from litestar.response import Template  # noqa: E402

from app.asgi import create_app  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.db.engine import write_transaction  # noqa: E402
from app.db.migrate import apply_migrations  # noqa: E402
from app.db.tables import ALL_TABLES, Group, Membership  # noqa: E402
from app.domain.groups import KINDS, defaults_for  # noqa: E402
from app.services import passwords  # noqa: E402
from app.services.accounts import ensure_account  # noqa: E402
from app.services.groups import DirectoryFilters, directory  # noqa: E402
from app.services.membership import create_group  # noqa: E402
from app.web.groups import form_choices  # noqa: E402
from app.web.render import Form, page  # noqa: E402

NOW = datetime(2026, 11, 29, tzinfo=UTC)
ROUNDS = 200
passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


async def reset() -> None:
    for table in reversed(ALL_TABLES):
        await table.delete(force=True)


async def seed(groups: int, members_per_group: int) -> None:
    await reset()
    owner = await ensure_account(
        "bench@example.org", "Bench Person", "benchmark-password", "member"
    )
    people = [
        await ensure_account(f"m{n}@example.org", f"Member {n}", "benchmark-password", "member")
        for n in range(members_per_group)
    ]
    kinds = [k for k in KINDS if k != "action_learning"]
    for n in range(groups):
        kind = kinds[n % len(kinds)]
        settings = replace(defaults_for(kind, date(2026, 11, 29)), name=f"{KINDS[kind]} {n:04d}")
        gid = await create_group(owner, settings, "Europe/London", NOW)
        async with write_transaction():
            await Membership.insert(
                *[
                    Membership(group=gid, user=p.id, joined_at=NOW, accepted_rules_version=1)
                    for p in people
                ]
            )


def count_statements() -> tuple[list[str], Any]:
    engine_class: Any = type(Group._meta.db)
    original = engine_class.run_querystring
    seen: list[str] = []

    async def counted(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        seen.append(str(querystring))
        return await original(self, querystring, in_pool=in_pool)

    engine_class.run_querystring = counted
    return seen, lambda: setattr(engine_class, "run_querystring", original)


async def measure(client: httpx.AsyncClient, path: str) -> float:
    start = time.process_time()
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return time.process_time() - start


async def run_size(label: str, groups: int, members: int) -> dict[str, float]:
    settings = load_settings()
    app = create_app(settings)
    account_holder: dict[str, Any] = {}

    @get("/bench/directory-in-memory")
    async def in_memory(request: Request[Any, Any, Any]) -> Template:
        # The same template and context as /groups, from data fetched once up front.
        return page(
            request,
            "groups/directory.html",
            entries=account_holder["entries"],
            form=Form(),
            **form_choices(),
        )

    app.register(in_memory)
    async with app.lifespan():
        await seed(groups, members)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get("/sign-in")
            token = client.cookies["rt_csrf"]
            await client.post(
                "/sign-in",
                data={
                    "email": "bench@example.org",
                    "password": "benchmark-password",
                    "_csrf_token": token,
                },
            )
            account = await _bench_account()
            account_holder["entries"] = await directory(account, DirectoryFilters())
            for _ in range(20):  # warm both paths
                await measure(client, "/groups")
                await measure(client, "/bench/directory-in-memory")
            seen, restore = count_statements()
            await client.get("/groups")
            statements = len(seen)
            restore()
            real = memory = 0.0
            for _ in range(ROUNDS):
                real += await measure(client, "/groups")
                memory += await measure(client, "/bench/directory-in-memory")
        await reset()
    real_us, memory_us = real / ROUNDS * 1e6, memory / ROUNDS * 1e6
    print(
        f"{label:>5}: {groups} groups x {members} members | real {real_us:7.0f} us/request | "
        f"in-memory {memory_us:7.0f} us/request | ratio {memory_us / real_us:.2f} | "
        f"SQL statements {statements}"
    )
    return {"statements": statements, "ratio": memory_us / real_us}


async def _bench_account() -> Any:
    from app.db.tables import User
    from app.services.accounts import get_account

    row = await User.select(User.id).where(User.email == "bench@example.org").first()
    return await get_account(row["id"])


async def main() -> None:
    settings = load_settings()
    from app.db.engine import bind_tables, close_engine, engine_for, open_engine

    engine = engine_for(settings.database_url)
    bind_tables(engine)
    await open_engine(engine)
    await apply_migrations(settings.database_url, quiet=True)
    await close_engine(engine)
    backend = "SQLite" if settings.is_sqlite else "PostgreSQL"
    print(f"Group directory (/groups) on {backend}, {ROUNDS} alternating requests per path")
    print(
        "Both paths load the session and the signed-in account; "
        "the difference is the page's own SQL."
    )
    small = await run_size("demo", 5, 10)
    large = await run_size("10x", 50, 100)
    same = "the same" if small["statements"] == large["statements"] else "DIFFERENT"
    print(
        f"Statement count is {same} at both sizes "
        f"({small['statements']} and {large['statements']})."
    )


if __name__ == "__main__":
    asyncio.run(main())
