"""Request work that is cancelled when the client goes away before the answer starts.

Litestar watches for a disconnect only once a streamed body is being sent; until the first
byte (a chain's first token may be seconds away) this module watches the connection itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from litestar import Request
from litestar.types import Receive

from runtime import errors

T = TypeVar("T")


class ClientGoneError(errors.Error):
    """The client closed the connection before the answer started (nginx's 499)."""

    status = 499


class ClientWatch:
    """While entered, one watcher task cancels the current task when the client disconnects.

    `caused()`, asked while handling a CancelledError, says whether the client leaving caused
    it (and then takes that cancellation back, so the task may go on to clean up).
    """

    def __init__(self, receive: Receive) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - always used from a request's task
        self._task = task
        self._receive = receive
        self._left = False
        self._watcher: asyncio.Task[None] | None = None

    def __enter__(self) -> ClientWatch:
        self._watcher = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *_: object) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            # the cancelled watcher keeps its error, whose frames hold us: without this
            # reference back to it, no cycle is left for the collector (one per request)
            self._watcher = None

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._left = True
        self._task.cancel()

    def caused(self) -> bool:
        return self._left and self._task.uncancel() == 0


async def unless_gone(request: Request[Any, Any, Any], work: Awaitable[T]) -> T:
    """The result of `work`, which is cancelled if the client disconnects first.

    Call it after the body has been read: the connection's next message is its end. `work`
    runs in the caller's task under a `ClientWatch`.
    """
    with ClientWatch(request.receive) as watch:
        try:
            return await work
        except asyncio.CancelledError:
            if watch.caused():
                raise ClientGoneError("the client closed the connection") from None
            raise
