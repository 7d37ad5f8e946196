"""This process's counters and histograms, read by prometheus_client when `/metrics` is scraped.

A child is a plain number (a counter) or a row of bucket counts and a sum (a histogram). It is
changed only on the event loop's thread, so it takes no lock; a scrape reads whole families
through `Families`, a collector on prometheus_client's registry, which writes the text format
as it writes its own metrics (cumulative `le` buckets, `_count`, `_sum`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import REGISTRY
from prometheus_client.utils import floatToGoString


class Count:
    """One counter child."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("counters only go up")
        self.value += amount


class Spread:
    """One histogram child: how many observations fell at or under each bound, and their sum."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last: above every bound (+Inf)
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, amount)] += 1  # `le`: bound included
        self.sum += amount


class Family:
    """A named family of children by label values (a family without labels has one child)."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], bounds: tuple[float, ...] | None
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labels)
        self.bounds = bounds
        self.children: dict[tuple[str, ...], Any] = {}
        if not self.labelnames:
            self.labels()  # shown (as zero) before anything is counted

    def labels(self, *values: str) -> Any:
        found = self.children.get(values)
        if found is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name} takes the labels {self.labelnames}")
            found = self.children[values] = Count() if self.bounds is None else Spread(self.bounds)
        return found

    # a family without labels is its own child
    def inc(self, amount: float = 1.0) -> None:
        self.labels().inc(amount)

    def observe(self, amount: float) -> None:
        self.labels().observe(amount)

    def metric(self) -> Metric:
        names = list(self.labelnames)
        children = list(self.children.items())  # a scrape may run while a request adds one
        if self.bounds is None:
            counted = CounterMetricFamily(self.name, self.documentation, labels=names)
            for values, count in children:
                counted.add_metric(list(values), count.value)
            return counted
        spread = HistogramMetricFamily(self.name, self.documentation, labels=names)
        edges = [floatToGoString(bound) for bound in self.bounds] + ["+Inf"]  # type: ignore[no-untyped-call]
        for values, child in children:
            running, buckets = 0, []
            for edge, count in zip(edges, list(child.counts), strict=True):
                running += count
                buckets.append((edge, running))
            spread.add_metric(list(values), buckets, child.sum)
        return spread


class Families:
    """Every tally family of the process, collected by prometheus_client's registry."""

    def __init__(self) -> None:
        self._families: list[Family] = []

    def counter(self, name: str, documentation: str, labels: Sequence[str]) -> Family:
        return self._add(Family(name, documentation, labels, None))

    def histogram(
        self, name: str, documentation: str, labels: Sequence[str], buckets: Sequence[float]
    ) -> Family:
        bounds = tuple(sorted(float(bound) for bound in buckets if not math.isinf(bound)))
        return self._add(Family(name, documentation, labels, bounds))

    def _add(self, family: Family) -> Family:
        self._families.append(family)
        return family

    def collect(self) -> Iterator[Metric]:
        for family in self._families:
            yield family.metric()


families = Families()
REGISTRY.register(families)
