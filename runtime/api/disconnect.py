"""Request work that is cancelled when the client goes away before the answer starts.

Litestar watches for a disconnect only once a streamed body is being sent; until the first
byte (a chain's first token may be seconds away) this module watches the connection itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, TypeVar

from litestar import Request

from runtime import errors

T = TypeVar("T")


class ClientGoneError(errors.Error):
    """The client closed the connection before the answer started (nginx's 499)."""

    status = 499


async def unless_gone(request: Request[Any, Any, Any], work: Awaitable[T]) -> T:
    """The result of `work`, which is cancelled if the client disconnects first.

    Call it after the body has been read: the connection's next message is its end.
    """
    job = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({job, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not job.done():
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError, errors.Error):
                await job
    if job.cancelled():
        raise ClientGoneError("the client closed the connection")
    return job.result()


async def _disconnect(request: Request[Any, Any, Any]) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
