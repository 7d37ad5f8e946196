"""Every retry delay is jittered: within its documented range, and not the same every time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runtime.downloads.worker import PullPolicy
from runtime.functions.dispatch import RunPolicy
from runtime.taskengine.executor import retry_delay

DRAWS = 200


def pull_delay(attempt: int) -> float:
    return PullPolicy(backoff=5.0).delay(attempt).total_seconds()


def run_delay(attempt: int) -> float:
    return RunPolicy(attempts=10, backoff=1.0).delay(attempt).total_seconds()


# (delay of an attempt, step of that attempt, lowest share of the step a delay may be)
POLICIES: dict[str, tuple[Callable[[int], float], Callable[[int], float], float]] = {
    "pull": (pull_delay, lambda n: min(5.0 * 2 ** (n - 1), 600.0), 0.5),
    "function run": (run_delay, lambda n: min(1.0 * 2 ** (n - 1), 300.0), 0.5),
    "chain task": (retry_delay, lambda n: min(0.1 * 2 ** (n - 1), 2.0), 0.0),
}


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("attempt", [1, 2, 3, 8, 30, 500])
def test_a_retry_waits_between_its_share_of_the_doubling_step_and_the_step(
    name: str, attempt: int
) -> None:
    delay, step, low = POLICIES[name]
    top = step(attempt)
    drawn = [delay(attempt) for _ in range(DRAWS)]
    assert all(low * top <= d <= top for d in drawn), (min(drawn), max(drawn), top)


@pytest.mark.parametrize("name", POLICIES)
def test_retries_after_the_same_attempt_do_not_all_wait_the_same(name: str) -> None:
    delay: Callable[[int], float] = POLICIES[name][0]
    drawn = {delay(3) for _ in range(DRAWS)}
    assert len(drawn) > DRAWS // 2


@pytest.mark.parametrize("name", ["pull", "function run"])
def test_the_wait_still_grows_with_the_attempts(name: str) -> None:
    delay: Callable[[int], float] = POLICIES[name][0]
    # equal jitter keeps at least half the step: attempt n+2 always waits longer than attempt n
    assert min(delay(4) for _ in range(DRAWS)) > max(delay(2) for _ in range(DRAWS))
