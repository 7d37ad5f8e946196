"""/events through HTTP: append with the ±10 minute window, queries, deletion, live stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.test_backends import assert_error
from tests.fakes.loopback import serve

Client = AsyncTestClient[Litestar]
ORDER = {
    "event_type": "order.created",
    "event_source": "shop",
    "aggregate_id": "o-1",
    "aggregate_type": "order",
    "version": 1,
    "data": {"total": 42, "items": ["a", "b"]},
}


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def append(client: Client, **changes: Any) -> dict[str, Any]:
    response = await client.post("/events", json=ORDER | changes)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_appended_event_gets_id_nid_time_and_empty_metadata(client: Client) -> None:
    event = await append(client)
    assert len(event["id"]) == 36
    assert event["nid"] > 0
    assert event["metadata"] == {}
    assert event["data"] == ORDER["data"]
    second = await append(client, aggregate_id="o-2")
    assert second["nid"] > event["nid"]


@pytest.mark.parametrize(
    ("changes", "param", "needle"),
    [
        ({"event_type": ""}, "event_type", "event_type is required"),
        ({"aggregate_id": ""}, "aggregate_id", "aggregate_id is required"),
        ({"aggregate_type": ""}, "aggregate_type", "aggregate_type is required"),
        ({"version": 0}, "version", "version must be greater than 0"),
        ({"created_at": timedelta(minutes=-11)}, "created_at", "too old"),
        ({"created_at": timedelta(minutes=11)}, "created_at", "too new"),
        ({"created_at": "2026-01-01T00:00:00"}, "created_at", "timezone"),
        ({"version": "one"}, "version", "Expected `int`"),
    ],
)
async def test_invalid_event_is_rejected_and_nothing_is_stored(
    client: Client, changes: dict[str, Any], param: str, needle: str
) -> None:
    now = datetime.now(UTC)  # offsets are applied now: collection may be minutes earlier
    changes = {k: iso(now + v) if isinstance(v, timedelta) else v for k, v in changes.items()}
    response = await client.post("/events", json=ORDER | changes)
    assert response.status_code == 422
    assert needle in assert_error(response.json(), "unprocessable_entity", param)
    assert (await client.get("/events/types")).json() == []


async def test_same_id_type_and_source_twice_is_a_conflict(client: Client) -> None:
    await append(client, id="e-1")
    response = await client.post("/events", json=ORDER | {"id": "e-1"})
    assert response.status_code == 409


async def test_a_conflict_among_concurrent_appends_fails_only_its_own_request(
    client: Client,
) -> None:
    ids = [f"c-{n}" for n in range(10)] + ["c-3"]
    answers = await asyncio.gather(*(client.post("/events", json=ORDER | {"id": i}) for i in ids))
    assert sorted(a.status_code for a in answers) == [201] * 10 + [409]
    conflict = next(a for a in answers if a.status_code == 409).json()
    assert "'c-3'" in assert_error(conflict, "conflict")
    stored = (await client.get("/events/type", params={"event_type": "order.created"})).json()
    assert sorted(e["id"] for e in stored) == sorted(set(ids))
    nids = [a.json()["nid"] for a in answers if a.status_code == 201]
    assert len(set(nids)) == 10


async def test_queries_by_type_aggregate_and_source_newest_first(client: Client) -> None:
    now = datetime.now(UTC)
    first = await append(client, created_at=iso(now - timedelta(minutes=2)))
    second = await append(client, created_at=iso(now - timedelta(minutes=1)), version=2)
    other = await append(client, aggregate_id="o-9", event_source="pos")
    await append(client, event_type="order.paid")
    by_type = (await client.get("/events/type", params={"event_type": "order.created"})).json()
    assert [e["nid"] for e in by_type] == [other["nid"], second["nid"], first["nid"]]
    by_aggregate = (
        await client.get(
            "/events/aggregate",
            params={
                "event_type": "order.created",
                "aggregate_type": "order",
                "aggregate_id": "o-1",
            },
        )
    ).json()
    assert [e["version"] for e in by_aggregate] == [2, 1]
    by_source = (
        await client.get(
            "/events/source", params={"event_type": "order.created", "event_source": "pos"}
        )
    ).json()
    assert [e["id"] for e in by_source] == [other["id"]]
    limited = (
        await client.get("/events/type", params={"event_type": "order.created", "limit": "1"})
    ).json()
    assert len(limited) == 1
    assert (await client.get("/events/types")).json() == ["order.created", "order.paid"]


async def test_time_range_bounds_the_queries(client: Client) -> None:
    now = datetime.now(UTC)
    await append(client, created_at=iso(now - timedelta(minutes=5)))
    params = {"event_type": "order.created", "from": iso(now - timedelta(minutes=1))}
    assert (await client.get("/events/type", params=params)).json() == []
    params["from"] = iso(now - timedelta(minutes=6))
    assert len((await client.get("/events/type", params=params)).json()) == 1


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("/events/type", {}, "event_type"),
        ("/events/aggregate", {"event_type": "t", "aggregate_type": "a"}, "aggregate_id"),
        ("/events/source", {"event_type": "t"}, "event_source"),
        ("/events/type", {"event_type": "t", "limit": "0"}, "limit"),
        ("/events/type", {"event_type": "t", "limit": "-2"}, "limit"),
        ("/events/type", {"event_type": "t", "limit": "1001"}, "limit"),
        ("/events/type", {"event_type": "t", "from": "yesterday"}, "from"),
        (
            "/events/types",
            {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            "from",
        ),
    ],
)
async def test_bad_query_parameters_are_unprocessable(
    client: Client, path: str, params: dict[str, str], param: str
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", param)


async def test_delete_by_type_needs_its_range_and_removes_only_that_type(client: Client) -> None:
    await append(client)
    await append(client, event_type="order.paid")
    missing = await client.delete("/events/type", params={"event_type": "order.created"})
    assert missing.status_code == 422
    now = datetime.now(UTC)
    window = {"from": iso(now - timedelta(hours=1)), "to": iso(now + timedelta(hours=1))}
    response = await client.delete("/events/type", params={"event_type": "order.created"} | window)
    assert response.status_code == 200
    assert response.json() == "events deleted"
    assert (await client.get("/events/types")).json() == ["order.paid"]


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        yield client


async def test_stream_delivers_events_appended_after_connecting(
    served: httpx.AsyncClient,
) -> None:
    await served.post("/events", json=ORDER | {"aggregate_id": "before"})
    received: list[str] = []
    async with served.stream("GET", "/events/stream/order.created") as stream:
        assert stream.headers["access-control-allow-origin"] == "*"
        lines = stream.aiter_lines()
        assert await anext(lines) == "data: Connected to event stream for type: order.created"
        await served.post("/events", json=ORDER | {"event_type": "order.paid"})
        await served.post("/events", json=ORDER | {"aggregate_id": "after"})
        async with asyncio.timeout(5):
            async for line in lines:
                if line.startswith("data: "):
                    received.append(line)
                    break
    event = msgspec.json.decode(received[0][6:])
    assert (event["event_type"], event["aggregate_id"]) == ("order.created", "after")
