"""Database engines for both back ends, chosen from DATABASE_URL.

SQLite is the embedded default. Two things about Piccolo's SQLite engine matter under
concurrent writes, and both are handled here rather than at every call site:
every transaction starts with BEGIN IMMEDIATE (a DEFERRED read-then-write fails with
"database is locked"), and a BEGIN that fails closes the connection it opened, which
Piccolo 1.38 forgets to do (each failure would leak a thread and file descriptors).
"""

from __future__ import annotations

import sqlite3
from functools import cache
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from app.config import sqlite_path

SQLITE_BUSY_TIMEOUT_SECONDS = 30


class _ClosingSQLiteTransaction(SQLiteTransaction):
    async def begin(self) -> None:
        try:
            await super().begin()
        except BaseException:
            await self.connection.close()
            raise


class RoundtableSQLiteEngine(SQLiteEngine):
    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _ClosingSQLiteTransaction(
            engine=self, transaction_type=TransactionType.immediate, allow_nested=allow_nested
        )

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        # With WAL, NORMAL cannot corrupt the file and at worst loses the last commits on
        # power loss; FULL waits for the disk on every commit, which made each click slow.
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def enable_wal(self) -> None:
        # journal_mode is persistent in the file, and must be switched outside any
        # transaction, so it is done once over a plain connection.
        connection = sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()


@cache
def engine_for(url: str) -> Engine[Any]:
    """One engine per URL per process, shared by the app, the jobs and migrations."""
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return RoundtableSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": url}, extensions=())


def bind_tables(engine: Engine[Any]) -> None:
    from app.db.tables import ALL_TABLES

    for table in ALL_TABLES:
        table._meta.db = engine


async def open_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, RoundtableSQLiteEngine):
        engine.enable_wal()
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def close_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


def is_postgres(table: type[Any]) -> bool:
    return isinstance(table._meta.db, PostgresEngine)


async def lock_row(table: type[Any], row_id: int) -> None:
    """Serialise writers on one row for the rest of the current transaction.

    PostgreSQL takes a row lock. SQLite needs nothing more: every transaction here began
    with BEGIN IMMEDIATE, which already holds the database's single write lock.
    """
    if is_postgres(table):
        await table.select(table.id).where(table.id == row_id).lock_rows()


def write_transaction() -> Any:
    """A transaction on the app's engine: BEGIN IMMEDIATE on SQLite, plain on PostgreSQL."""
    from app.db.tables import Group

    return Group._meta.db.transaction()
