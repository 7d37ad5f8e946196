"""RateLimiter: uses per subject in fixed one-minute windows, counted in the database.

Every replica adds to the same row (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so a
limit holds across replicas with no other service. Exact per window: a request is allowed when
the total after adding it is within the limit (a refused request still counts, so a flood stays
refused). Fixed windows let a burst of up to twice the limit straddle a minute's boundary.
Once this process has seen a window full, it refuses without asking the database again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from runtime.db import Database
from runtime.identity import store
from runtime.identity.types import Quota

WINDOW = 60


class RateLimiter:
    """Counts uses of a subject (`key:<id>`, `user:<id>`, `login:<address>`) per minute."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._full: dict[str, int] = {}  # subject -> the window it was last seen full in
        self._window = -1

    async def take(self, subject: str, limit: int, amount: int = 1) -> Quota:
        """Count `amount` uses now; whether they fit in `limit` for this minute."""
        now = self._clock()
        window = int(now // WINDOW)
        reset = max(1, math.ceil((window + 1) * WINDOW - now))
        if self._full.get(subject) == window:
            return Quota(limit=limit, remaining=0, reset=reset, allowed=False)
        async with self._db.transaction() as session:
            if window != self._window:  # once a minute: drop the windows gone by
                self._window = window
                self._full.clear()
                await store.forget_windows(session, window - 1)
            used = await store.add_use(session, subject, window, amount)
        if used >= limit:
            self._full[subject] = window
        return Quota(
            limit=limit, remaining=max(0, limit - used), reset=reset, allowed=used <= limit
        )
