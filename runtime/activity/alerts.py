"""Pure: what needs a person, read off recent operation records (newest first) and queue depths.

- `backend_down`: a backend's last `down_after` observations all failed;
- `pull_failing`: a model's last pull failed;
- `function_failing`: a function's last `failing_after` runs all failed;
- `queue_growing`: a queue deeper than its limit (pulls waiting, deliveries due).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runtime.activity.types import Alert


@dataclass(frozen=True, slots=True)
class Seen:
    """One operation record as the rules read it."""

    op: str
    subject: str
    ok: bool
    at: str
    error: str


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of the rules."""

    down_after: int = 3
    failing_after: int = 3
    queue_limits: Mapping[str, int] | None = None


_STREAKS = {
    "observe": ("backend_down", "down_after"),
    "function": ("function_failing", "failing_after"),
}


def alerts(newest_first: Iterable[Seen], depths: Mapping[str, int], rules: Rules) -> list[Alert]:
    latest: dict[tuple[str, str], list[Seen]] = {}  # each subject's newest records, newest first
    for seen in newest_first:
        latest.setdefault((seen.op, seen.subject), []).append(seen)
    found: list[Alert] = []
    for (op, subject), records in latest.items():
        if op == "pull":
            found += _pull(subject, records[0])
        elif op in _STREAKS:
            found += _streak(op, subject, records, rules)
    return found + _queues(depths, rules)


def _pull(subject: str, last: Seen) -> list[Alert]:
    if last.ok:
        return []
    message = f"the last pull of {subject} failed: {last.error}"
    return [Alert(kind="pull_failing", subject=subject, message=message, since=last.at, count=1)]


def _streak(op: str, subject: str, records: list[Seen], rules: Rules) -> list[Alert]:
    failures = list(itertools.takewhile(lambda seen: not seen.ok, records))
    kind, limit_name = _STREAKS[op]
    if len(failures) < getattr(rules, limit_name):
        return []
    message = f"{subject}: {len(failures)} failures in a row, the last: {failures[0].error}"
    return [
        Alert(
            kind=kind,
            subject=subject,
            message=message,
            since=failures[-1].at,
            count=len(failures),
        )
    ]


def _queues(depths: Mapping[str, int], rules: Rules) -> list[Alert]:
    limits = rules.queue_limits or {}
    return [
        Alert(
            kind="queue_growing",
            subject=queue,
            message=f"{queue} holds {depth} items (limit {limits[queue]})",
            since=None,
            count=depth,
        )
        for queue, depth in depths.items()
        if queue in limits and depth > limits[queue]
    ]
