"""Closing the sandbox pool at shutdown: quick, quiet, and no worker process outlives it.

The workers are real processes; "left behind" means a live child of this process running
`runtime.sandbox.worker`, as /proc shows it.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from runtime.sandbox import Limits, RunStatus, Sandbox
from tests.waiting import eventually

SPIN = "function f(e) { const end = Date.now() + e.ms; while (Date.now() < end) {} return e; }"


async def host(name: str, args: list[Any]) -> Any:
    return None


def live_workers() -> list[int]:
    """Our children running the sandbox worker and not yet dead (zombies do not count)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, parent = stat.read().rsplit(")", 1)[1].split()[:2]
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if int(parent) == os.getpid() and state != "Z" and b"runtime.sandbox.worker" in command:
            found.append(int(entry))
    return found


async def test_closing_while_a_run_starts_its_worker_stops_that_worker_and_raises_nothing() -> None:
    pool = Sandbox(Limits(timeout=2.0), processes=1)
    run = asyncio.ensure_future(pool.run("function f(e) { return 1; }", "f", {}, host))
    await eventually(lambda: _true(live_workers()), within=10)  # started, not yet ready
    await pool.close()
    assert live_workers() == []
    outcome = await run  # the run in hand is answered, not raised into its caller
    assert outcome.status is RunStatus.CRASHED
    assert "shut down" in outcome.error
    await asyncio.sleep(1.0)  # no worker comes up late either
    assert live_workers() == []


async def test_close_cut_short_by_cancellation_kills_every_worker_and_returns() -> None:
    pool = Sandbox(Limits(timeout=2.0), processes=2)
    await pool.run("function f(e) { return 1; }", "f", {}, host)  # a spare starts now
    closing = asyncio.ensure_future(pool.close())
    await asyncio.sleep(0.01)
    closing.cancel()
    await closing  # a shutdown cut short does not throw CancelledError at its caller
    assert live_workers() == []


async def test_close_is_bounded_when_a_worker_does_not_stop() -> None:
    pool = Sandbox(Limits(timeout=10.0), processes=1, grace=0.5)
    run = asyncio.ensure_future(pool.run(SPIN, "f", {"ms": 8000}, host))
    await eventually(lambda: _true(pool.pids()), within=10)
    await asyncio.sleep(0.3)  # the script is spinning: the worker cannot read its stdin
    started = time.monotonic()
    await pool.close()
    assert time.monotonic() - started < 1.8  # the grace, a kill; stopping alone waits 2 s
    assert live_workers() == []
    assert (await run).status is RunStatus.CRASHED


async def _true(value: object) -> bool:
    return bool(value)
