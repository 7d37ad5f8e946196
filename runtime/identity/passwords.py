"""Password hashing with argon2id, in a thread (it is CPU- and memory-heavy by design)."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
_HASHER = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


@functools.cache
def _dummy() -> str:
    """Verified when the email is unknown, so a failed login takes as long whatever was wrong."""
    return _HASHER.hash("not a password anyone has")


async def hashed(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def matches(password: str, stored: str | None) -> bool:
    """Whether `password` is the one `stored` hashes (always does the work, even if None)."""
    return await asyncio.to_thread(_check, password, stored)


def _check(password: str, stored: str | None) -> bool:
    try:
        _HASHER.verify(stored or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None
