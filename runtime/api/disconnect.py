"""Request work that is cancelled when the client goes away before the answer starts.

Litestar watches for a disconnect only once a streamed body is being sent; until the first
byte (a chain's first token may be seconds away) this module watches the connection itself.
"""

from __future__ import annotations

import asyncio
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

    Call it after the body has been read: the connection's next message is its end. `work`
    runs in the caller's task; one watcher task cancels it when the client leaves.
    """
    task = asyncio.current_task()
    assert task is not None  # noqa: S101 - always called from a request's task
    left = False

    async def watch() -> None:
        nonlocal left
        while (await request.receive())["type"] != "http.disconnect":
            pass
        left = True
        task.cancel()

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        return await work
    except asyncio.CancelledError:
        if left and task.uncancel() == 0:
            raise ClientGoneError("the client closed the connection") from None
        raise
    finally:
        watcher.cancel()
