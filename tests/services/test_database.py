from __future__ import annotations

import asyncio
import sqlite3
import threading

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest
from piccolo.querystring import QueryString

from app.config import sqlite_path
from app.db.engine import RoundtableSQLiteEngine, close_engine, engine_for, open_engine
from app.db.migrate import pending_migrations
from app.db.tables import AuditEvent, User
from tests.conftest import IS_SQLITE

only_sqlite = pytest.mark.skipif(not IS_SQLITE, reason="SQLite's locking is what is tested")
sqlite_engine = pytest.mark.skipif(not IS_SQLITE, reason="Roundtable's SQLite engine is tested")


async def test_every_migration_has_been_applied(db: str) -> None:
    assert await pending_migrations(db) == []


@only_sqlite
async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: str) -> None:
    engine = engine_for(db)
    assert isinstance(engine, RoundtableSQLiteEngine)
    assert engine.connection_kwargs["timeout"] >= 5
    rows = await User.raw("PRAGMA journal_mode")
    assert rows[0]["journal_mode"] == "wal"


async def test_thirty_two_concurrent_read_then_write_transactions_all_succeed(make_account) -> None:
    account = await make_account("bob@example.org")

    async def read_then_write(n: int) -> None:
        async with User._meta.db.transaction():
            before = await AuditEvent.count()
            await AuditEvent.insert(
                AuditEvent(actor=account.id, action="test", detail=f"{n}:{before}")
            )

    async with anyio.create_task_group() as tg:
        for n in range(32):
            tg.start_soon(read_then_write, n)
    assert await AuditEvent.count() == 32
    if IS_SQLITE:
        # BEGIN IMMEDIATE serialises writers: each saw a distinct count of earlier rows.
        details = await AuditEvent.select(AuditEvent.detail)
        assert sorted(int(d["detail"].split(":")[1]) for d in details) == list(range(32))


@only_sqlite
async def test_a_write_that_cannot_get_the_lock_leaks_no_thread(db: str) -> None:
    path = sqlite_path(db)
    impatient = RoundtableSQLiteEngine(path=str(path), timeout=0.01)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    before = threading.active_count()
    try:
        for _ in range(25):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                async with impatient.transaction():
                    pass
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await anyio.lowlevel.checkpoint()
    assert threading.active_count() <= before + 1


@sqlite_engine
async def test_an_open_sqlite_engine_reuses_connections_and_closing_it_ends_their_threads(
    db: str,
) -> None:
    engine = RoundtableSQLiteEngine(path=str(sqlite_path(db)), timeout=5)
    before = threading.active_count()
    await open_engine(engine)
    try:
        for n in range(20):
            async with engine.transaction():
                await engine.run_querystring(QueryString(_AUDIT, f"t{n}"))
            await engine.run_querystring(QueryString("SELECT count(*) AS n FROM rt_audit_event"))
        # One connection, and its one thread, served all forty.
        assert threading.active_count() == before + 1
    finally:
        await close_engine(engine)
    for _ in range(500):  # a closed connection's thread ends just after it answers
        if threading.active_count() == before:
            break
        await anyio.sleep(0.01)
    assert threading.active_count() == before
    assert await AuditEvent.count() == 20


@sqlite_engine
async def test_a_reused_sqlite_connection_carries_nothing_over_from_a_failed_transaction(
    db: str,
) -> None:
    engine = RoundtableSQLiteEngine(path=str(sqlite_path(db)), timeout=5)
    await open_engine(engine)
    try:
        with pytest.raises(RuntimeError):
            async with engine.transaction():
                await engine.run_querystring(QueryString(_AUDIT, "undone"))
                raise RuntimeError("the request failed half way")
        async with engine.transaction():
            await engine.run_querystring(QueryString(_AUDIT, "kept"))
        # Used from another event loop (as a CLI command or a test might), then from this one.
        await anyio.to_thread.run_sync(
            lambda: asyncio.run(engine.run_querystring(QueryString(_AUDIT, "elsewhere")))
        )
        await engine.run_querystring(QueryString("SELECT 1 AS one"))
    finally:
        await close_engine(engine)
    details = await AuditEvent.select(AuditEvent.detail).order_by(AuditEvent.id)
    assert [d["detail"] for d in details] == ["kept", "elsewhere"]


_AUDIT = (
    "INSERT INTO rt_audit_event (action, detail, occurred_at) VALUES ('test', {}, '2026-11-30')"
)


def test_no_table_has_a_column_for_a_protected_characteristic() -> None:
    from app.db.tables import ALL_TABLES

    forbidden = (
        "ethnic",
        "race",
        "disab",
        "sexual",
        "orientation",
        "religio",
        "faith",
        "gender",
        "sex",
        "trans",
        "belief",
    )
    for table in ALL_TABLES:
        for column in table._meta.columns:
            name = column._meta.name.lower()
            assert not any(word in name for word in forbidden), f"{table.__name__}.{name}"
