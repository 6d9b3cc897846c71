from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.db.tables import HttpSession
from app.services.session_store import DatabaseSessionStore, prune_expired_sessions


async def test_a_stored_session_comes_back_until_it_expires(db: str) -> None:
    store = DatabaseSessionStore()
    await store.set("abc", b'{"uid": 1}', expires_in=60)
    assert await store.get("abc") == b'{"uid": 1}'
    assert await store.exists("abc")
    assert 0 < (await store.expires_in("abc") or 0) <= 60
    await HttpSession.update(
        {HttpSession.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(HttpSession.key == "abc")
    assert await store.get("abc") is None
    assert await HttpSession.count() == 0


async def test_setting_a_session_again_replaces_it(db: str) -> None:
    store = DatabaseSessionStore()
    await store.set("abc", "one", expires_in=60)
    await store.set("abc", "two", expires_in=60)
    assert await store.get("abc") == b"two"
    assert await HttpSession.count() == 1


async def test_a_session_used_late_in_its_life_is_renewed(db: str) -> None:
    store = DatabaseSessionStore()
    await store.set("abc", "x", expires_in=10)
    await store.get("abc", renew_for=3600)
    assert (await store.expires_in("abc") or 0) > 3000


async def test_pruning_removes_only_expired_sessions(db: str) -> None:
    store = DatabaseSessionStore()
    await store.set("old", "x", expires_in=1)
    await store.set("live", "y", expires_in=3600)
    removed = await prune_expired_sessions(datetime.now(UTC) + timedelta(seconds=5))
    assert removed == 1
    assert await store.get("live") == b"y"
    await store.delete_all()
    assert await HttpSession.count() == 0
