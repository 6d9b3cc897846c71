"""A Litestar session Store kept in the database, so every web instance shares it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.stores.base import Store

from app.db.tables import HttpSession


def _seconds(value: int | timedelta | None) -> int | None:
    if value is None:
        return None
    return int(value.total_seconds()) if isinstance(value, timedelta) else value


class DatabaseSessionStore(Store):
    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = _seconds(expires_in)
        expires_at = datetime.now(UTC) + timedelta(seconds=seconds) if seconds else None
        await HttpSession.insert(
            HttpSession(key=key, value=data, expires_at=expires_at)
        ).on_conflict(
            target=HttpSession.key,
            action="DO UPDATE",
            values=[HttpSession.value, HttpSession.expires_at],
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = (
            await HttpSession.select(HttpSession.value, HttpSession.expires_at)
            .where(HttpSession.key == key)
            .first()
        )
        if row is None:
            return None
        now = datetime.now(UTC)
        expires_at = row["expires_at"]
        if expires_at is not None and expires_at <= now:
            await self.delete(key)
            return None
        renew = _seconds(renew_for)
        # Sliding expiry, written at most once per half-lifetime rather than per request.
        if renew and expires_at is not None and expires_at - now < timedelta(seconds=renew / 2):
            await HttpSession.update(
                {HttpSession.expires_at: now + timedelta(seconds=renew)}
            ).where(HttpSession.key == key)
        value = row["value"]
        return bytes(value) if value is not None else None

    async def delete(self, key: str) -> None:
        await HttpSession.delete().where(HttpSession.key == key)

    async def delete_all(self) -> None:
        await HttpSession.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await HttpSession.select(HttpSession.expires_at).where(HttpSession.key == key).first()
        if row is None or row["expires_at"] is None:
            return None
        return int((row["expires_at"] - datetime.now(UTC)).total_seconds())


async def prune_expired_sessions(now: datetime) -> int:
    removed = (
        await HttpSession.delete().where(HttpSession.expires_at < now).returning(HttpSession.id)
    )
    return len(removed)
