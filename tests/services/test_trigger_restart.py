"""Killing the server right after an ingest answered loses nothing: its trigger runs once."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import httpx

from tests.waiting import eventually

# busy for a while before it reports, so the kill lands while the run is in flight
SCRIPT = """
async function slow(e) {
  const until = Date.now() + 400;
  while (Date.now() < until) {}
  return await sendEvent('order.handled', {order: e.aggregateID});
}
"""
MAPPING = {
    "path": "shop",
    "eventType": "order.placed",
    "eventSource": "shop",
    "aggregateType": "order",
    "aggregateIDField": "id",
    "eventIDField": "id",
}


async def handled(api: httpx.AsyncClient) -> list[Any]:
    found: list[Any] = (
        await api.get("/events/type", params={"event_type": "order.handled"})
    ).json()
    return found


async def run_list(api: httpx.AsyncClient) -> list[Any]:
    found: list[Any] = (await api.get("/functions/slow/runs")).json()
    return found


async def test_trigger_of_an_ingested_event_runs_once_after_a_kill(start: Any) -> None:
    first = await start(RUNTIME_FUNCTION_TIMEOUT="1")
    async with httpx.AsyncClient(base_url=first.url, timeout=10) as api:
        assert (await api.post("/mappings", json=MAPPING)).status_code == 201
        fn = {"name": "slow", "scriptType": "goja", "script": SCRIPT}
        assert (await api.post("/functions", json=fn)).status_code == 201
        trigger = {
            "name": "on-order",
            "listenFor": {"type": "order.placed"},
            "type": "function",
            "function": "slow",
        }
        assert (await api.post("/event-triggers", json=trigger)).status_code == 201
        ingested = await api.post("/ingest", params={"path": "shop"}, json={"id": "o-1"})
        assert ingested.status_code == 201
    os.kill(first.process.pid, signal.SIGKILL)
    await first.process.wait()

    second = await start(RUNTIME_FUNCTION_TIMEOUT="1")
    async with httpx.AsyncClient(base_url=second.url, timeout=10) as api:
        placed = await api.get("/events/type", params={"event_type": "order.placed"})
        assert [e["aggregate_id"] for e in placed.json()] == ["o-1"]
        done = await eventually(lambda: handled(api), within=20)
        assert [e["data"] for e in done] == [{"order": "o-1"}]
        # the derived event commits before the run that sent it is recorded
        runs = await eventually(lambda: run_list(api))
        assert [r["status"] for r in runs] == ["succeeded"]
        again = await api.post("/ingest", params={"path": "shop"}, json={"id": "o-1"})
        assert again.status_code == 201  # the same source id: stored once, not delivered again
        await asyncio.sleep(1.5)  # a second delivery would have run by now
        assert len(await handled(api)) == 1
        assert len((await api.get("/functions/slow/runs")).json()) == 1
