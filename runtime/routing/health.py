"""Passive health and load of backends: requests in flight, and cooldowns after failures.

In-process state, shared by every request of this process; time enters as a clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_FIRST_COOLDOWN = 1.0
_MAX_COOLDOWN = 60.0


class Health:
    """Counts in-flight requests per backend and cools down backends that fail."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.in_flight: dict[str, int] = {}
        self._failures: dict[str, int] = {}
        self._cool_until: dict[str, float] = {}

    def cooling(self, backend_id: str) -> bool:
        until = self._cool_until.get(backend_id)
        return until is not None and self._clock() < until

    def started(self, backend_id: str) -> None:
        self.in_flight[backend_id] = self.in_flight.get(backend_id, 0) + 1

    def finished(self, backend_id: str) -> None:
        left = self.in_flight.get(backend_id, 1) - 1
        if left:
            self.in_flight[backend_id] = left
        else:
            self.in_flight.pop(backend_id, None)

    def failed(self, backend_id: str) -> float:
        """Record a failure; return the cooldown it earned (doubling, capped)."""
        count = self._failures.get(backend_id, 0) + 1
        self._failures[backend_id] = count
        cooldown = min(_FIRST_COOLDOWN * (1 << min(count - 1, 16)), _MAX_COOLDOWN)
        self._cool_until[backend_id] = self._clock() + cooldown
        return cooldown

    def succeeded(self, backend_id: str) -> None:
        if self._failures.pop(backend_id, None) is not None:
            self._cool_until.pop(backend_id, None)
