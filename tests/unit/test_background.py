"""Background: a crashing loop is restarted with a jittered backoff that resets once it ran well."""

from __future__ import annotations

import asyncio
import time

from runtime.background import Background


class Crasher:
    """Crashes at once `quick` times, then runs `well` seconds and crashes, then waits for stop."""

    def __init__(self, quick: int, well: float) -> None:
        self.quick = quick
        self.well = well
        self.starts: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        self.starts.append(time.monotonic())
        if len(self.starts) <= self.quick:
            raise RuntimeError("crash on purpose")
        if len(self.starts) == self.quick + 1:
            await asyncio.sleep(self.well)
            raise RuntimeError("crash after running well")
        await stop.wait()


async def test_backoff_doubles_while_crashing_and_resets_after_a_healthy_run() -> None:
    loop = Crasher(quick=4, well=0.3)
    async with Background({"crasher": loop}, first_backoff=0.05, healthy_after=0.2):
        while len(loop.starts) < 6:  # noqa: ASYNC110 - polling the loop under test
            await asyncio.sleep(0.01)
    gaps = [b - a for a, b in zip(loop.starts, loop.starts[1:], strict=False)]
    quick = gaps[:4]  # after crashes 1-4: ~[0.025-0.05], [0.05-0.1], [0.1-0.2], [0.2-0.4]
    assert quick[3] > quick[0] * 2
    assert all(0.02 <= gap <= 1.0 for gap in quick)
    after_healthy = gaps[4] - 0.3  # the run itself took 0.3 s; the wait is back to the first step
    assert after_healthy < 0.15
