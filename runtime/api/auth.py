"""The access guard: who a request is, whether it may use the route, within its rate limit.

An ASGI middleware around every route (Litestar has matched the route, so the scope names
its path template). With a configured token, every route but the `OPEN` ones needs a
credential: the token itself (the admin key), an API key or a user's access token (`X-API-Key`
or `Authorization: Bearer`). The principal goes in `scope["user"]` (`request.user`); without a
token every request acts as the anonymous admin and presented credentials are ignored. A
group-limited key's request runs confined to its groups' models (`routing.reach`); a
rate-limited one carries `X-RateLimit-*` (`X-RateLimit-*-Tokens` for tokens per minute, on
`MODEL_ROUTES`). A non-admin principal is also the request's `caller` (`identity.caller`),
which knowledge consults to show only what it may view.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from litestar.types import ASGIApp, Receive, Scope, Send

from runtime import errors
from runtime.api.limited import limited
from runtime.api.resources import RESOURCE_ROUTES
from runtime.api.scopes import MODEL_ROUTES, OPEN, SIGNED_IN, required
from runtime.identity import KeyService, RateLimiter, UserService, caller
from runtime.identity.acl import AccessService
from runtime.identity.types import ADMIN_TOKEN, ANONYMOUS, Principal
from runtime.routing.reach import Confinement

UNAUTHORIZED = "unauthorized: missing or invalid API key"
METRICS = "/metrics"
CROSS_SITE = "forbidden: a cookie-authenticated change must come from this server's own origin"
SESSION_COOKIE = "rt_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Known = Callable[[Scope], bool]


@dataclass(frozen=True)
class Access:
    """What the guard consults: the admin token (empty: no authentication), keys, limits."""

    token: str
    keys: KeyService
    users: UserService
    access: AccessService
    limiter: RateLimiter
    confinement: Confinement
    metrics_token: str = ""  # may read /metrics (besides a credential with `read`)

    def scraping(self, scope: Scope) -> bool:
        """Whether this is `/metrics` read with the metrics token (then nothing else is asked).

        With a metrics token but no admin token, `/metrics` alone is guarded: by that token.
        """
        if not self.metrics_token or scope.get("path_template") != METRICS:
            return False
        if hmac.compare_digest(_presented(scope), self.metrics_token.encode()):
            return True
        if not self.token:
            raise errors.UnauthorizedError(UNAUTHORIZED)
        return False

    def known(self, scope: Scope) -> bool:
        """Whether the request's credential is valid, from memory only (for 404 and 405)."""
        presented = _presented(scope) or _cookie(scope)
        if self._is_token(presented):
            return True
        found = self.keys.known(presented) or self.users.known(presented)
        return found is not None

    def _is_token(self, presented: bytes) -> bool:
        return hmac.compare_digest(presented, self.token.encode())

    async def principal(self, scope: Scope) -> Principal:
        """Who presents the request's credential; `UnauthorizedError` if nobody valid.

        Without a header credential, the session cookie is read: a change it asks for must come
        from our own origin (`PermissionDeniedError` otherwise: cross-site request forgery).
        """
        presented = _presented(scope)
        if not presented:
            presented = _cookie(scope)
            if presented and _cross_site(scope):
                raise errors.PermissionDeniedError(CROSS_SITE)
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
            if (
                access.scraping(scope)
                or not access.token
                or scope["type"] not in ("http", "websocket")
            ):
                scope["user"] = ANONYMOUS
                await self.app(scope, receive, send)
                return
            needed = required(str(scope.get("method", "GET")), str(scope.get("path_template", "")))
            if needed == OPEN:
                if _cookie(scope) and _cross_site(scope):
                    raise errors.PermissionDeniedError(CROSS_SITE)
                scope["user"] = ANONYMOUS
                await self.app(scope, receive, send)
                return
            who = await access.principal(scope)
            if needed != SIGNED_IN and not who.allows(needed):
                raise errors.PermissionDeniedError(
                    f"permission denied: this route needs the {needed!r} scope"
                )
            scope["user"] = who
            route = f"{scope.get('method')} {scope.get('path_template')}"
            await _resource_allowed(access.access, who, route, scope)
            tpm = who.limits.tpm if route in MODEL_ROUTES else None
            if who.limits.rpm is None and tpm is None:
                await _run(self.app, access.confinement, who, scope, receive, send)
                return
            metered = await limited(access.limiter, who, tpm, send)
            try:
                await _run(self.app, access.confinement, who, scope, receive, metered)
            finally:
                await metered.charge()

    return AccessMiddleware


async def _run(
    app: ASGIApp,
    confinement: Confinement,
    who: Principal,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """`app` acting as `who` (`identity.caller`) and confined to its groups' models."""
    if who.groups is None and who.allows("admin"):
        await app(scope, receive, send)
        return
    token = caller.enter(who)
    try:
        if who.groups is None:
            await app(scope, receive, send)
            return
        with confinement.within(await confinement.of(who.groups)):
            await app(scope, receive, send)
    finally:
        caller.leave(token)


async def _resource_allowed(
    access: AccessService, who: Principal, route: str, scope: Scope
) -> None:
    """Refuse (404 or 403) a non-admin's request to a resource its entries do not allow."""
    guarded = RESOURCE_ROUTES.get(route)
    if guarded is not None and not who.allows("admin"):
        kind, param, permission = guarded
        resource = str(scope["path_params"].get(param, ""))
        await access.require(who, kind, resource, permission)


def _presented(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return value.removeprefix(b"Bearer ").strip()
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return b""


def _cookie(scope: Scope) -> bytes:
    """The session cookie's value, if the request carries one."""
    wanted = SESSION_COOKIE.encode() + b"="
    for name, value in scope["headers"]:
        if name == b"cookie":
            for part in value.split(b";"):
                pair = part.strip()
                if pair.startswith(wanted):
                    return pair[len(wanted) :]
    return b""


def _cross_site(scope: Scope) -> bool:
    """Whether a state-changing request comes from another origin than ours (or none said)."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return False
    headers = dict(scope["headers"])
    origin = headers.get(b"origin") or headers.get(b"referer") or b""
    host = headers.get(b"host", b"")
    _, _, rest = origin.partition(b"://")
    return not host or rest.split(b"/", 1)[0] != host
