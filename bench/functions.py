"""Function-run benchmark: a trivial script in the V8 sandbox, fresh globals on every run.

Run by hand: `python bench/functions.py [runs]`. Prints p50/p90/p99 of `Sandbox.run` (a fresh
isolate per run, in a worker process of the pool, over its pipe) against the in-run baseline
of the same script evaluated again and again in one long-lived isolate in this process (what
an unsafe, pooled, leaking VM costs), plus runs per second when runs come back to back (each
worker builds its next isolate after answering, so start-up counts).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from py_mini_racer import mini_racer

from runtime.sandbox import Limits, Sandbox

SCRIPT = "function handle(event) { return {n: event.data.n + 1, type: event.eventType}; }"
EVENT = {"id": "e1", "eventType": "bench", "data": {"n": 41}}


async def host(name: str, args: list[Any]) -> Any:
    return {"success": True}


def quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return f"p50 {at(0.5):.3f} ms  p90 {at(0.9):.3f} ms  p99 {at(0.99):.3f} ms"


async def sandbox_runs(runs: int, gap: float) -> list[float]:
    sandbox = Sandbox(Limits(timeout=5.0))
    await sandbox.run(SCRIPT, "handle", EVENT, host)
    await asyncio.sleep(0.2)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        outcome = await sandbox.run(SCRIPT, "handle", EVENT, host)
        samples.append(time.perf_counter() - started)
        assert outcome.result == {"n": 42, "type": "bench"}, outcome
        await asyncio.sleep(gap)
    await sandbox.close()
    return samples


async def reused_isolate(runs: int, gap: float) -> list[float]:
    code = f"{SCRIPT}; JSON.stringify(handle({json.dumps(EVENT)}))"
    samples = []
    with mini_racer() as racer:
        await racer.eval_cancelable(code)
        for _ in range(runs):
            started = time.perf_counter()
            await racer.eval_cancelable(code)
            samples.append(time.perf_counter() - started)
            await asyncio.sleep(gap)
    return samples


async def back_to_back(runs: int) -> float:
    sandbox = Sandbox(Limits(timeout=5.0))
    started = time.perf_counter()
    for _ in range(runs):
        await sandbox.run(SCRIPT, "handle", EVENT, host)
    elapsed = time.perf_counter() - started
    await sandbox.close()
    return runs / elapsed


async def main(runs: int) -> None:
    gap = 0.005  # runs spaced out a little, as events arrive, so the warm pool refills
    fresh = await sandbox_runs(runs, gap)
    reused = await reused_isolate(runs, gap)
    print(f"sandbox (fresh isolate per run): {quantiles(fresh)}")
    print(f"baseline (one reused isolate):   {quantiles(reused)}")
    ratio = statistics.median(fresh) / statistics.median(reused)
    print(f"ratio p50 fresh / reused: {ratio:.2f}x")
    print(f"back to back: {await back_to_back(runs):.0f} runs/s (isolate start-up included)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
