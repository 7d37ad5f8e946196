"""The process's Prometheus metrics, named by Prometheus conventions.

Each family is declared once here with `counter()` or `histogram()`:
- in one process (the default), a family is ours (`runtime.observability.tally`): a labelled
  child is a plain number or a row of bucket counts, changed by one call on the event loop's
  thread, and the families are read when scraped through a collector on prometheus_client's
  registry. prometheus_client's own children take a lock and three layers of checks for every
  change: about a third of what observing a request cost.
- with `PROMETHEUS_MULTIPROC_DIR` set (before the process starts), a family is
  prometheus_client's own, whose values live in that directory; `exposition(multiprocess=True)`
  merges every worker's.
Hot paths use `child()` (a cached labelled child) so a request pays a dict lookup, not
`labels()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest, values
from prometheus_client import Counter as _Counter
from prometheus_client import Histogram as _Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY

from runtime.observability import tally

# prometheus_client chose its value class from the environment when it was imported: files
# per worker when PROMETHEUS_MULTIPROC_DIR is set. Follow its choice, never read it twice.
SHARED = values.ValueClass is not values.MutexValue
Family = Any  # a tally family, or prometheus_client's Counter or Histogram when SHARED


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Family:
    if SHARED:
        return _Counter(name, documentation, labels)
    return tally.families.counter(name, documentation, labels)


def histogram(
    name: str, documentation: str, labels: Sequence[str] = (), *, buckets: Sequence[float]
) -> Family:
    if SHARED:
        return _Histogram(name, documentation, labels, buckets=buckets)
    return tally.families.histogram(name, documentation, labels, buckets)


FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SLOW = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

http_requests = counter(
    "runtime_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
http_duration = histogram(
    "runtime_http_request_duration_seconds",
    "Time to answer an HTTP request (to the last byte)",
    ["method", "route"],
    buckets=FAST,
)
backend_requests = counter(
    "runtime_backend_requests_total",
    "Attempts on a backend by outcome (ok, failed: retryable, error: not retryable)",
    ["backend", "model", "outcome"],
)
backend_duration = histogram(
    "runtime_backend_request_duration_seconds",
    "Time of one attempt on a backend",
    ["backend", "model"],
    buckets=SLOW,
)
first_token = histogram(
    "runtime_time_to_first_token_seconds",
    "Time from the request to the first streamed item",
    ["backend", "model"],
    buckets=SLOW,
)
tokens = counter(
    "runtime_tokens_total", "Tokens in and out of models", ["backend", "model", "direction"]
)
failovers = counter(
    "runtime_failovers_total", "Requests moved to another backend after a failure", ["model"]
)
cooldowns = counter(
    "runtime_backend_cooldowns_total", "Backends cooled down after a failure", ["backend"]
)
reconcile_duration = histogram(
    "runtime_reconcile_cycle_duration_seconds", "One reconcile cycle", buckets=SLOW
)
reconcile_errors = counter(
    "runtime_reconcile_errors_total", "Backends found unusable by a reconcile cycle", ["backend"]
)
pulls = counter("runtime_pulls_total", "Model pulls ended, by outcome", ["outcome"])
pulled_bytes = counter("runtime_pulled_bytes_total", "Bytes pulled into backends", ["backend"])
events_appended = counter(
    "runtime_events_appended_total", "Events stored, by how they came in", ["via"]
)
deliveries = counter(
    "runtime_trigger_deliveries_total", "Trigger deliveries settled, by outcome", ["outcome"]
)
function_runs = counter(
    "runtime_function_runs_total", "Function runs, by status", ["function", "status"]
)
function_duration = histogram(
    "runtime_function_run_duration_seconds", "One function run", ["function"], buckets=FAST
)
index_jobs = counter(
    "runtime_index_jobs_total",
    "Index jobs ended by the built-in indexer (indexed, unsupported, waiting, failed)",
    ["outcome"],
)
search_duration = histogram(
    "runtime_search_duration_seconds", "One knowledge search", ["mode"], buckets=FAST
)
chain_steps = counter(
    "runtime_chain_steps_total", "Chain steps run, by handler and outcome", ["handler", "outcome"]
)

_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def child(metric: Family, *labels: str) -> Any:
    """`metric.labels(*labels)`, cached: the hot path's way to a labelled child."""
    key = (id(metric), labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


class Answered:
    """The children one kind of answer changes: `http_requests` and `http_duration`."""

    __slots__ = ("count", "duration")

    def __init__(self, method: str, route: str, status: str) -> None:
        self.count = child(http_requests, method, route, status)
        self.duration = child(http_duration, method, route)


class Routed:
    """The children of one (backend, model): attempts by outcome, their time, tokens, TTFT."""

    __slots__ = (
        "_backend",
        "_model",
        "duration",
        "first_token",
        "outcomes",
        "tokens_in",
        "tokens_out",
    )

    def __init__(self, backend: str, model: str) -> None:
        self._backend, self._model = backend, model
        self.outcomes: dict[str, Any] = {}
        self.duration = child(backend_duration, backend, model)
        self.first_token = child(first_token, backend, model)
        self.tokens_in = child(tokens, backend, model, "in")
        self.tokens_out = child(tokens, backend, model, "out")

    def ended(self, outcome: str, seconds: float) -> None:
        found = self.outcomes.get(outcome)
        if found is None:
            found = self.outcomes[outcome] = child(
                backend_requests, self._backend, self._model, outcome
            )
        found.inc()
        self.duration.observe(seconds)


_answered: dict[tuple[str, str, int], Answered] = {}
_routed: dict[tuple[str, str], Routed] = {}


# the `method` label: a method outside these is `_OTHER` (as OpenTelemetry's conventions say),
# so a client choosing methods cannot add series
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)


def answered(method: str, route: str, status: int) -> Answered:
    if method not in _METHODS:
        method = "_OTHER"
    found = _answered.get((method, route, status))
    if found is None:
        found = _answered[method, route, status] = Answered(method, route, str(status))
    return found


def routed(backend: str, model: str) -> Routed:
    found = _routed.get((backend, model))
    if found is None:
        found = _routed[backend, model] = Routed(backend, model)
    return found


def live(families: Iterable[tuple[str, str, list[tuple[dict[str, str], float]]]]) -> bytes:
    """Gauges read at scrape time (in flight, queue depths), in the text format."""
    registry = CollectorRegistry()
    for name, help_text, samples in families:
        labels = sorted({label for sample_labels, _ in samples for label in sample_labels})
        gauge = Gauge(name, help_text, labels, registry=registry)
        for sample_labels, value in samples:
            (gauge.labels(**sample_labels) if labels else gauge).set(value)
    return generate_latest(registry)


def exposition(*, multiprocess: bool = False) -> bytes:
    """Every counter and histogram of this process (or, multiprocess, of all workers)."""
    if multiprocess:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
