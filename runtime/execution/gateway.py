"""ChatGateway: an OpenAI chat request routed to a backend, with failover before the first byte.

Does network I/O through drivers; records every attempt's outcome in the routing health.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import msgspec

from runtime import errors
from runtime.providers import Driver
from runtime.providers.chat import Chat, ChatRequest, estimated_tokens, parse_chat
from runtime.registry.types import Backend
from runtime.routing import Capability, Resolver, Route, RouteRequest

log = logging.getLogger("runtime.gateway")
T = TypeVar("T")


class ChatGateway:
    """Completes chat requests on the best route; a failed first attempt moves to the next."""

    def __init__(self, resolver: Resolver, drivers: Callable[[Backend], Driver]) -> None:
        self._resolver = resolver
        self._drivers = drivers
        self._health = resolver.health

    def parse(self, body: bytes) -> ChatRequest:
        return parse_chat(body)

    def _routes(self, request: ChatRequest) -> list[Route]:
        needs = {Capability.CHAT} | ({Capability.STREAM} if request.stream else set())
        return self._resolver.routes(
            RouteRequest(
                model=request.model,
                needs=frozenset(needs),
                min_context=estimated_tokens(request),
            )
        )

    async def complete(self, request: ChatRequest, body: bytes) -> bytes:
        """A whole `chat.completion`; raises the last error when every attempt failed."""
        routes = self._routes(request)
        return await self.first_success(
            routes,
            lambda driver, route: driver.chat(Chat(request=request, body=body, model=route.model)),
        )

    async def first_success(
        self, routes: list[Route], call: Callable[[Driver, Route], Awaitable[T]]
    ) -> T:
        """`call` on each route in turn until one succeeds; a non-retryable error ends it."""
        failure: errors.Error | None = None
        for route in routes:
            backend = route.backend.id
            self._health.started(backend)
            try:
                answer = await call(self._drivers(route.backend), route)
            except errors.Error as exc:
                if not exc.retryable:
                    raise
                failure = self._failed(route, exc)
                continue
            finally:
                self._health.finished(backend)
            self._health.succeeded(backend)
            return answer
        assert failure is not None  # noqa: S101 - routes are never empty
        raise failure

    async def stream(self, request: ChatRequest, body: bytes) -> AsyncIterator[bytes]:
        """SSE bytes of the answer; the first chunk is already in hand when this returns."""
        failure: errors.Error | None = None
        for route in self._routes(request):
            backend = route.backend.id
            self._health.started(backend)
            chunks = self._drivers(route.backend).stream_chat(
                Chat(request=request, body=body, model=route.model)
            )
            try:
                first = await anext(chunks)
            except errors.Error as exc:
                self._health.finished(backend)
                if not exc.retryable:
                    raise
                failure = self._failed(route, exc)
                continue
            except StopAsyncIteration:
                first = b""  # an empty stream; `_relay` still closes the books on it
            return self._relay(route, first, chunks)
        assert failure is not None  # noqa: S101 - routes() never returns an empty list
        raise failure

    async def _relay(
        self, route: Route, first: bytes, chunks: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        """Yield the stream; a failure after the first byte ends it with an error event."""
        backend = route.backend.id
        try:
            if first:
                yield first
            async for chunk in chunks:
                yield chunk
        except errors.Error as exc:
            self._failed(route, exc)
            yield error_event(exc)
        else:
            self._health.succeeded(backend)
        finally:
            self._health.finished(backend)

    def _failed(self, route: Route, exc: errors.Error) -> errors.Error:
        cooldown = self._health.failed(route.backend.id)
        log.warning(
            "chat on %s (%s) failed, cooling down %.0fs: %s",
            route.backend.name,
            route.model,
            cooldown,
            exc.message,
        )
        return exc


def error_event(exc: errors.Error) -> bytes:
    """The SSE event that tells a streaming client the answer broke off."""
    body = {
        "error": {
            "message": exc.message,
            "type": "api_error",
            "code": "upstream_error",
            "param": None,
        }
    }
    return b"data: " + msgspec.json.encode(body) + b"\n\n"
