"""TtlCache: values read from the database, reused for a short while.

For definitions that are read on every request and changed rarely (event mappings, task
chains): this process forgets an entry as soon as it changes it; another replica's change is
seen once the entry is older than `ttl`.
"""

from __future__ import annotations

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

    async def get(self, key: K, load: Callable[[K], Awaitable[V]]) -> V:
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        value = await load(key)
        self._entries[key] = (now, value)
        return value

    def forget(self, key: K | None = None) -> None:
        """Forget one entry, or every entry when no key is given."""
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)
