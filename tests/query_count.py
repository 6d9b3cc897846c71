"""Counting the SQL statements a page issues, through the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.db.tables import Group


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    # Patched on the class: PostgresEngine has __slots__, so an instance can't be.
    engine_class: Any = type(Group._meta.db)
    seen: list[str] = []
    original = engine_class.run_querystring

    async def counted(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        seen.append(str(querystring))
        return await original(self, querystring, in_pool=in_pool)

    engine_class.run_querystring = counted
    try:
        yield seen
    finally:
        engine_class.run_querystring = original
