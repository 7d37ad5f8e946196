"""The principal a request acts as, for the services that filter what it may see by access.

The API's guard sets it for a non-admin principal for the duration of its request (tasks the
request starts see it too); unset (admins, no authentication, background work) means nothing
is filtered. Services read it instead of having the principal threaded through every call.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from runtime.identity.types import Principal

_caller: ContextVar[Principal | None] = ContextVar("caller", default=None)


def current() -> Principal | None:
    """The restricted principal being served; None when nothing is filtered."""
    return _caller.get()


def enter(who: Principal) -> Token[Principal | None] | None:
    """Act as `who` until `leave` (nothing is set for an admin: admins see everything)."""
    return None if who.allows("admin") else _caller.set(who)


def leave(token: Token[Principal | None] | None) -> None:
    if token is not None:
        _caller.reset(token)
