"""Argon2id password hashing, off the event loop because each hash takes tens of ms."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

hasher = PasswordHasher()

# Verified against when an email is unknown, so a wrong address costs as long as a
# wrong password and response time does not reveal who has an account. Made with the
# hasher in use, so its cost always matches real hashes.
_decoys: dict[int, str] = {}


def _decoy() -> str:
    key = id(hasher)
    if key not in _decoys:
        _decoys[key] = hasher.hash("roundtable-decoy-password")
    return _decoys[key]


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return hasher.verify(stored_hash or _decoy(), password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def needs_rehash(stored_hash: str) -> bool:
    return hasher.check_needs_rehash(stored_hash)
