"""TtlCache: values read from the database, reused for a short while.

For definitions that are read on every request and changed rarely (event mappings, task
chains): this process forgets an entry as soon as it changes it; another replica's change is
seen once the entry is older than `ttl`. Concurrent misses of one key share one load, so an
expired entry under load costs one read, not one per waiting request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Loaded values by key, each kept for `ttl` seconds; a failed load is not kept."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, load: Callable[[K], Awaitable[V]]) -> V:
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(load(key))
            self._loading[key] = loading
            loading.add_done_callback(lambda done: self._loaded(key, done, now))
        return await asyncio.shield(loading)  # one caller leaving does not cancel the others'

    def peek(self, key: K) -> V | None:
        """The value if one is held and fresh, without loading (None otherwise)."""
        hit = self._entries.get(key)
        if hit is not None and self._clock() - hit[0] < self._ttl:
            return hit[1]
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def _loaded(self, key: K, done: asyncio.Future[V], stamp: float) -> None:
        if self._loading.get(key) is not done:
            return  # forgotten while loading: the value may be stale
        del self._loading[key]
        if not done.cancelled() and done.exception() is None:
            self._entries[key] = (stamp, done.result())

    def forget(self, key: K | None = None) -> None:
        """Forget one entry, or every entry when no key is given."""
        if key is None:
            self._entries.clear()
            self._loading.clear()
        else:
            self._entries.pop(key, None)
            self._loading.pop(key, None)
