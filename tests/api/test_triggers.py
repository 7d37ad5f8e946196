"""Event triggers through HTTP: every stored event runs each matching function once, safely."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.fakes.loopback import serve
from tests.waiting import eventually

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        function_timeout=0.5,
        function_memory_mb=16,
        function_backoff=0.05,
        function_attempts=2,
        trigger_depth=3,
    )


def event(event_type: str, **data: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "event_source": "test",
        "aggregate_id": "a1",
        "aggregate_type": "thing",
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "data": data,
    }


async def install(client: Client, name: str, script: str, listen_for: str) -> None:
    fn = {"name": name, "scriptType": "goja", "script": script}
    assert (await client.post("/functions", json=fn)).status_code == 201
    trigger = {
        "name": f"{name}-on-{listen_for}",
        "listenFor": {"type": listen_for},
        "type": "function",
        "function": name,
    }
    assert (await client.post("/event-triggers", json=trigger)).status_code == 201


async def runs(client: Client, name: str, count: int = 1, within: float = 10) -> list[Any]:
    async def enough() -> list[Any] | None:
        found: list[Any] = (await client.get(f"/functions/{name}/runs")).json()
        return found if len(found) >= count else None

    found: list[Any] = await eventually(enough, within=within)
    return found


async def test_a_stored_event_runs_its_function_with_the_event(client: Client) -> None:
    await install(
        client,
        "double",
        "function double(e) { console.log('got', e.data.n, e.eventType);"
        " return {n: e.data.n * 2} }",
        "number.posted",
    )
    assert (await client.post("/events", json=event("number.posted", n=21))).status_code == 201
    [run] = await runs(client, "double")
    assert run["status"] == "succeeded"
    assert run["result"] == {"n": 42}
    assert run["logs"] == ["got 21 number.posted"]
    assert (run["trigger"], run["eventType"], run["attempt"]) == (
        "double-on-number.posted",
        "number.posted",
        1,
    )
    assert run["durationMs"] > 0
    assert run["error"] == ""


async def test_each_event_reaches_each_matching_trigger_exactly_once(client: Client) -> None:
    await install(client, "first", "result = {seen: event.data.i}", "tick")
    await install(client, "second", "result = {seen: event.data.i}", "tick")
    await install(client, "other", "result = 1", "tock")
    for i in range(5):
        await client.post("/events", json=event("tick", i=i))
    first = await runs(client, "first", 5)
    second = await runs(client, "second", 5)
    await asyncio.sleep(0.3)  # any duplicate delivery would show up by now
    for name in ("first", "second"):
        final = (await client.get(f"/functions/{name}/runs")).json()
        assert sorted(r["result"]["seen"] for r in final) == [0, 1, 2, 3, 4]
    assert len(first) == len(second) == 5
    assert (await client.get("/functions/other/runs")).json() == []


async def test_a_runaway_script_is_stopped_while_the_server_and_other_triggers_go_on(
    client: Client,
) -> None:
    await install(client, "spin", "console.log('spinning'); while (true) {}", "go")
    await install(client, "hog", "const a = []; while (true) a.push(new Array(1e5).fill(7));", "go")
    await install(client, "thrower", "throw new Error('broken on purpose')", "go")
    await install(client, "fine", "result = {ok: true}", "go")
    await client.post("/events", json=event("go"))
    assert (await client.get("/health")).status_code == 200
    fine = await runs(client, "fine")
    assert fine[0]["status"] == "succeeded"
    spin = await runs(client, "spin", 2)
    assert {r["status"] for r in spin} == {"timeout"}
    assert spin[0]["logs"] == ["spinning"]
    assert "time limit" in spin[0]["error"]
    hog = await runs(client, "hog", 2)
    assert {r["status"] for r in hog} == {"memory"}
    thrower = await runs(client, "thrower", 2)
    assert {r["status"] for r in thrower} == {"failed"}
    assert "broken on purpose" in thrower[0]["error"]
    assert sorted(r["attempt"] for r in thrower) == [1, 2]  # retried once, then given up
    await asyncio.sleep(0.3)
    assert len((await client.get("/functions/thrower/runs")).json()) == 2


async def test_each_run_starts_from_clean_globals(client: Client) -> None:
    script = (
        "var before = globalThis.counter; globalThis.counter = 1; result = {before: before ?? null}"
    )
    await install(client, "leaky", script, "tick")
    for _ in range(3):
        await client.post("/events", json=event("tick"))
    found = await runs(client, "leaky", 3)
    assert [r["result"] for r in found] == [{"before": None}] * 3


async def test_send_event_recursion_is_bounded_by_depth(client: Client) -> None:
    script = (
        "async function echo(e) { return await sendEvent('loop', {hop: (e.data.hop || 0) + 1}) }"
    )
    await install(client, "echo", script, "loop")
    await client.post("/events", json=event("loop"))

    async def succeeded() -> list[Any]:
        every = (await client.get("/functions/echo/runs")).json()
        return [r for r in every if r["status"] == "succeeded"]

    await eventually(lambda: _at_least(succeeded, 4))  # the event plus three derived levels
    await asyncio.sleep(0.5)
    found = await succeeded()  # a run slowed past its limit on a loaded machine is retried
    assert len(found) == 4
    assert all(r["result"]["success"] for r in found)
    hops = await client.get("/events/type", params={"event_type": "loop"})
    assert sorted(e["data"].get("hop", 0) for e in hops.json()) == [0, 1, 2, 3, 4]


async def test_builtin_failures_come_back_as_values(client: Client) -> None:
    script = (
        "async function probe() {"
        " const bad = await sendEvent(42, 'x');"
        " const missing = await executeTaskChain('nope', {});"
        " return {bad, missing}; }"
    )
    await install(client, "probe", script, "tick")
    await client.post("/events", json=event("tick"))
    [run] = await runs(client, "probe")
    assert run["status"] == "succeeded"
    assert run["result"]["bad"] == {"success": False, "error": "argument 1 must be a string"}
    assert run["result"]["missing"]["success"] is False


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        yield client


async def test_a_retried_run_does_not_send_its_events_twice(client: Client) -> None:
    script = (
        "async function flaky(e) {"
        " const first = await sendEvent('relayed', {n: 1});"
        " const second = await sendEvent('relayed', {n: 2});"
        " console.log(first.event_id, second.event_id);"
        " throw new Error('failed after sending');"
        " }"
    )
    await install(client, "flaky", script, "relay")
    await client.post("/events", json=event("relay"))
    attempts = await runs(client, "flaky", 2)
    assert [r["attempt"] for r in attempts] == [2, 1]
    assert attempts[0]["logs"] == attempts[1]["logs"]  # the retry got the same events back
    relayed = (await client.get("/events/type", params={"event_type": "relayed"})).json()
    assert sorted(e["data"]["n"] for e in relayed) == [1, 2]
    assert sorted(e["id"] for e in relayed) == sorted(attempts[0]["logs"][0].split())


async def test_webhook_to_function_to_derived_event_story(served: httpx.AsyncClient) -> None:
    mapping = {
        "path": "shop",
        "eventType": "order.placed",
        "eventSource": "shop",
        "aggregateType": "order",
        "aggregateIDField": "order.id",
        "eventIDField": "delivery",
    }
    assert (await served.post("/mappings", json=mapping)).status_code == 201
    script = (
        "async function notify(e) {"
        " console.log('order', e.aggregateID);"
        " const data = {order: e.aggregateID, total: e.data.order.total};"
        " return await sendEvent('order.notified', data);"
        " }"
    )
    await install(served, "notify", script, "order.placed")  # type: ignore[arg-type]
    async with served.stream("GET", "/events/stream/order.notified") as stream:
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("data: Connected")
        payload = {"delivery": "d-9", "order": {"id": "o-7", "total": 12.5}}
        ingested = await served.post("/ingest", params={"path": "shop"}, json=payload)
        assert ingested.status_code == 201
        async with asyncio.timeout(10):
            async for line in lines:
                if line.startswith("data: "):
                    derived = msgspec.json.decode(line[6:])
                    break
    assert derived["data"] == {"order": "o-7", "total": 12.5}
    assert derived["event_source"] == "function_execution"
    [run] = await runs(served, "notify")  # type: ignore[arg-type]
    assert run["status"] == "succeeded"
    assert run["logs"] == ["order o-7"]
    assert run["result"]["event_id"] == derived["id"]


async def test_only_the_newest_runs_are_kept(db_url: str) -> None:
    settings = Settings(database_url=db_url, function_runs_kept=3, function_backoff=0.05)
    async with AsyncTestClient(app=create_app(settings)) as client:
        await install(client, "counted", "result = {seen: event.data.i}", "count")
        for i in range(6):
            await client.post("/events", json=event("count", i=i))
            await eventually(lambda i=i: seen(client, "counted", i))
        assert await seen(client, "counted") == [5, 4, 3]


async def seen(client: Client, name: str, newest: int | None = None) -> list[int] | None:
    """What the function's kept runs saw, newest first (None until `newest` ran)."""
    found = [r["result"]["seen"] for r in (await client.get(f"/functions/{name}/runs")).json()]
    return found if newest is None or found[:1] == [newest] else None


async def _at_least(found: Callable[[], Awaitable[list[Any]]], count: int) -> bool:
    return len(await found()) >= count
