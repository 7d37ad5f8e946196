"""Every HTTP request observed: its id, one access log line, metrics, a span, an activity record.

`Observer` wraps the whole application (outside Litestar's exception handling, so it sees
every answer, 404s and 401s included). The request id is the client's `X-Request-ID` when it is
sane, else a new one; it is sent back on every response. A W3C `traceparent` gives the trace id
(and, with tracing on, the parent span). Bodies and credentials are never logged: the line holds
method, route template, status, duration, request id, the key's prefix, backend and model.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import msgspec

from runtime.observability import logs, metrics, tracing
from runtime.observability.record import RequestRecord, current
from runtime.wire import ids

log = logging.getLogger("runtime.access")
_SANE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
_TRACEPARENT = re.compile(rb"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
QUIET = frozenset({"/health", "/metrics"})  # probes and scrapers: DEBUG lines, no activity rows
Scope = dict[str, Any]  # an HTTP scope (Litestar's TypedDict union is too wide here)
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
FAILED = 400  # from this status on, the answer's error message goes into the record
SERVER_ERROR = 500
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Sink(Protocol):
    """Where finished requests go (the activity service)."""

    def started(self, record: RequestRecord) -> None: ...

    def finished(self, record: RequestRecord) -> None: ...


class _ErrorBody(msgspec.Struct):
    error: _ErrorDetail


class _ErrorDetail(msgspec.Struct):
    message: str = ""


_error_body = msgspec.json.Decoder(_ErrorBody)


class Observer:
    """The request-level observation of one application."""

    def __init__(self, sink: Sink, *, fields: bool = False) -> None:
        self._sink = sink
        self._fields = fields  # JSON lines: each access line also carries its fields

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: App) -> None:
        traced = tracing.enabled()
        request_id, trace_id, headers = _identity(scope, traced=traced)
        path: str = scope["path"]
        record = RequestRecord(request_id, scope["method"], path, trace_id)
        quiet = path in QUIET
        if not quiet:
            self._sink.started(record)
        token = current.set(record)
        header = (b"x-request-id", request_id.encode())

        async def observed(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                record.status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif kind == "http.response.body" and record.status >= FAILED and not record.error:
                record.error = _error_message(message.get("body", b""))
            await send(message)

        try:
            if traced:
                await self._traced(scope, receive, observed, app, record, headers)
            else:
                await app(scope, receive, observed)
        except BaseException:
            if not record.status:
                record.status = 500
            raise
        finally:
            current.reset(token)
            record.duration = time.perf_counter() - record.started
            record.route = scope.get("path_template") or "unmatched"
            user = scope.get("user")
            record.key = getattr(user, "prefix", None) or ""
            _account(record, quiet, fields=self._fields)
            if not quiet:
                self._sink.finished(record)

    async def _traced(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        app: App,
        record: RequestRecord,
        headers: dict[str, str],
    ) -> None:
        with tracing.server_span(
            f"{scope['method']} {scope['path']}",
            headers,
            **{"http.request.method": scope["method"], "runtime.request_id": record.id},
        ) as opened:
            record.trace_id = tracing.current_trace_id() or record.trace_id
            try:
                await app(scope, receive, send)
            finally:
                if opened is not None:
                    route = scope.get("path_template")
                    if route:
                        opened.update_name(f"{scope['method']} {route}")
                        opened.set_attribute("http.route", route)
                    opened.set_attribute("http.response.status_code", record.status or 500)
                    if record.status >= SERVER_ERROR or not record.status:
                        tracing.failed(opened, record.error or "server error")


def _identity(scope: Scope, *, traced: bool) -> tuple[str, str, dict[str, str]]:
    """The request id, the trace id, and (with tracing on) the headers a parent comes from."""
    request_id = trace_id = ""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _SANE_ID.fullmatch(value):
            request_id = value.decode()
        elif name == b"traceparent":
            found = _TRACEPARENT.fullmatch(value)
            if found and found.group(1) != b"0" * 32:
                trace_id = found.group(1).decode()
                if traced:
                    headers["traceparent"] = value.decode()
        elif traced and name == b"tracestate":
            headers["tracestate"] = value.decode("latin-1")
    return request_id or ids.request_id(), trace_id, headers


def _error_message(body: bytes) -> str:
    try:
        return _error_body.decode(body).error.message[:500]
    except (msgspec.DecodeError, msgspec.ValidationError):
        return "(no error envelope)"


def _account(record: RequestRecord, quiet: bool, *, fields: bool) -> None:  # noqa: FBT001
    answered = metrics.answered(record.method, record.route, record.status)
    answered.count.inc()
    answered.duration.observe(record.duration)
    level = logging.DEBUG if quiet else logging.INFO
    if not log.isEnabledFor(level):
        return
    ms = record.duration * 1000
    line = f"{record.method} {record.route} {record.status} {ms:.2f}ms id={record.id}"
    if record.trace_id:
        line += f" traceId={record.trace_id}"
    if record.key:
        line += f" key={record.key}"
    if record.backend:
        line += f" backend={record.backend}"
    if record.model:
        line += f" model={record.model}"
    logs.access(log, level, line, _fields(record, ms) if fields else None)


def _fields(record: RequestRecord, ms: float) -> dict[str, Any]:
    """The access line's parts, as JSON lines carry them."""
    named = {
        "traceId": record.trace_id,
        "key": record.key,
        "backend": record.backend,
        "model": record.model,
    }
    return {
        "method": record.method,
        "route": record.route,
        "status": record.status,
        "ms": round(ms, 3),
        "requestId": record.id,
    } | {name: value for name, value in named.items() if value}
