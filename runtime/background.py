"""Background: starts the long-running loops, restarts a crashed one with backoff, stops all.

The only owner of background tasks in the process (used from the app lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from types import TracebackType
from typing import Protocol

from runtime.backoff import equal_jitter

log = logging.getLogger("runtime.background")
_MAX_BACKOFF = 30.0


class Loop(Protocol):
    """A long-running job that returns once `stop` is set."""

    async def run(self, stop: asyncio.Event) -> None: ...


class Background:
    """`async with Background(loops):` runs every loop until the block exits."""

    def __init__(
        self,
        loops: dict[str, Loop],
        *,
        stop_timeout: float = 2.0,
        first_backoff: float = 0.5,
        healthy_after: float = 60.0,
    ) -> None:
        self._loops = loops
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_timeout = stop_timeout
        self._first_backoff = first_backoff
        self._healthy_after = healthy_after  # a loop that ran this long before it crashed was well
        self.states: dict[str, str] = dict.fromkeys(loops, "starting")  # for /system/services

    async def __aenter__(self) -> Background:
        self._tasks = [
            asyncio.create_task(self._supervise(name, loop), name=name)
            for name, loop in self._loops.items()
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        _, pending = await asyncio.wait(self._tasks, timeout=self._stop_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._tasks = []

    async def _supervise(self, name: str, loop: Loop) -> None:
        """Run `loop`; restart it after a crash, with a jittered backoff.

        The backoff doubles while the loop keeps crashing and starts from the first step again
        once the loop has run well for `healthy_after` seconds.
        """
        backoff = self._first_backoff
        while not self._stop.is_set():
            started = time.monotonic()
            self.states[name] = "running"
            try:
                await loop.run(self._stop)
            except Exception as exc:
                if time.monotonic() - started >= self._healthy_after:
                    backoff = self._first_backoff
                delay = equal_jitter(backoff)
                self.states[name] = f"restarting after a crash: {exc}"
                log.exception("background loop %s crashed; restarting in %.1fs", name, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
                backoff = min(backoff * 2, _MAX_BACKOFF)
            else:
                self.states[name] = "stopped"
                return


async def wait_any(*events: asyncio.Event, seconds: float) -> None:
    """Return when any event is set or `seconds` pass."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
