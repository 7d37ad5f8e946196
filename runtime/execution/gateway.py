"""ChatGateway: an OpenAI chat request routed to a backend, with failover before the first byte.

Does network I/O through drivers; records every attempt's outcome in the routing health.
Answers stay what the driver gave (typed values, or an OpenAI backend's bytes to relay): the
caller encodes them once for its client.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar, cast

from runtime import errors
from runtime.execution.observed import Attempt, counted, estimated, usage
from runtime.observability import metrics, tracing
from runtime.providers import Chat, Driver
from runtime.providers.base import PROMPT_TEMPERATURE
from runtime.providers.messages import Embedded
from runtime.registry.types import Backend
from runtime.routing import Capability, Resolver, Route, RouteRequest
from runtime.state.catalog import Offer
from runtime.wire.openai import ChatRequest, Completion, estimated_tokens
from runtime.wire.sse import StreamItem, error_event
from runtime.wire.tokens import estimate, estimate_text

log = logging.getLogger("runtime.gateway")
T = TypeVar("T")
Stream = AsyncGenerator[StreamItem, None]


class ChatGateway:
    """Completes chat requests on the best route; a failed first attempt moves to the next."""

    def __init__(self, resolver: Resolver, drivers: Callable[[Backend], Driver]) -> None:
        self._resolver = resolver
        self._drivers = drivers
        self._health = resolver.health

    def offers(self) -> list[Offer]:
        """The models that can be served now."""
        return self._resolver.offers()

    def offer(self, model: str) -> Offer:
        """A model that can be served now; `ModelNotFoundError` (a 404) otherwise."""
        return self._resolver.offer(model)

    async def routes(
        self, model: str, need: Capability, *, provider: str | None = None, min_context: int = 0
    ) -> list[Route]:
        """The routes for `model`, best first; raises why when there is none."""
        with tracing.span("routing", **{"gen_ai.request.model": model, "need": need.value}):
            return await self._resolver.routes(
                RouteRequest(
                    model=model, needs=frozenset({need}), provider=provider, min_context=min_context
                )
            )

    async def _chat_routes(self, request: ChatRequest, provider: str | None) -> list[Route]:
        # a chat-capable model streams: `canStream` is declared, never required
        prompt = estimated_tokens(request)
        found = await self.routes(
            request.model, Capability.CHAT, provider=provider, min_context=prompt
        )
        estimated(prompt)
        return found

    async def complete(
        self, request: ChatRequest, body: bytes | None = None, *, provider: str | None = None
    ) -> Completion | bytes:
        """The whole answer; raises the last error when every attempt failed."""
        routes = await self._chat_routes(request, provider)
        answer: Completion | bytes = await self.first_success(
            routes,
            lambda driver, route: driver.chat(Chat(request=request, body=body, model=route.model)),
        )
        usage(answer)
        return answer

    async def embed(
        self,
        model: str,
        texts: list[str],
        *,
        dimensions: int | None = None,
        provider: str | None = None,
    ) -> Embedded:
        """One vector per text; `dimensions` a backend cannot honour is the client's 400."""
        routes = await self.routes(model, Capability.EMBED, provider=provider)
        estimated(estimate(sum(len(text) for text in texts)))
        embedded = await self.first_success(
            routes,
            lambda driver, route: driver.embed(route.model, texts, dimensions=dimensions),
        )
        counted(embedded.prompt_tokens)
        if dimensions is not None and any(len(v) != dimensions for v in embedded.vectors):
            raise errors.BadRequestError(
                f"the backend serving {model} cannot shorten embeddings to {dimensions} dimensions",
                param="dimensions",
            )
        return embedded

    async def prompt(
        self,
        model: str,
        system: str,
        prompt: str,
        *,
        temperature: float = PROMPT_TEMPERATURE,
        provider: str | None = None,
    ) -> str:
        """One prompt's answer text on the best route for prompting `model`."""
        routes = await self.routes(model, Capability.PROMPT, provider=provider)
        estimated(estimate_text(system) + estimate_text(prompt))
        return await self.first_success(
            routes, lambda driver, route: driver.prompt(route.model, system, prompt, temperature)
        )

    async def first_success(
        self, routes: list[Route], call: Callable[[Driver, Route], Awaitable[T]]
    ) -> T:
        """`call` on each route in turn until one succeeds; a non-retryable error ends it."""
        failure: errors.Error | None = None
        for route in routes:
            backend = route.backend.id
            self._health.started(backend)
            attempt = Attempt(route, failover=failure is not None)
            try:
                with attempt, attempt.span():
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

    async def stream(
        self, request: ChatRequest, body: bytes | None = None, *, provider: str | None = None
    ) -> AsyncIterator[StreamItem]:
        """The answer's chunks (or relayed SSE bytes); the first is in hand when this returns.

        A failure before the first item raises (an HTTP error); after it, the stream ends with
        an error event.
        """
        relay = self._relay(await self._chat_routes(request, provider), request, body)
        try:
            first: StreamItem | None = await anext(relay)
        except StopAsyncIteration:
            first = None
        except BaseException:
            await relay.aclose()
            raise
        return _prepend(first, relay)

    async def _relay(
        self, routes: list[Route], request: ChatRequest, body: bytes | None
    ) -> AsyncGenerator[StreamItem, None]:
        """Each route in turn until one sends something; its stream then, to the end.

        In-flight counts are kept by one try/finally per attempt, whatever ends it (an error of
        any kind, the client leaving, cancellation), and the driver's stream is always closed.
        """
        failure: errors.Error | None = None
        for route in routes:
            backend = route.backend.id
            self._health.started(backend)
            attempt = Attempt(route, failover=failure is not None, usage=request.wants_usage)
            try:
                with attempt:
                    chat = Chat(request=request, body=body, model=route.model)
                    opened = self._drivers(route.backend).stream_chat(chat)
                    async with contextlib.aclosing(cast(Stream, opened)) as chunks:
                        with attempt.span():  # the request goes out on the first item
                            first = await anext(chunks, None)
                        async with contextlib.aclosing(_shown(attempt, first, chunks)) as out:
                            async for item in out:
                                yield item
            except errors.Error as exc:
                if not attempt.sent and exc.retryable:
                    failure = self._failed(route, exc)
                    continue
                if not attempt.sent:
                    raise
                if exc.retryable:
                    self._failed(route, exc)
                yield error_event(exc)
                return
            except Exception as exc:
                if not attempt.sent:
                    raise
                log.exception("stream of %s on %s broke off", route.model, route.backend.name)
                yield error_event(exc)
                return
            else:
                self._health.succeeded(backend)
                return
            finally:
                self._health.finished(backend)
        assert failure is not None  # noqa: S101 - routes() never returns an empty list
        raise failure

    def _failed(self, route: Route, exc: errors.Error) -> errors.Error:
        if isinstance(exc, errors.RefusedUpstreamError):  # the request's fault: no cooldown
            log.info("chat on %s (%s) refused: %s", route.backend.name, route.model, exc.message)
            return exc
        cooldown = self._health.failed(route.backend.id)
        metrics.child(metrics.cooldowns, route.backend.name).inc()
        log.warning(
            "chat on %s (%s) failed, cooling down %.0fs: %s",
            route.backend.name,
            route.model,
            cooldown,
            exc.message,
        )
        return exc


async def _shown(
    attempt: Attempt, first: StreamItem | None, rest: Stream
) -> AsyncGenerator[StreamItem, None]:
    """What of one backend's stream goes out to the client (see `Attempt.item`)."""
    if first is not None:
        shown = attempt.item(first)
        if shown is not None:
            yield shown
        async for chunk in rest:
            shown = attempt.item(chunk)
            if shown is not None:
                yield shown
    tail = attempt.rest()
    if tail:
        yield tail


async def _prepend(first: StreamItem | None, rest: Stream) -> AsyncIterator[StreamItem]:
    async with contextlib.aclosing(rest):
        if first is not None:
            yield first
        async for chunk in rest:
            yield chunk
