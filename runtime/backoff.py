"""Retry delays: steps that double up to a cap, with jitter. Pure.

Every retry in the process waits a jittered delay, so workers and replicas that failed together
(a backend restarting, a database failover) do not all come back in the same instant.
"""

from __future__ import annotations

import random

_MAX_DOUBLINGS = 64  # 2**64 steps is past any cap; keeps the float finite for any attempt


def doubling(attempt: int, *, first: float, cap: float) -> float:
    """The step before retry `attempt` (1, 2, ...): `first`, doubling each time, at most `cap`."""
    return min(first * 2.0 ** min(max(attempt - 1, 0), _MAX_DOUBLINGS), cap)


def equal_jitter(delay: float) -> float:
    """A delay drawn evenly from [delay/2, delay]: spread out, and never much shorter."""
    return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not crypto


def full_jitter(delay: float) -> float:
    """A delay drawn evenly from [0, delay]: the widest spread, for cheap retries."""
    return random.uniform(0, delay)  # noqa: S311 - jitter, not crypto
