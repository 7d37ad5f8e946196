"""RequestRecord: what one request did, filled in as it runs, read once when it ends.

The HTTP layer opens a record per request and sets it as `current`; routing and the gateway
write the model, the candidates they skipped and each backend attempt into it. Code outside a
request (background loops) finds no record and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any


class RequestRecord:
    """One request: identity, timings, routing and attempts (plain slots: built per request)."""

    __slots__ = (
        "attempts",
        "backend",
        "chain",
        "duration",
        "error",
        "first_token",
        "id",
        "key",
        "method",
        "model",
        "passed_over",
        "path",
        "route",
        "started",
        "started_at",
        "status",
        "steps",
        "tokens_estimated",
        "tokens_in",
        "tokens_out",
        "trace_id",
    )

    def __init__(self, request_id: str, method: str, path: str, trace_id: str = "") -> None:
        self.id = request_id
        self.trace_id = trace_id
        self.method = method
        self.path = path
        self.route = ""
        self.status = 0
        self.started_at = time.time()
        self.started = time.perf_counter()
        self.duration = 0.0
        self.key = ""
        self.model = ""
        self.backend = ""
        self.error = ""
        self.first_token = 0.0  # seconds from the start to the first streamed item
        self.tokens_in = 0
        self.tokens_out = 0
        self.tokens_estimated = 0  # prompt sizes estimated before the calls (tokens per minute)
        self.chain = ""
        self.steps: Any = None  # a chain run's captured steps, converted when stored
        # (backend, why it was not a candidate), worked out only when the record is read
        self.passed_over: Callable[[], list[tuple[str, str]]] | None = None
        self.attempts: tuple[Attempt, ...] = ()  # a tuple: most requests make one

    def attempt(self, backend: str, model: str) -> Attempt:
        """Open an attempt on a backend; the caller closes it with its outcome."""
        opened = Attempt(backend, model)
        self.attempts = (*self.attempts, opened)  # at most a few
        self.backend = backend
        self.model = model
        return opened

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """Each backend that was not a candidate, and why."""
        return self.passed_over() if self.passed_over is not None else []

    @property
    def tokens(self) -> int:
        """The tokens the request's calls used: as the backends reported, else as estimated.

        (A request whose calls reported some usage is charged only what they reported.)
        """
        return self.tokens_in + self.tokens_out or self.tokens_estimated

    def first_item(self) -> None:
        if not self.first_token:
            self.first_token = time.perf_counter() - self.started

    def detail(self) -> dict[str, Any]:
        """Everything beyond the indexed columns, as JSON-ready values."""
        return {
            "traceId": self.trace_id,
            "path": self.path,
            "firstTokenMs": round(self.first_token * 1000, 3) if self.first_token else None,
            "tokensIn": self.tokens_in,
            "tokensOut": self.tokens_out,
            "chain": self.chain or None,
            "skipped": [{"backend": b, "reason": r} for b, r in self.skipped],
            "attempts": [a.as_dict() for a in self.attempts],
        }


class Attempt:
    """One try on one backend: how long it took and how it ended."""

    __slots__ = ("backend", "error", "model", "outcome", "seconds", "started")

    def __init__(self, backend: str, model: str) -> None:
        self.backend = backend
        self.model = model
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.outcome = "pending"
        self.error = ""

    def close(self, outcome: str, error: str = "") -> None:
        self.seconds = time.perf_counter() - self.started
        self.outcome = outcome
        self.error = error

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "outcome": self.outcome,
            "ms": round(self.seconds * 1000, 3),
            "error": self.error or None,
        }


current: ContextVar[RequestRecord | None] = ContextVar("request_record", default=None)
