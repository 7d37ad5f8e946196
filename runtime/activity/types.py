"""The activity API's shapes (camelCase, like the rest of the API)."""

from __future__ import annotations

from typing import Any

import msgspec


class RequestOut(msgspec.Struct, kw_only=True):
    """One answered request: when, what, how it ended, and where it went."""

    id: str
    node: str
    startedAt: str  # noqa: N815
    method: str
    route: str
    path: str
    status: int
    durationMs: float  # noqa: N815
    model: str | None
    backend: str | None
    key: str | None
    error: str | None
    traceId: str | None  # noqa: N815
    firstTokenMs: float | None  # noqa: N815
    tokensIn: int  # noqa: N815
    tokensOut: int  # noqa: N815
    chain: str | None
    skipped: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    cursor: int


class RequestPage(msgspec.Struct, kw_only=True):
    """A page of requests, newest first."""

    requests: list[RequestOut]
    next: int | None  # pass as `before` for the next (older) page


class RequestState(msgspec.Struct, kw_only=True):
    """The captured steps of the chain a request ran."""

    id: str
    chain: str
    steps: list[Any] | None


class OperationOut(msgspec.Struct, kw_only=True):
    """One background operation record."""

    op: str
    subject: str
    node: str
    startedAt: str  # noqa: N815
    durationMs: float  # noqa: N815
    outcome: str
    error: str | None
    detail: dict[str, Any]
    cursor: int


class OperationPage(msgspec.Struct, kw_only=True):
    """A page of operations, newest first."""

    operations: list[OperationOut]
    next: int | None


class Alert(msgspec.Struct, kw_only=True, frozen=True):
    """Something that needs a person."""

    kind: str  # backend_down, pull_failing, function_failing, queue_growing
    subject: str
    message: str
    since: str | None
    count: int


class AlertList(msgspec.Struct, kw_only=True):
    """What needs a person now."""

    alerts: list[Alert]


class InFlight(msgspec.Struct, kw_only=True):
    """A request still running in this process."""

    id: str
    method: str
    path: str
    startedAt: str  # noqa: N815
    elapsedMs: float  # noqa: N815
    model: str | None
    backend: str | None
    chain: str | None
    steps: int


class InFlightList(msgspec.Struct, kw_only=True):
    """The requests running in this process."""

    requests: list[InFlight]
