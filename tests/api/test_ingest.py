"""/mappings, /ingest, /raw-events and /replay through HTTP: webhooks become domain events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.test_backends import assert_error

Client = AsyncTestClient[Litestar]
MAPPING = {
    "path": "github",
    "eventType": "push",
    "eventSource": "github",
    "aggregateType": "repository",
    "aggregateIDField": "event.payload.order.id",
    "eventTypeField": "kind",
    "eventIDField": "delivery",
    "version": 2,
    "metadataMapping": {"who": "sender.login", "first": "commits[0]"},
}
PAYLOAD = {
    "event": {"payload": {"order": {"id": 77}}},
    "sender": {"login": "ada"},
    "commits": ["c1", "c2"],
    "delivery": "d-1",
}


def window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }


async def events_of(client: Client, event_type: str) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = (
        await client.get("/events/type", params={"event_type": event_type})
    ).json()
    return body


async def test_mapping_crud_round_trips(client: Client) -> None:
    created = await client.post("/mappings", json=MAPPING)
    assert created.status_code == 201
    assert created.json() == MAPPING | {"aggregateTypeField": "", "eventSourceField": ""}
    assert (await client.post("/mappings", json=MAPPING)).status_code == 409
    assert [m["path"] for m in (await client.get("/mappings")).json()] == ["github"]
    changed = await client.put("/mapping", params={"path": "github"}, json=MAPPING | {"version": 3})
    assert changed.json()["version"] == 3
    assert (await client.get("/mapping", params={"path": "github"})).json()["version"] == 3
    removed = await client.delete("/mapping", params={"path": "github"})
    assert removed.json() == "mapping removed"
    assert (await client.get("/mapping", params={"path": "github"})).status_code == 404
    assert (await client.get("/mappings")).json() == []
    assert (await client.get("/mapping")).status_code == 400


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"path": ""}, "path"),
        ({"eventType": ""}, "event_type"),
        ({"eventSource": ""}, "event_source"),
        ({"aggregateType": ""}, "aggregate_type"),
        ({"version": 0}, "version"),
    ],
)
async def test_invalid_mapping_is_unprocessable(
    client: Client, changes: dict[str, Any], param: str
) -> None:
    response = await client.post("/mappings", json=MAPPING | changes)
    assert response.status_code == 422
    assert "invalid mapping configuration" in assert_error(
        response.json(), "unprocessable_entity", param
    )
    assert (await client.get("/mappings")).json() == []


async def test_ingest_stores_the_raw_payload_and_the_mapped_event(client: Client) -> None:
    await client.post("/mappings", json=MAPPING)
    response = await client.post(
        "/ingest?path=github",
        json=PAYLOAD | {"kind": "push.tag"},
        headers={"X-GitHub-Event": "push", "Authorization": "Bearer secret", "Cookie": "a=b"},
    )
    assert response.status_code == 201
    raw = response.json()
    assert raw["id"].startswith("evt_")
    assert raw["path"] == "github"
    assert raw["headers"]["x-github-event"] == "push"
    assert {"authorization", "cookie"}.isdisjoint(raw["headers"])
    [event] = await events_of(client, "push.tag")
    assert (event["aggregate_id"], event["aggregate_type"]) == ("77", "repository")
    assert (event["event_source"], event["version"], event["id"]) == ("github", 2, "d-1")
    assert event["metadata"] == {"who": "ada", "first": "c1"}
    assert event["data"]["commits"] == ["c1", "c2"]


async def test_same_delivery_is_ingested_once(client: Client) -> None:
    await client.post("/mappings", json=MAPPING)
    first = (await client.post("/ingest?path=github", json=PAYLOAD)).json()
    again = (await client.post("/ingest?path=github", json=PAYLOAD)).json()
    assert first == again
    assert len(await events_of(client, "push")) == 1


async def test_concurrent_repeats_of_deliveries_store_each_delivery_once(
    client: Client,
) -> None:
    await client.post("/mappings", json=MAPPING)
    payloads = [PAYLOAD | {"delivery": f"d-{n % 3}"} for n in range(12)]
    answers = await asyncio.gather(*(client.post("/ingest?path=github", json=p) for p in payloads))
    assert [a.status_code for a in answers] == [201] * 12
    raw_of: dict[str, set[int]] = {}
    for payload, answer in zip(payloads, answers, strict=True):
        raw_of.setdefault(payload["delivery"], set()).add(answer.json()["nid"])
    assert all(len(nids) == 1 for nids in raw_of.values())  # repeats answer the stored one
    assert len((await client.get("/raw-events")).json()) == 3
    assert sorted(e["id"] for e in await events_of(client, "push")) == ["d-0", "d-1", "d-2"]


async def test_ingest_errors(client: Client) -> None:
    await client.post("/mappings", json=MAPPING)
    assert (await client.post("/ingest", json=PAYLOAD)).status_code == 400
    assert (await client.post("/ingest?path=nope", json=PAYLOAD)).status_code == 404
    not_object = await client.post("/ingest?path=github", json=[1, 2])
    assert not_object.status_code == 422
    missing = await client.post("/ingest?path=github", json={"delivery": "d-9"})
    assert missing.status_code == 422
    assert "not found in payload" in missing.json()["error"]["message"]
    kept = (await client.get("/raw-events")).json()
    assert [r["payload"] for r in kept] == [{"delivery": "d-9"}]  # kept for replay


async def test_replay_maps_a_stored_payload_again(client: Client) -> None:
    await client.post("/mappings", json=MAPPING | {"aggregateIDField": "missing.field"})
    await client.post("/ingest?path=github", json=PAYLOAD)
    [raw] = (await client.get("/raw-events")).json()
    await client.put("/mapping", params={"path": "github"}, json=MAPPING)
    response = await client.post("/replay", params={"nid": str(raw["nid"])} | window())
    assert response.status_code == 202
    assert response.json() == "event replayed"
    [event] = await events_of(client, "push")
    assert event["aggregate_id"] == "77"
    fetched = await client.get(f"/raw-events/{raw['nid']}", params=window())
    assert fetched.json()["id"] == raw["id"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"nid": "x"}, 422), ({"nid": "999999"}, 404)],
)
async def test_replay_errors(client: Client, params: dict[str, str], status: int) -> None:
    query = params | (window() if params else {})
    assert (await client.post("/replay", params=query)).status_code == status


async def test_raw_events_can_be_posted_directly(client: Client) -> None:
    response = await client.post("/raw-events", json={"path": "manual", "payload": {"a": 1}})
    assert response.status_code == 201
    assert response.json()["nid"] > 0
    assert (await client.post("/raw-events", json={"payload": {}})).status_code == 422
    assert (await client.post("/sync")).json() == "mappings synchronized"


async def test_sync_makes_another_replicas_mapping_change_visible_at_once(
    client: Client, settings: Settings
) -> None:
    assert (await client.post("/mappings", json=MAPPING)).status_code == 201
    assert (
        await client.post("/ingest", params={"path": "github"}, json=PAYLOAD)
    ).status_code == 201
    async with AsyncTestClient(create_app(settings)) as other:
        changed = MAPPING | {"eventType": "pushed", "eventTypeField": ""}
        assert (
            await other.put("/mapping", params={"path": "github"}, json=changed)
        ).status_code == 200
    assert (await client.post("/sync")).json() == "mappings synchronized"
    again = PAYLOAD | {"delivery": "d-2"}
    assert (await client.post("/ingest", params={"path": "github"}, json=again)).status_code == 201
    assert len(await events_of(client, "pushed")) == 1


async def test_a_payload_that_fails_to_map_is_kept_without_an_event(client: Client) -> None:
    assert (await client.post("/mappings", json=MAPPING)).status_code == 201
    broken = {"delivery": "d-3", "kind": "push"}  # no aggregate id where the mapping looks
    response = await client.post("/ingest", params={"path": "github"}, json=broken)
    assert response.status_code == 422
    stored = (await client.get("/raw-events", params=window())).json()
    assert [r["payload"] for r in stored] == [broken]
    assert await events_of(client, "push") == []
