"""UserService: users who log in with email and password, and the tokens they are given.

Tokens are signed with `signing_key` from the settings, else with one generated on first start
and kept in the database so replicas agree. A token works while its user exists and its
version is the user's (logging out or changing the password raises it); checks go through a
per-process cache of `USER_TTL` seconds, as API keys do. Logins are rate limited per address
and per account, and every failure answers the same error.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from runtime import errors
from runtime.cache import TtlCache
from runtime.db import Database
from runtime.identity import passwords, store, tokens
from runtime.identity.limits import RateLimiter, headers
from runtime.identity.types import (
    DEFAULT_USER_SCOPES,
    NO_LIMITS,
    SCOPES,
    Limits,
    Principal,
    Session,
    User,
    UserSpec,
    principal,
)
from runtime.paging import PageRequest

USER_TTL = 1.0
LOGIN_FAILED = "invalid email or password"
Entry = tuple[Principal, int] | None  # the principal and its current token version


class UserService:
    """Users, their passwords, and the access tokens they log in for."""

    def __init__(  # noqa: PLR0913 - the settings a login needs
        self,
        db: Database,
        limiter: RateLimiter,
        *,
        signing_key: str = "",
        token_ttl: float = 3600.0,
        login_rpm: int = 10,
        user_limits: Limits = NO_LIMITS,
        max_rows: int = 100_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._limiter = limiter
        self._configured_key = signing_key.encode()
        self._key = self._configured_key
        self._ttl = token_ttl
        self._login_rpm = login_rpm
        self._user_limits = user_limits
        self._max_rows = max_rows
        self._clock = clock
        self._cache: TtlCache[str, Entry] = TtlCache(USER_TTL, clock=time.monotonic)

    async def create(self, spec: UserSpec) -> User:
        email, password = _email(spec.email), _password(spec.password)
        now = self._clock()
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            friendly_name=spec.friendly_name or "",
            scopes=_scopes(spec.scopes) if spec.scopes is not None else DEFAULT_USER_SCOPES,
            created_at=now,
            updated_at=now,
        )
        digest = await passwords.hashed(password)
        async with self._db.transaction() as session:
            if await store.count_users(session) >= self._max_rows:
                raise errors.LimitExceededError("too many users")
            await store.create_user(session, user, digest)
        return user

    async def list_page(self, page: PageRequest) -> list[User]:
        async with self._db.transaction() as session:
            return await store.list_users(session, page)

    async def get(self, user_id: str) -> User:
        async with self._db.transaction() as session:
            return (await store.get_user(session, user_id))[0]

    async def update(self, user_id: str, spec: UserSpec) -> User:
        """Change the given fields; a new password revokes the user's tokens."""
        changes: dict[str, Any] = {}
        if spec.email is not None:
            changes["email"] = _email(spec.email)
        if spec.friendly_name is not None:
            changes["friendly_name"] = spec.friendly_name
        if spec.scopes is not None:
            changes["scopes"] = list(_scopes(spec.scopes))
        if spec.password:
            changes["password_hash"] = await passwords.hashed(_password(spec.password))
        async with self._db.transaction(on_commit=lambda: self._cache.forget(user_id)) as session:
            user = await store.update_user(session, user_id, changes, self._clock())
            if spec.password:
                await store.revoke_tokens(session, user_id)
        return user

    async def delete(self, user_id: str) -> None:
        async with self._db.transaction(on_commit=lambda: self._cache.forget(user_id)) as session:
            await store.delete_user(session, user_id)

    async def login(self, email: str, password: str, address: str) -> Session:
        """A token for the user; the same 401 whatever was wrong, 429 when tried too often."""
        email = email.strip().lower()
        for subject in (f"login-address:{address}", f"login-account:{email}"):
            quota = await self._limiter.take(subject, self._login_rpm)
            if not quota.allowed:
                raise errors.RateLimitedError("too many login attempts", headers=headers(quota))
        async with self._db.transaction() as session:
            found = await store.find_login(session, email)
        if not await passwords.matches(password, found[1] if found else None) or found is None:
            raise errors.UnauthorizedError(LOGIN_FAILED)
        user, _, version = found
        return await self._issue(user, version)

    async def refresh(self, token: str) -> Session:
        """A new token for the holder of a valid one."""
        claims = await self._claims(token.encode())
        if claims is None:
            raise errors.UnauthorizedError("unauthorized: invalid or expired token")
        async with self._db.transaction() as session:
            user, version = await store.get_user(session, claims.sub)
        return await self._issue(user, version)

    async def logout(self, token: str) -> None:
        """Revoke every token of the token's user (nothing if the token is not valid)."""
        claims = await self._claims(token.encode())
        if claims is None:
            return
        async with self._db.transaction(on_commit=lambda: self._cache.forget(claims.sub)) as s:
            await store.revoke_tokens(s, claims.sub)

    def known(self, presented: bytes) -> Principal | None:
        """The principal of a token whose user this process checked recently (no I/O)."""
        if not self._key:
            return None
        claims = tokens.verify(presented, self._key, time.time())
        entry = None if claims is None else self._cache.peek(claims.sub)
        return entry[0] if entry is not None and entry[1] == claims.ver else None  # type: ignore[union-attr]

    async def authenticate(self, presented: bytes) -> Principal | None:
        """The principal of a valid, unrevoked token of an existing user; None otherwise."""
        claims = await self._claims(presented)
        return None if claims is None else await self._current(claims)

    async def _claims(self, presented: bytes) -> tokens.Claims | None:
        claims = tokens.verify(presented, await self.signing_key(), time.time())
        if claims is None or await self._current(claims) is None:
            return None
        return claims

    async def _current(self, claims: tokens.Claims) -> Principal | None:
        entry = await self._cache.get(claims.sub, self._load)
        return entry[0] if entry is not None and entry[1] == claims.ver else None

    async def _load(self, user_id: str) -> Entry:
        async with self._db.transaction() as session:
            try:
                user, version = await store.get_user(session, user_id)
            except errors.NotFoundError:
                return None
        who = principal("user", user.id, frozenset(user.scopes), limits=self._user_limits)
        return who, version

    async def _issue(self, user: User, version: int) -> Session:
        now = int(self._clock().timestamp())
        expires = now + int(self._ttl)
        claims = tokens.Claims(sub=user.id, ver=version, iat=now, exp=expires)
        token = tokens.sign(claims, await self.signing_key())
        return Session(token=token, expires_at=datetime.fromtimestamp(expires, UTC), user=user)

    async def signing_key(self) -> bytes:
        """The configured key, else the one every replica shares through the database."""
        if not self._key:
            async with self._db.transaction() as session:
                stored = await store.shared_secret(
                    session, "token-signing-key", secrets.token_urlsafe(32)
                )
            self._key = stored.encode()
        return self._key


def _email(raw: str | None) -> str:
    email = (raw or "").strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):  # noqa: PLR2004
        raise errors.InvalidInputError("a valid email is required", param="email")
    return email


def _password(raw: str | None) -> str:
    if raw is None or not passwords.MIN_LENGTH <= len(raw) <= passwords.MAX_LENGTH:
        raise errors.InvalidInputError(
            f"password must be {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters",
            param="password",
        )
    return raw


def _scopes(raw: tuple[str, ...]) -> tuple[str, ...]:
    for scope in raw:
        if scope not in SCOPES:
            raise errors.InvalidInputError(f"unknown scope {scope!r}", param="scopes")
    return tuple(dict.fromkeys(raw))
