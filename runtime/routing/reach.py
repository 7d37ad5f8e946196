"""Confinement: the models a group-limited caller may reach, for the request being served.

The API's guard sets the reach of a group-limited key for the duration of its request; the
resolver then routes and lists only inside it, so every model route (OpenAI, Ollama, tasks,
chains) is confined without each passing it down. A reach is the set of `(backend id,
canonical model name)` pairs its groups bind, loaded at most once a `REACH_TTL` per group set.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from runtime.cache import TtlCache
from runtime.state.names import canonical

Reach = frozenset[tuple[str, str]]
Load = Callable[[frozenset[str]], Awaitable[Iterable[tuple[str, str]]]]
REACH_TTL = 1.0


class Confinement:
    """The current request's reach (None: unconfined), and a cache of reaches by groups."""

    def __init__(self, load: Load, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._current: ContextVar[Reach | None] = ContextVar("reach", default=None)
        self._cache: TtlCache[frozenset[str], Reach] = TtlCache(REACH_TTL, clock=clock)

    def current(self) -> Reach | None:
        return self._current.get()

    async def of(self, groups: frozenset[str]) -> Reach:
        """The reach of these groups (ids or names)."""
        return await self._cache.get(groups, self._loaded)

    async def _loaded(self, groups: frozenset[str]) -> Reach:
        return frozenset((backend, canonical(model)) for backend, model in await self._load(groups))

    @contextmanager
    def within(self, reach: Reach) -> Iterator[None]:
        """Confine what runs inside (in this task and the tasks it starts) to `reach`."""
        token = self._current.set(reach)
        try:
            yield
        finally:
            self._current.reset(token)
