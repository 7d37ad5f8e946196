"""Our metric families scrape as prometheus_client's own would, and multiprocess mode merges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from runtime.observability.tally import Families

BUCKETS = (0.001, 0.01, 0.1, 1, 10)
VALUES = (0.0005, 0.001, 0.002, 0.01, 0.5, 1, 3, 10, 11, 250)


def samples(text: str, name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def scraped(families: Families) -> str:
    registry = CollectorRegistry()
    registry.register(families)
    return generate_latest(registry).decode()


def test_a_histogram_scrapes_as_prometheus_clients_own_with_the_same_observations() -> None:
    families, theirs = Families(), CollectorRegistry()
    ours = families.histogram("took_seconds", "Time", ["route"], BUCKETS)
    reference = Histogram("took_seconds", "Time", ["route"], buckets=BUCKETS, registry=theirs)
    for value in VALUES:  # on bounds, between them, above them all
        ours.labels("/a").observe(value)
        reference.labels("/a").observe(value)
    ours.labels("/b").observe(0.2)
    reference.labels("/b").observe(0.2)
    expected = samples(generate_latest(theirs).decode(), "took_seconds")
    assert samples(scraped(families), "took_seconds") == expected
    assert expected[("took_seconds_bucket", (("le", "0.001"), ("route", "/a")))] == 2


def test_a_counter_counts_by_labels_and_refuses_to_go_down_or_take_other_labels() -> None:
    families = Families()
    calls = families.counter("calls_total", "Calls", ["outcome"])
    calls.labels("ok").inc()
    calls.labels("ok").inc(2.5)
    calls.labels("failed").inc()
    assert samples(scraped(families), "calls") == {
        ("calls_total", (("outcome", "ok"),)): 3.5,
        ("calls_total", (("outcome", "failed"),)): 1.0,
    }
    with pytest.raises(ValueError, match="only go up"):
        calls.labels("ok").inc(-1)
    with pytest.raises(ValueError, match="takes the labels"):
        calls.labels("ok", "extra")


def test_a_family_without_labels_shows_zero_before_anything_is_counted() -> None:
    families = Families()
    families.counter("dropped_total", "Dropped", [])
    cycle = families.histogram("cycle_seconds", "Cycle", [], BUCKETS)
    assert samples(scraped(families), "dropped") == {("dropped_total", ()): 0.0}
    cycle.observe(0.05)
    assert samples(scraped(families), "cycle_seconds")[("cycle_seconds_count", ())] == 1


COUNT_ONE = """
from runtime.observability import metrics
metrics.child(metrics.http_requests, "GET", "/x", "200").inc()
metrics.child(metrics.http_duration, "GET", "/x").observe(0.2)
"""
SCRAPE = """
import sys
from runtime.observability import metrics
assert metrics.SHARED
sys.stdout.write(metrics.exposition(multiprocess=True).decode())
"""


def test_with_a_multiprocess_directory_every_workers_counts_are_merged(tmp_path: Path) -> None:
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two workers, each counting one request
        subprocess.run([sys.executable, "-c", COUNT_ONE], env=env, check=True)  # noqa: S603
    text = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRAPE], env=env, check=True, capture_output=True, text=True
    ).stdout
    requests = samples(text, "runtime_http_requests")
    key = ("runtime_http_requests_total", (("method", "GET"), ("route", "/x"), ("status", "200")))
    assert requests[key] == 2
    took = samples(text, "runtime_http_request_duration_seconds")
    assert (
        took[("runtime_http_request_duration_seconds_count", (("method", "GET"), ("route", "/x")))]
        == 2
    )
