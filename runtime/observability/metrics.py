"""The process's Prometheus metrics (prometheus_client), named by Prometheus conventions.

Module-level, as prometheus_client intends: with `PROMETHEUS_MULTIPROC_DIR` set (before the
process starts), values live in that directory and `exposition(multiprocess=True)` merges
every worker's. Hot paths use `child()` (a cached
labelled child) so a request pays a dict lookup, not `labels()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY

FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SLOW = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

http_requests = Counter(
    "runtime_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
http_duration = Histogram(
    "runtime_http_request_duration_seconds",
    "Time to answer an HTTP request (to the last byte)",
    ["method", "route"],
    buckets=FAST,
)
backend_requests = Counter(
    "runtime_backend_requests_total",
    "Attempts on a backend by outcome (ok, failed: retryable, error: not retryable)",
    ["backend", "model", "outcome"],
)
backend_duration = Histogram(
    "runtime_backend_request_duration_seconds",
    "Time of one attempt on a backend",
    ["backend", "model"],
    buckets=SLOW,
)
first_token = Histogram(
    "runtime_time_to_first_token_seconds",
    "Time from the request to the first streamed item",
    ["backend", "model"],
    buckets=SLOW,
)
tokens = Counter(
    "runtime_tokens_total", "Tokens in and out of models", ["backend", "model", "direction"]
)
failovers = Counter(
    "runtime_failovers_total", "Requests moved to another backend after a failure", ["model"]
)
cooldowns = Counter(
    "runtime_backend_cooldowns_total", "Backends cooled down after a failure", ["backend"]
)
reconcile_duration = Histogram(
    "runtime_reconcile_cycle_duration_seconds", "One reconcile cycle", buckets=SLOW
)
reconcile_errors = Counter(
    "runtime_reconcile_errors_total", "Backends found unusable by a reconcile cycle", ["backend"]
)
pulls = Counter("runtime_pulls_total", "Model pulls ended, by outcome", ["outcome"])
pulled_bytes = Counter("runtime_pulled_bytes_total", "Bytes pulled into backends", ["backend"])
events_appended = Counter(
    "runtime_events_appended_total", "Events stored, by how they came in", ["via"]
)
deliveries = Counter(
    "runtime_trigger_deliveries_total", "Trigger deliveries settled, by outcome", ["outcome"]
)
function_runs = Counter(
    "runtime_function_runs_total", "Function runs, by status", ["function", "status"]
)
function_duration = Histogram(
    "runtime_function_run_duration_seconds", "One function run", ["function"], buckets=FAST
)
index_jobs = Counter(
    "runtime_index_jobs_total",
    "Index jobs ended by the built-in indexer (indexed, unsupported, waiting, failed)",
    ["outcome"],
)
search_duration = Histogram(
    "runtime_search_duration_seconds", "One knowledge search", ["mode"], buckets=FAST
)
chain_steps = Counter(
    "runtime_chain_steps_total", "Chain steps run, by handler and outcome", ["handler", "outcome"]
)

M = TypeVar("M", Counter, Histogram)
_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def child(metric: M, *labels: str) -> M:
    """`metric.labels(*labels)`, cached: the hot path's way to a labelled child."""
    key = (id(metric), labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
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
