"""Domain data of identity and access: scopes, principals, API keys and rate decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Scope = Literal["admin", "manage", "use", "read"]
SCOPES: tuple[Scope, ...] = ("admin", "manage", "use", "read")
PrincipalKind = Literal["admin-token", "key", "user", "anonymous"]

# what holding a scope grants: admin everything, manage also what read grants
IMPLIED: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "manage": frozenset({"manage", "read"}),
    "use": frozenset({"use"}),
    "read": frozenset({"read"}),
}


def granted(scopes: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
    """Every scope the given ones grant (see `IMPLIED`)."""
    return frozenset().union(*(IMPLIED.get(scope, frozenset()) for scope in scopes))


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Requests and tokens per minute; None is unlimited."""

    rpm: int | None = None
    tpm: int | None = None


NO_LIMITS = Limits()


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who a request acts as: put in the ASGI scope as `scope["user"]` by the API guard.

    `groups` None reaches every model; otherwise only models of those groups (ids or names).
    `grants` is every scope `scopes` grant, so a route's check is one set lookup.
    """

    kind: PrincipalKind
    id: str
    prefix: str | None = None
    scopes: frozenset[str] = frozenset()
    groups: frozenset[str] | None = None
    limits: Limits = NO_LIMITS
    grants: frozenset[str] = frozenset()

    def allows(self, scope: str) -> bool:
        return scope in self.grants


def principal(
    kind: PrincipalKind,
    id: str,
    scopes: frozenset[str],
    *,
    prefix: str | None = None,
    groups: frozenset[str] | None = None,
    limits: Limits = NO_LIMITS,
) -> Principal:
    """A principal whose `grants` follow from its scopes."""
    return Principal(
        kind=kind,
        id=id,
        prefix=prefix,
        scopes=scopes,
        groups=groups,
        limits=limits,
        grants=granted(scopes),
    )


ADMIN_TOKEN = principal("admin-token", "admin-token", frozenset({"admin"}))
ANONYMOUS = principal("anonymous", "anonymous", frozenset({"admin"}))


class KeySpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a new API key may do."""

    name: str
    scopes: tuple[str, ...]
    groups: tuple[str, ...] | None = None
    expires_at: datetime | None = None
    limits: Limits = NO_LIMITS


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A stored API key (never its secret)."""

    id: str
    prefix: str
    name: str
    scopes: tuple[str, ...]
    groups: tuple[str, ...] | None
    limits: Limits
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class IssuedKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key just created, with the one copy of its secret there will ever be."""

    key: ApiKey
    secret: str


class Quota(msgspec.Struct, frozen=True, kw_only=True):
    """A rate decision: the limit, what remains of it, and seconds until the window resets."""

    limit: int
    remaining: int
    reset: int
    allowed: bool


DEFAULT_USER_SCOPES: tuple[str, ...] = ("use", "read")


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A user (never the password or its hash)."""

    id: str
    email: str
    friendly_name: str
    scopes: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


class UserSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A new user, or the fields of one to change (None: keep)."""

    email: str | None = None
    friendly_name: str | None = None
    password: str | None = None
    scopes: tuple[str, ...] | None = None


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """A signed access token, when it expires, and whose it is."""

    token: str
    expires_at: datetime
    user: User
