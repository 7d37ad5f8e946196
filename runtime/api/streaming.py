"""Streamed answers whose opening and body share one watch for the client leaving.

A model stream is opened first (routing, failover, the first chunk in hand), then relayed.
`OpenedStream` takes the opening itself: an error while opening is an ordinary HTTP error
(nothing was sent yet), and one watcher task cancels the work, opening or relaying, when the
client disconnects. This replaces Litestar's per-response task group for these routes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import Any, cast

from litestar.response import Stream
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from runtime.api.disconnect import ClientGoneError, ClientWatch

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
Opening = Awaitable[AsyncIterator[bytes]]


class OpenedStream(Stream):
    """A `text/event-stream` (or other) answer, opened and sent under one disconnect watch."""

    def __init__(self, opening: Opening, *, media_type: str = "text/event-stream") -> None:
        super().__init__((), media_type=media_type, headers=SSE_HEADERS)
        self._opening = opening

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        response = super().to_asgi_response(*args, **kwargs)
        # Litestar only calls the answer: ours sends the same head, then the opened stream
        return cast(ASGIResponse, _Opened(response, self._opening))


class _Opened:
    """The ASGI answer: opens the stream, sends Litestar's response head, relays the body."""

    __slots__ = ("_head", "_opening")

    def __init__(self, head: ASGIResponse, opening: Opening) -> None:
        self._head = head
        self._opening = opening

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with ClientWatch(receive) as watch:
            try:
                try:
                    chunks = await self._opening
                except asyncio.CancelledError:
                    if watch.caused():
                        raise ClientGoneError("the client closed the connection") from None
                    raise
                await self._head.start_response(send)
                await _relay(chunks, send)
            except asyncio.CancelledError:
                if not watch.caused():
                    raise


async def opened(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """An opening that is already done (the stream was opened under `unless_gone`)."""
    return chunks


async def _relay(chunks: AsyncIterator[bytes], send: Send) -> None:
    async with contextlib.aclosing(cast(AsyncGenerator[bytes, None], chunks)) as stream:
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
