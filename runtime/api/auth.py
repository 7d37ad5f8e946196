"""The access guard: who a request is, whether it may use the route, within its rate limit.

An ASGI middleware around every route (Litestar has matched the route, so the scope names
its path template). With a configured token, every route but the `OPEN` ones needs a
credential: the token itself (the admin key), an API key or a user's access token (`X-API-Key`
or `Authorization: Bearer`). The principal goes in `scope["user"]` (`request.user`); without a
token every request acts as the anonymous admin and presented credentials are ignored. A
group-limited key's request runs confined to its groups' models (`routing.reach`); a
rate-limited one carries `X-RateLimit-*`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from runtime import errors
from runtime.api.scopes import OPEN, required
from runtime.identity import KeyService, RateLimiter, UserService
from runtime.identity.limits import headers
from runtime.identity.types import ADMIN_TOKEN, ANONYMOUS, Principal
from runtime.routing.reach import Confinement

UNAUTHORIZED = "unauthorized: missing or invalid API key"
Known = Callable[[Scope], bool]


@dataclass(frozen=True)
class Access:
    """What the guard consults: the admin token (empty: no authentication), keys, limits."""

    token: str
    keys: KeyService
    users: UserService
    limiter: RateLimiter
    confinement: Confinement

    def known(self, scope: Scope) -> bool:
        """Whether the request's credential is valid, from memory only (for 404 and 405)."""
        presented = _presented(scope)
        if self._is_token(presented):
            return True
        found = self.keys.known(presented) or self.users.known(presented)
        return found is not None

    def _is_token(self, presented: bytes) -> bool:
        return hmac.compare_digest(presented, self.token.encode())

    async def principal(self, scope: Scope) -> Principal:
        """Who presents the request's credential; `UnauthorizedError` if nobody valid."""
        presented = _presented(scope)
        if self._is_token(presented):
            return ADMIN_TOKEN
        if presented.startswith(b"rt-"):
            found = await self.keys.authenticate(presented)
        else:
            found = await self.users.authenticate(presented)
        if found is None:
            raise errors.UnauthorizedError(UNAUTHORIZED)
        return found


def access_guard(access: Access) -> type:
    """The ASGI middleware class that applies `access` to every route."""

    class AccessMiddleware:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if not access.token or scope["type"] not in ("http", "websocket"):
                scope["user"] = ANONYMOUS
                await self.app(scope, receive, send)
                return
            needed = required(str(scope.get("method", "GET")), str(scope.get("path_template", "")))
            if needed == OPEN:
                scope["user"] = ANONYMOUS
                await self.app(scope, receive, send)
                return
            who = await access.principal(scope)
            if not who.allows(needed):
                raise errors.PermissionDeniedError(
                    f"permission denied: this route needs the {needed!r} scope"
                )
            scope["user"] = who
            if who.limits.rpm is not None:
                send = await _limited(access.limiter, who, who.limits.rpm, send)
            if who.groups is None:
                await self.app(scope, receive, send)
                return
            with access.confinement.within(await access.confinement.of(who.groups)):
                await self.app(scope, receive, send)

    return AccessMiddleware


async def _limited(limiter: RateLimiter, who: Principal, rpm: int, send: Send) -> Send:
    """`send` adding the rate-limit headers; `RateLimitedError` when over the limit."""
    quota = await limiter.take(f"{who.kind}:{who.id}", rpm)
    if not quota.allowed:
        raise errors.RateLimitedError(
            f"rate limit reached: {rpm} requests per minute", headers=headers(quota)
        )
    raw = [(name.encode(), value.encode()) for name, value in headers(quota).items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *raw]
        await send(message)

    return sending


def _presented(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return value.removeprefix(b"Bearer ").strip()
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return b""
