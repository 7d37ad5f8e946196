"""OpenTelemetry spans: off (costing one attribute check) unless a tracer provider is set.

`configure_from_env` sets an OTLP/HTTP exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the
traces-specific variable) is set; the exporter reads the standard OTel variables itself. Tests
pass an SDK provider with an in-memory exporter to `use`. Spans nest through contextvars, so a
request's span is the parent of its routing, attempt, chain-step and function spans.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("runtime.tracing")
_NULL: AbstractContextManager[None] = contextlib.nullcontext()
_propagator = TraceContextTextMapPropagator()


class _State:
    tracer: Tracer | None = None
    provider: Any = None


def enabled() -> bool:
    return _State.tracer is not None


def use(provider: Any) -> None:
    """Trace into `provider` (an SDK TracerProvider), or stop tracing with None."""
    _State.provider = provider
    _State.tracer = None if provider is None else provider.get_tracer("runtime")


def configure_from_env(env: Mapping[str, str]) -> bool:
    """An OTLP exporter when the standard variables ask for one; whether tracing is on."""
    if not (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "llm-runtime")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use(provider)
    log.info("tracing: spans are exported over OTLP")
    return True


def shutdown() -> None:
    provider = _State.provider
    if provider is not None and hasattr(provider, "shutdown"):
        provider.shutdown()


def span(name: str, **attributes: Any) -> AbstractContextManager[Any]:
    """A span around a block (a no-op context when tracing is off)."""
    tracer = _State.tracer
    if tracer is None:
        return _NULL
    return tracer.start_as_current_span(name, attributes=_clean(attributes))


def start(name: str, **attributes: Any) -> Span | None:
    """A span the caller ends (`end`), child of the current one; None when tracing is off.

    For work that spans yields of a generator, where a current-span context cannot be held.
    """
    tracer = _State.tracer
    if tracer is None:
        return None
    return tracer.start_span(name, attributes=_clean(attributes))


def current(opened: Span | None) -> AbstractContextManager[Any]:
    """Make `opened` the current span for a block (without ending it)."""
    if opened is None:
        return _NULL
    return trace.use_span(opened, end_on_exit=False)


def end(opened: Span | None, error: str = "") -> None:
    if opened is not None:
        if error:
            opened.set_status(Status(StatusCode.ERROR, error))
        opened.end()


@contextlib.contextmanager
def server_span(name: str, headers: Mapping[str, str], **attributes: Any) -> Iterator[Span | None]:
    """The span of one HTTP request, child of the client's `traceparent` when it sent one."""
    tracer = _State.tracer
    if tracer is None:
        yield None
        return
    parent: Context = _propagator.extract(dict(headers))
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.SERVER, attributes=_clean(attributes)
    ) as opened:
        yield opened


def failed(opened: Span | None, message: str) -> None:
    if opened is not None:
        opened.set_status(Status(StatusCode.ERROR, message))


def outbound() -> dict[str, str]:
    """`traceparent` (and `tracestate`) naming the current span, for a request we send out.

    Empty when tracing is off or no span is current, so a backend joins the trace only when
    there is one.
    """
    if _State.tracer is None:
        return {}
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def current_trace_id() -> str:
    """The active span's trace id (32 hex digits), or '' when none is recording."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in attributes.items() if value is not None and value != ""}
