"""Database engines for both back ends, chosen from DATABASE_URL.

SQLite is the embedded default. Three things about Piccolo's SQLite engine are handled
here rather than at every call site:
- every transaction starts with BEGIN IMMEDIATE (a DEFERRED read-then-write fails with
  "database is locked");
- a transaction whose BEGIN or COMMIT fails gives up its connection, which Piccolo 1.38
  forgets to do (each failure would leak a thread and file descriptors);
- connections are kept for reuse between `open_engine` and `close_engine`. Piccolo opens
  a connection, and a thread for it, for every transaction and for every statement
  outside one, and when the file's last connection closes SQLite checkpoints and deletes
  the WAL, with the syncs that takes. Reuse took a reminder's mark from about 2.5 ms to
  0.4 ms, and a page's statements cost less for the same reason.
"""

from __future__ import annotations

import asyncio
import sqlite3
from functools import cache
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from app.config import sqlite_path

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Before 3.35 SQLite had no RETURNING, and Piccolo finds an inserted row's key another way.
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


# Enough for a worker's claim and mark and a few concurrent requests; a busier moment
# opens more connections and closes the extras after use.
SQLITE_IDLE_CONNECTIONS = 4


class _ReusingSQLiteTransaction(SQLiteTransaction):
    engine: RoundtableSQLiteEngine

    async def begin(self) -> None:
        try:
            await super().begin()
        except BaseException:
            await self.engine.give_back(self.connection)
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            # Closed instead of kept if it is still inside a transaction (a failed COMMIT).
            await self.engine.give_back(self.connection)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class RoundtableSQLiteEngine(SQLiteEngine):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep_idle = 0
        # Each with the event loop it was used from: a connection's results are delivered
        # to the loop that asked, and tests and CLI commands run several loops in turn.
        self._idle: list[tuple[asyncio.AbstractEventLoop, aiosqlite.Connection]] = []

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _ReusingSQLiteTransaction(
            engine=self, transaction_type=TransactionType.immediate, allow_nested=allow_nested
        )

    async def get_connection(self) -> Any:
        loop = asyncio.get_running_loop()
        while self._idle:
            owner, connection = self._idle.pop()
            if owner is loop:
                return connection
            await connection.close()
        connection = await super().get_connection()
        # With WAL, NORMAL cannot corrupt the file and at worst loses the last commits on
        # power loss; FULL waits for the disk on every commit, which made each click slow.
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def give_back(self, connection: aiosqlite.Connection) -> None:
        """Keep a connection for the next query, or close it if it is not fit to keep."""
        try:
            reusable = not connection.in_transaction
        except ValueError:  # closed already
            return
        if reusable and len(self._idle) < self.keep_idle:
            self._idle.append((asyncio.get_running_loop(), connection))
        else:
            await connection.close()

    async def close_idle(self) -> None:
        self.keep_idle = 0
        while self._idle:
            _, connection = self._idle.pop()
            await connection.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if query_type == "insert" and not _SQLITE_RETURNING:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self.get_connection()
        try:
            rows = await connection.execute_fetchall(query, args or [])
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        await self.give_back(connection)
        return rows

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        """One trip to the connection's thread per statement, where Piccolo takes four
        (a foreign_keys pragma that get_connection already set, execute, fetch, close).

        Inside a transaction every trip also waits its turn on a busy event loop, and on
        SQLite the write lock is held all that time, stalling every other process.
        """
        if query_type == "insert" and not _SQLITE_RETURNING:
            return await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
        return await connection.execute_fetchall(query, args or [])

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
    """Ready the engine for use; every process that calls it must call close_engine."""
    if isinstance(engine, RoundtableSQLiteEngine):
        engine.enable_wal()
        engine.keep_idle = SQLITE_IDLE_CONNECTIONS
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def close_engine(engine: Engine[Any]) -> None:
    # An idle SQLite connection's thread would keep the process from exiting.
    if isinstance(engine, RoundtableSQLiteEngine):
        await engine.close_idle()
    elif isinstance(engine, PostgresEngine):
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
