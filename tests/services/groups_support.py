"""Building groups and members for service tests, through the services themselves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from app.db.engine import write_transaction
from app.domain.groups import defaults_for
from app.services.accounts import Account, ensure_account
from app.services.membership import admit_member, create_group

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def person(n: int | str, role: str = "member") -> Account:
    return await ensure_account(
        f"person{n}@example.org", f"Person {n}", "correct horse battery", role
    )


async def group_of(kind: str, convenor: Account, **settings: Any) -> int:
    base = replace(defaults_for(kind, date(2026, 11, 29)), name=settings.pop("name", f"A {kind}"))
    return await create_group(convenor, replace(base, **settings), "Europe/London", NOW)


async def add(group_id: int, *people: Account, role: str = "member", when: datetime = NOW) -> None:
    for p in people:
        async with write_transaction():
            await admit_member(group_id, p.id, role, 1, when)
