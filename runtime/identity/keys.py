"""KeyService: API keys created with a secret shown once, listed, revoked, and checked.

A key reads `rt-<prefix>-<secret>`: the prefix finds the row, the SHA-256 of the secret (32
random bytes, so a fast hash is enough) must match. Checks go through a per-process cache of
`KEY_TTL` seconds: a key revoked on any replica stops working everywhere within that time (at
once on the replica that revoked it). `last_used_at` is written at most once a `TOUCH_EVERY`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.cache import TtlCache
from runtime.db import Database
from runtime.identity import store
from runtime.identity.types import (
    SCOPES,
    ApiKey,
    IssuedKey,
    KeySpec,
    Principal,
    principal,
)

KEY_TTL = 1.0
TOUCH_EVERY = 60.0
MAX_CACHED = 10_000  # distinct prefixes held (unknown ones too) before the cache starts over
PREFIX = "rt-"

Entry = tuple[Principal, bytes, datetime | None] | None  # the principal, secret hash, expiry


def _digest(secret: bytes) -> bytes:
    return hashlib.sha256(secret).hexdigest().encode()


class KeyService:
    """API keys in the database; `authenticate` answers from memory most of the time."""

    def __init__(
        self,
        db: Database,
        *,
        max_rows: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._max_rows = max_rows
        self._clock = clock
        self._monotonic = monotonic
        self._cache: TtlCache[str, Entry] = TtlCache(KEY_TTL, clock=monotonic)
        self._touched: dict[str, float] = {}

    async def create(self, spec: KeySpec) -> IssuedKey:
        """A new key; its secret is in the answer and nowhere else."""
        now = self._clock()
        _validate(spec, now)
        prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        key = ApiKey(
            id=str(uuid.uuid4()),
            prefix=prefix,
            name=spec.name,
            scopes=tuple(dict.fromkeys(spec.scopes)),
            groups=None if spec.groups is None else tuple(dict.fromkeys(spec.groups)),
            limits=spec.limits,
            expires_at=spec.expires_at,
            last_used_at=None,
            created_at=now,
        )
        async with self._db.transaction() as session:
            if len(await store.list_keys(session)) >= self._max_rows:
                raise errors.LimitExceededError("too many API keys")
            await store.create_key(session, key, _digest(secret.encode()).decode())
        self._cache.forget(prefix)
        return IssuedKey(key=key, secret=f"{PREFIX}{prefix}-{secret}")

    async def list_keys(self) -> list[ApiKey]:
        async with self._db.transaction() as session:
            return await store.list_keys(session)

    async def revoke(self, key_id: str) -> None:
        """Delete the key: refused here at once, on other replicas within `KEY_TTL`."""
        async with self._db.transaction(on_commit=self._cache.forget) as session:
            await store.delete_key(session, key_id)

    def known(self, presented: bytes) -> Principal | None:
        """The principal of a key this process checked less than `KEY_TTL` ago (no I/O)."""
        parts = _parts(presented)
        if parts is None:
            return None
        return self._valid(self._cache.peek(parts[0]), parts[1])

    async def authenticate(self, presented: bytes) -> Principal | None:
        """The principal of a valid key; None for a wrong, expired or revoked one."""
        parts = _parts(presented)
        if parts is None:
            return None
        prefix, secret = parts
        if len(self._cache) > MAX_CACHED:
            self._cache.forget()
        found = self._valid(await self._cache.get(prefix, self._load), secret)
        if found is not None:
            await self._touch(found.id)
        return found

    def _valid(self, entry: Entry, secret: bytes) -> Principal | None:
        if entry is None:
            return None
        found, digest, expires_at = entry
        if not hmac.compare_digest(_digest(secret), digest):
            return None
        if expires_at is not None and expires_at <= self._clock():
            return None
        return found

    async def _load(self, prefix: str) -> Entry:
        async with self._db.transaction() as session:
            found = await store.find_key(session, prefix)
        if found is None:
            return None
        key, digest = found
        who = principal(
            "key",
            key.id,
            frozenset(key.scopes),
            prefix=key.prefix,
            groups=None if key.groups is None else frozenset(key.groups),
            limits=key.limits,
        )
        return who, digest.encode(), key.expires_at

    async def _touch(self, key_id: str) -> None:
        now = self._monotonic()
        if now - self._touched.get(key_id, float("-inf")) < TOUCH_EVERY:
            return
        self._touched[key_id] = now
        async with self._db.transaction() as session:
            await store.touch_key(session, key_id, self._clock())


def _parts(presented: bytes) -> tuple[str, bytes] | None:
    """`(prefix, secret)` of something shaped like a key, else None."""
    if not presented.startswith(b"rt-"):
        return None
    prefix, _, secret = presented[3:].partition(b"-")
    if not prefix or not secret or len(prefix) > 32:  # noqa: PLR2004 - the column's width
        return None
    try:
        return prefix.decode("ascii"), secret
    except UnicodeDecodeError:
        return None


def _validate(spec: KeySpec, now: datetime) -> None:
    if not spec.name.strip():
        raise errors.InvalidInputError("name is required", param="name")
    if not spec.scopes:
        raise errors.InvalidInputError("at least one scope is required", param="scopes")
    for scope in spec.scopes:
        if scope not in SCOPES:
            raise errors.InvalidInputError(
                f"unknown scope {scope!r}: one of {', '.join(SCOPES)}", param="scopes"
            )
    if spec.groups is not None and not all(group.strip() for group in spec.groups):
        raise errors.InvalidInputError("a group name is empty", param="groups")
    if spec.expires_at is not None and spec.expires_at <= now:
        raise errors.InvalidInputError("expiresAt is in the past", param="expiresAt")
    if spec.limits.rpm is not None and spec.limits.rpm < 1:
        raise errors.InvalidInputError("limits.rpm must be positive", param="limits.rpm")
    if spec.limits.tpm is not None and spec.limits.tpm < 1:
        raise errors.InvalidInputError("limits.tpm must be positive", param="limits.tpm")
