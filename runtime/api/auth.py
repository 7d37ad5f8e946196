"""API-key authentication: when a token is configured, every route but the open ones needs it."""

from __future__ import annotations

import hmac

from litestar.types import ASGIApp, Receive, Scope, Send

from runtime import errors

OPEN_PATHS = frozenset({"/health", "/version"})
METRICS = "/metrics"
UNAUTHORIZED = "unauthorized: missing or invalid API key"


def token_guard(token: str, *, metrics_token: str = "") -> type:
    """An ASGI middleware class that checks `X-API-Key` or `Authorization: Bearer`.

    With no `token`, only `/metrics` is guarded (by `metrics_token`); `/metrics` also takes
    `metrics_token` when both are set.
    """
    expected = token.encode()
    scraper = metrics_token.encode()

    class TokenMiddleware:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            path = scope["path"]
            if scope["type"] in ("http", "websocket") and path not in OPEN_PATHS:
                if path == METRICS and scraper:
                    allowed = authenticated(scope, scraper) or (
                        bool(expected) and authenticated(scope, expected)
                    )
                else:
                    allowed = not expected or authenticated(scope, expected)
                if not allowed:
                    raise errors.UnauthorizedError(UNAUTHORIZED)
            await self.app(scope, receive, send)

    return TokenMiddleware


def authenticated(scope: Scope, expected: bytes) -> bool:
    """Whether the request presents the token (compared in constant time)."""
    return hmac.compare_digest(_presented(scope), expected)


def _presented(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return value.removeprefix(b"Bearer ").strip()
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return b""
