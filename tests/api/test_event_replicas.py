"""Two servers on one PostgreSQL database: live streams and triggers see each other's events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.fakes.loopback import serve
from tests.waiting import eventually


@pytest.fixture
async def replicas(settings: Settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("an embedded SQLite database belongs to one server process")
    async with (
        serve(create_app(settings), lifespan=True) as first,
        serve(create_app(settings), lifespan=True) as second,
        httpx.AsyncClient(base_url=first.url, timeout=10) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as b,
    ):
        yield [a, b]


def order(aggregate_id: str, **data: Any) -> dict[str, Any]:
    return {
        "event_type": "order.created",
        "event_source": "shop",
        "aggregate_id": aggregate_id,
        "aggregate_type": "order",
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "data": data,
    }


async def test_stream_on_one_replica_sees_events_appended_on_the_other(
    replicas: list[httpx.AsyncClient],
) -> None:
    a, b = replicas
    async with b.stream("GET", "/events/stream/order.created") as stream:
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("data: Connected")
        await asyncio.sleep(0.2)  # the listener of b is up by now
        big = "x" * 9000  # too large for a notice: travels as its nid and is read back
        assert (await a.post("/events", json=order("small"))).status_code == 201
        assert (await a.post("/events", json=order("large", blob=big))).status_code == 201
        seen: list[str] = []
        async with asyncio.timeout(10):
            async for line in lines:
                if line.startswith("data: "):
                    seen.append(msgspec.json.decode(line[6:])["aggregate_id"])
                    if len(seen) == 2:
                        break
    assert seen == ["small", "large"]


async def test_a_trigger_runs_once_across_replicas(replicas: list[httpx.AsyncClient]) -> None:
    a, b = replicas
    fn = {"name": "count", "scriptType": "goja", "script": "result = {id: event.aggregateID}"}
    assert (await a.post("/functions", json=fn)).status_code == 201
    trigger = {
        "name": "on-order",
        "listenFor": {"type": "order.created"},
        "type": "function",
        "function": "count",
    }
    assert (await b.post("/event-triggers", json=trigger)).status_code == 201
    for n in range(10):
        await (a if n % 2 else b).post("/events", json=order(f"o{n}"))

    async def ten() -> list[Any] | None:
        runs: list[Any] = (await a.get("/functions/count/runs")).json()
        return runs if len(runs) >= 10 else None

    await eventually(ten)
    await asyncio.sleep(0.5)
    runs = (await b.get("/functions/count/runs")).json()
    assert sorted(r["result"]["id"] for r in runs) == sorted(f"o{n}" for n in range(10))
