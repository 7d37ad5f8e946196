"""The principal a request acts as, for the services that filter what it may see by access.

The API's guard sets it for a non-admin principal for the duration of its request (tasks the
request starts see it too); unset (admins, no authentication, background work) means nothing
is filtered. Services read it instead of having the principal threaded through every call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from runtime.identity.types import Principal

_caller: ContextVar[Principal | None] = ContextVar("caller", default=None)


def current() -> Principal | None:
    """The restricted principal being served; None when nothing is filtered."""
    return _caller.get()


@contextmanager
def acting(who: Principal) -> Iterator[None]:
    """Run the block as `who` (left unset for an admin: admins see everything)."""
    if who.allows("admin"):
        yield
        return
    token = _caller.set(who)
    try:
        yield
    finally:
        _caller.reset(token)
