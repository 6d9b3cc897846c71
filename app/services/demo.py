"""Demo data: the five people the README lists. Running it twice leaves one copy."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.accounts import ensure_account

DEMO_PASSWORD = "roundtable-demo"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str
    part: str


DEMO_PEOPLE = (
    DemoPerson("alice@example.org", "Alice Ahmed", "member", "convenor"),
    DemoPerson("bob@example.org", "Bob Brown", "member", "member"),
    DemoPerson("carol@example.org", "Carol Clarke", "member", "outsider"),
    DemoPerson("olga@example.org", "Olga Okafor", "organiser", "organiser"),
    DemoPerson("adam@example.org", "Adam Adeyemi", "admin", "admin"),
)


async def seed_demo() -> int:
    for person in DEMO_PEOPLE:
        await ensure_account(person.email, person.name, DEMO_PASSWORD, person.role)
    return len(DEMO_PEOPLE)
