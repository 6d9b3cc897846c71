"""How the organiser insights page holds up as the organisation grows.

Builds three databases: the demo; the demo plus an organisation about 50 times its
meetings (500 staff, 30 groups, three years), the size the issue's goal speaks of; and
the demo plus `roundtable demo --scale large` (5,000 staff, 300 groups, three years of
fortnightly meetings, about 480 times). Serves /organiser/insights from all three in one
process, alternating request by request, and prints the time per request at each size,
each size's time and data ratios to the demo, and the page's SQL statement counts. Not
a test: it never fails on a time.

    .venv/bin/python benchmarks/insights_page.py                 # SQLite, temporary files
    BENCH_POSTGRES=postgresql://postgres@127.0.0.1:5432 .venv/bin/python benchmarks/insights_page.py

With BENCH_POSTGRES, databases roundtable_bench_demo, _fifty and _large are dropped and
created on that server. Goal from the issue: at most 3x the time for 50x
the data, with the same statement count at both sizes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = tempfile.mkdtemp(prefix="roundtable-bench-")
_POSTGRES = os.environ.get("BENCH_POSTGRES", "").rstrip("/")
os.environ["DATABASE_URL"] = (
    f"{_POSTGRES}/roundtable_bench_demo" if _POSTGRES else f"sqlite:///{_TMP}/demo.sqlite3"
)
os.environ.setdefault("VAR_DIR", _TMP)
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-that-is-long-enough-0123")
os.environ["SCHEDULER"] = "off"
os.environ["MAIL_BACKEND"] = "memory"

import httpx  # noqa: E402
from litestar import Litestar  # noqa: E402

from app.asgi import create_app  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.db.engine import bind_tables, close_engine, engine_for, open_engine  # noqa: E402
from app.db.tables import Meeting  # noqa: E402
from app.services.demo import DEMO_PASSWORD  # noqa: E402
from tests.query_count import counting_statements  # noqa: E402

ROUNDS = 15
PAGE = "/organiser/insights"


def _database_url(size: str) -> str:
    if _POSTGRES:
        return f"{_POSTGRES}/roundtable_bench_{size}"
    return f"sqlite:///{_TMP}/{size}.sqlite3"


def _recreate_postgres(size: str) -> None:
    name = f"roundtable_bench_{size}"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(
            ["psql", f"{_POSTGRES}/postgres", "-qc", sql],
            check=True,
        )


def seed(size: str) -> float:
    """Seed one size through the real command, in its own process; returns the seconds.

    A separate process because Piccolo's migration runner keeps the first database it was
    pointed at for the life of a process.
    """
    url = _database_url(size)
    env = {**os.environ, "DATABASE_URL": url}
    command = str(Path(sys.executable).parent / "roundtable")
    if _POSTGRES:
        _recreate_postgres(size)
        subprocess.run([command, "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    scale = ["--scale", "large"] if size == "large" else []
    subprocess.run([command, "demo", *scale], env=env, check=True, capture_output=True)
    if size == "fifty":
        subprocess.run(
            [sys.executable, "-c", FIFTY_TIMES], env=env, check=True, capture_output=True
        )
    return time.perf_counter() - started


# The same generator as --scale large, a tenth the staff and groups.
FIFTY_TIMES = """
import asyncio
from datetime import UTC, datetime
from app.config import load_settings
from app.db.engine import bind_tables, close_engine, engine_for, open_engine
from app.services.demo_scale import seed_scale

async def main():
    engine = engine_for(load_settings().database_url)
    bind_tables(engine)
    await open_engine(engine)
    await seed_scale(datetime.now(UTC), staff=500, groups=30, years=3)
    await close_engine(engine)

asyncio.run(main())
"""


async def open_size(size: str) -> tuple[Any, int]:
    """An open engine on one size's database, and how many meetings it holds."""
    engine = engine_for(_database_url(size))
    bind_tables(engine)
    await open_engine(engine)
    return engine, await Meeting.count()


async def signed_in_client(app: Litestar) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    client = httpx.AsyncClient(transport=transport, base_url="http://bench")
    await client.get("/sign-in")
    await client.post(
        "/sign-in",
        data={
            "email": "olga@example.org",
            "password": DEMO_PASSWORD,
            "_csrf_token": client.cookies["rt_csrf"],
        },
    )
    return client


async def timed(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    response = await client.get(PAGE)
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - started


SIZES = ("demo", "fifty", "large")


async def main(seeded: dict[str, float]) -> None:
    backend = "PostgreSQL" if _POSTGRES else "SQLite"
    print(f"Organiser insights ({PAGE}, the last twelve months) on {backend}")
    engines: dict[str, Any] = {}
    meetings: dict[str, int] = {}
    for size in SIZES:
        engines[size], meetings[size] = await open_size(size)
        print(f"  {size}: {meetings[size]:,} meetings, seeded in {seeded[size]:.1f} s")

    apps = {
        size: create_app(load_settings({**os.environ, "DATABASE_URL": _database_url(size)}))
        for size in engines
    }
    clients: dict[str, httpx.AsyncClient] = {}
    counts: dict[str, int] = {}
    times: dict[str, list[float]] = {size: [] for size in SIZES}
    for size, app in apps.items():
        # Each request runs against its own size's database: the tables follow the engine.
        bind_tables(engines[size])
        clients[size] = await signed_in_client(app)
        for _ in range(2):  # warm caches and templates
            await timed(clients[size])
        with counting_statements() as seen:
            await timed(clients[size])
        counts[size] = len(seen)
    for _ in range(ROUNDS):
        for size in SIZES:
            bind_tables(engines[size])
            times[size].append(await timed(clients[size]))
    for client in clients.values():
        await client.aclose()
    for engine in engines.values():
        await close_engine(engine)

    median = {size: statistics.median(times[size]) * 1000 for size in SIZES}
    for size in SIZES:
        data = meetings[size] / max(meetings["demo"], 1)
        print(
            f"  {size:>5}: {median[size]:7.1f} ms per page (median of {ROUNDS}), "
            f"{counts[size]} SQL statements; data {data:4.0f}x, "
            f"time {median[size] / median['demo']:5.2f}x the demo"
        )
    same = "the same" if len(set(counts.values())) == 1 else "DIFFERENT"
    print(f"  statement count is {same} at every size; goal: at most 3x the time for 50x the data")


if __name__ == "__main__":
    asyncio.run(main({size: seed(size) for size in SIZES}))
