"""RateLimiter: uses per subject (requests, or tokens) in fixed one-minute windows, in the database.

Every replica adds to the same row (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so a
limit holds across replicas with no other service. How exact:

- A limit of at most `EXACT_UP_TO` a minute, and any subject within `slack` of its limit, is
  counted in the database on every request: exact (a request is allowed when the total after
  adding it is within the limit; a refused one still counts, so a flood stays refused).
- Far from a larger limit, uses are counted in memory and added in one statement at most
  every `FLUSH_EVERY` seconds (by `run`, or by the next request): the database is asked about
  once per subject and interval instead of once per request. Replicas see each other's uses
  that late, so a burst can overshoot by what the others admitted in one interval, at most
  `slack` (a tenth of the limit) each.
- Fixed windows let a burst of up to twice the limit straddle a minute's boundary.
- Once this process has seen a window full, it refuses without asking the database again.
- Tokens are `take`n with amount 0 before a call (refused once the window holds the limit) and
  `charge`d after it: calls already admitted when the window fills still add what they used,
  so a minute can overshoot by what the calls in flight at that moment use.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from runtime.db import Database
from runtime.identity import store
from runtime.identity.types import Quota

WINDOW = 60
EXACT_UP_TO = 100
FLUSH_EVERY = 0.5


@dataclass
class _Count:
    """This process's view of one subject in one window."""

    window: int
    known: int = 0  # the database's total when last asked
    pending: int = 0  # admitted here, not yet added to the database
    synced: float = 0.0  # monotonic time of the last exchange with the database


def headers(quota: Quota, suffix: str = "") -> dict[str, str]:
    """The `X-RateLimit-*` headers of a decision (and `Retry-After` when it refuses).

    `suffix` names what is counted besides requests (`-tokens`: `x-ratelimit-limit-tokens`).
    """
    found = {
        f"x-ratelimit-limit{suffix}": str(quota.limit),
        f"x-ratelimit-remaining{suffix}": str(quota.remaining),
        f"x-ratelimit-reset{suffix}": str(quota.reset),
    }
    if not quota.allowed:
        found["retry-after"] = str(quota.reset)
    return found


def slack(limit: int) -> int:
    """How close to `limit` counting turns exact (all of it for small limits)."""
    return limit if limit <= EXACT_UP_TO else limit // 10


class RateLimiter:
    """Counts uses of a subject (`key:<id>`, `tokens:key:<id>`, `login:<address>`) per minute."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._clock = clock
        self._monotonic = monotonic
        self._counts: dict[str, _Count] = {}
        self._window = -1

    async def take(self, subject: str, limit: int, amount: int = 1) -> Quota:
        """Count `amount` uses now; allowed while the minute held less than `limit` before.

        For a request (`amount` 1) that is: allowed when it fits within the limit.
        """
        count, reset = await self._count(subject)
        if count.known >= limit:  # seen full: refuse without asking again
            return Quota(limit=limit, remaining=0, reset=reset, allowed=False)
        estimate = count.known + count.pending + amount
        if estimate <= limit - slack(limit) and self._monotonic() - count.synced < FLUSH_EVERY:
            count.pending += amount
            return Quota(limit=limit, remaining=limit - estimate, reset=reset, allowed=True)
        used = await self._add(subject, count, amount)
        return Quota(
            limit=limit, remaining=max(0, limit - used), reset=reset, allowed=used - amount < limit
        )

    async def charge(self, subject: str, limit: int, amount: int) -> None:
        """Count `amount` uses that already happened (the tokens of a call): never refused.

        Near the limit (or when this process last exchanged with the database a while ago) the
        amount goes to the database at once, so the other replicas see it.
        """
        if amount <= 0:
            return
        count, _ = await self._count(subject)
        count.pending += amount
        near = count.known + count.pending > limit - slack(limit)
        if near or self._monotonic() - count.synced >= FLUSH_EVERY:
            await self._add(subject, count, 0)

    async def _count(self, subject: str) -> tuple[_Count, int]:
        """The subject's count in the current window, and seconds until that window ends."""
        now = self._clock()
        window = int(now // WINDOW)
        reset = max(1, math.ceil((window + 1) * WINDOW - now))
        if window != self._window:
            await self._next_window(window)
        count = self._counts.get(subject)
        if count is None or count.window != window:
            count = self._counts[subject] = _Count(window=window)
        return count, reset

    async def run(self, stop: asyncio.Event) -> None:
        """Add what was counted in memory to the database every `FLUSH_EVERY` seconds."""
        while not stop.is_set():
            await self.flush()
            try:
                await asyncio.wait_for(stop.wait(), FLUSH_EVERY)
            except TimeoutError:
                continue

    async def flush(self) -> None:
        for subject, count in list(self._counts.items()):
            if count.pending:
                await self._add(subject, count, 0)

    async def _add(self, subject: str, count: _Count, amount: int) -> int:
        taken, count.pending = count.pending + amount, 0
        count.synced = self._monotonic()
        async with self._db.transaction() as session:
            used = await store.add_use(session, subject, count.window, taken)
        count.known = max(count.known, used)
        return used

    async def _next_window(self, window: int) -> None:
        """Once a minute: flush what the last window counted, forget it and older rows."""
        self._window = window
        await self.flush()
        self._counts = {s: c for s, c in self._counts.items() if c.window >= window}
        async with self._db.transaction() as session:
            await store.forget_windows(session, window - 1)
