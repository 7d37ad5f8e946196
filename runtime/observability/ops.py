"""Operation records: what background work did (reconcile cycles, pulls, deliveries, ...).

`Operations` is one process's recorder, handed to the loops that do the work; it keeps the
latest records in memory (bounded) and queues each for the activity store to persist.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_KEEP = 5000


@dataclass(slots=True)
class Operation:
    """One piece of background work on one subject, and how it ended."""

    op: str  # reconcile, observe, pull, delivery, function, ...
    subject: str  # what it worked on: a backend, a model at a backend, a function
    outcome: str  # ok or error
    started_at: float  # epoch seconds
    seconds: float
    error: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "subject": self.subject,
            "outcome": self.outcome,
            "startedAt": self.started_at,
            "ms": round(self.seconds * 1000, 3),
            "error": self.error or None,
            "detail": self.detail,
        }


class Operations:
    """Bounded in-memory records plus the queue of those not yet stored."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.recent: deque[Operation] = deque(maxlen=keep)
        self.unsaved: deque[Operation] = deque(maxlen=keep)

    def record(
        self,
        op: str,
        subject: str,
        *,
        ok: bool,
        seconds: float = 0.0,
        error: str = "",
        started_at: float | None = None,
        **detail: Any,
    ) -> Operation:
        entry = Operation(
            op=op,
            subject=subject,
            outcome="ok" if ok else "error",
            started_at=time.time() - seconds if started_at is None else started_at,
            seconds=seconds,
            error=error,
            detail=detail,
        )
        self.recent.append(entry)
        self.unsaved.append(entry)
        return entry

    @contextlib.asynccontextmanager
    async def timed(self, op: str, subject: str, **detail: Any) -> AsyncIterator[dict[str, Any]]:
        """Record the block as one operation: `error` if it raised (the error goes on)."""
        started_at, started = time.time(), time.perf_counter()
        extra: dict[str, Any] = dict(detail)
        try:
            yield extra
        except Exception as exc:
            self.record(
                op,
                subject,
                ok=False,
                seconds=time.perf_counter() - started,
                error=str(exc) or type(exc).__name__,
                started_at=started_at,
                **extra,
            )
            raise
        self.record(
            op,
            subject,
            ok=True,
            seconds=time.perf_counter() - started,
            started_at=started_at,
            **extra,
        )

    def drain(self) -> list[Operation]:
        """The records not yet stored (they leave the queue)."""
        taken = list(self.unsaved)
        self.unsaved.clear()
        return taken
