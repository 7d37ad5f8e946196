"""Declared models reach Ollama backends through the durable pull queue, with live progress."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.fakes.loopback import Served, serve
from tests.fakes.ollama_fake import FakeOllama, Pullable
from tests.waiting import eventually


def fast(settings: Settings, **changes: Any) -> Settings:
    base = {"pull_stall_timeout": 2.0, "pull_backoff": 0.1, "reconcile_interval": 0.2}
    return msgspec.structs.replace(settings, **(base | changes))


@pytest.fixture
async def ollama() -> AsyncIterator[tuple[FakeOllama, Served]]:
    fake = FakeOllama()
    async with serve(fake) as served:
        yield fake, served


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(fast(settings)), lifespan=True) as served,
        httpx.AsyncClient(base_url=served.url, timeout=10) as client,
    ):
        yield client


async def declare(client: httpx.AsyncClient, base_url: str, *models: str) -> str:
    """A group holding `models` and one Ollama backend; returns the backend id."""
    group = (await client.post("/groups", json={"name": "g"})).json()["id"]
    for name in models:
        created = await client.post(
            "/models", json={"model": name, "contextLength": 4096, "canChat": True}
        )
        assert created.status_code == 201
        await client.post(f"/model-affinity/{group}/models/{name}")
    backend = (
        await client.post("/backends", json={"name": "o", "baseUrl": base_url, "type": "ollama"})
    ).json()["id"]
    assert (await client.post(f"/backend-affinity/{group}/backends/{backend}")).status_code == 201
    return str(backend)


async def pulled(client: httpx.AsyncClient, backend_id: str) -> set[str]:
    detail = (await client.get(f"/backends/{backend_id}")).json()
    return {entry["name"] for entry in detail["pulledModels"] if entry["size"] > 0}


async def test_declared_model_is_pulled_with_progress_on_the_stream(
    api: httpx.AsyncClient, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    fake.pullable["smollm2:135m"] = Pullable(steps=5, delay=0.1)
    reports: list[dict[str, Any]] = []
    async with api.stream("GET", "/queue/inProgress") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        backend = await declare(api, served.url, "smollm2:135m")
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                reports.append(msgspec.json.decode(line[6:]))
                if reports[-1]["status"] == "success":
                    break
    assert {r["baseUrl"] for r in reports} == {served.url}
    assert any(0 < r.get("completed", 0) < r.get("total", 0) for r in reports)
    assert await eventually(lambda: pulled(api, backend)) == {"smollm2:135m"}
    assert (await api.get("/queue")).json() == []


async def test_queue_lists_a_running_pull_with_its_progress(
    api: httpx.AsyncClient, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    fake.pullable["big:1b"] = Pullable(steps=30, delay=0.1)
    await declare(api, served.url, "big:1b")

    async def running() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await api.get("/queue")).json()
        return [i for i in items if i["status"] == "running" and i["completed"] > 0]

    item = (await eventually(running))[0]
    assert item["taskType"] == "model_download"
    assert item["modelJob"] == {"url": served.url, "model": "big:1b"}
    assert 0 < item["completed"] < item["total"]


async def test_model_declared_later_is_pulled_without_a_restart(
    api: httpx.AsyncClient, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    fake.add_model("base:1b")
    fake.pullable["later:1b"] = Pullable()
    backend = await declare(api, served.url, "base:1b")
    await eventually(lambda: pulled(api, backend))
    await api.post("/models", json={"model": "later:1b", "contextLength": 2048, "canChat": True})
    group = (await api.get("/group-by-name/g")).json()["id"]
    await api.post(f"/model-affinity/{group}/models/later:1b")
    assert await eventually(lambda: _has(pulled(api, backend), "later:1b")) is True


async def _has(names: Any, wanted: str) -> bool:
    return wanted in await names


async def test_unknown_model_records_the_error_and_is_not_retried_forever(
    api: httpx.AsyncClient, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    backend = await declare(api, served.url, "nosuch:9b")

    async def failed() -> list[dict[str, Any]]:
        return [j for j in (await api.get("/queue")).json() if j["status"] == "failed"]

    job = (await eventually(failed))[0]
    assert "file does not exist" in job["error"]
    state = (await api.get(f"/backends/{backend}")).json()
    assert state["pulledModels"] == []
    started = fake.pulls_started
    await eventually(lambda: _cycles_pass(api))
    assert fake.pulls_started == started == 1


async def _cycles_pass(api: httpx.AsyncClient) -> bool:
    import asyncio  # noqa: PLC0415

    await asyncio.sleep(1.0)  # five reconcile intervals
    return True


async def test_stalled_pull_is_aborted_and_retried(
    settings: Settings, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    fake.pullable["slow:1b"] = Pullable(steps=4, stall_after=1)
    app = create_app(fast(settings, pull_stall_timeout=0.5))
    async with serve(app, lifespan=True) as ours, httpx.AsyncClient(base_url=ours.url) as api:
        backend = await declare(api, served.url, "slow:1b")

        async def retried() -> bool:
            items = (await api.get("/queue")).json()
            return bool(items) and items[0]["attempts"] >= 2 and "timed out" in items[0]["error"]

        await eventually(retried)
        fake.pullable["slow:1b"] = Pullable(steps=2)
        assert await eventually(lambda: pulled(api, backend)) == {"slow:1b"}
    assert fake.pulls_started >= 2


async def test_cancel_stops_our_pull(
    api: httpx.AsyncClient, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    fake.pullable["huge:70b"] = Pullable(steps=1000, delay=0.05)
    await declare(api, served.url, "huge:70b")

    async def running() -> bool:
        return any(j["status"] == "running" for j in (await api.get("/queue")).json())

    await eventually(running)
    response = await api.delete("/queue/cancel", params={"model": "huge:70b"})
    assert response.status_code == 200
    assert response.json() == "Model download cancellation initiated"
    jobs = (await api.get("/queue")).json()
    assert [j["status"] for j in jobs] == ["cancelled"]
    assert "huge:70b" not in fake.models


async def test_cancel_without_url_or_model_is_a_bad_request(api: httpx.AsyncClient) -> None:
    response = await api.delete("/queue/cancel")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "url"


async def test_removing_a_model_from_the_queue_answers_literal(api: httpx.AsyncClient) -> None:
    response = await api.delete("/queue/anything:1b")
    assert response.status_code == 200
    assert response.json() == "Model removed from queue"


async def test_backend_answering_garbage_shows_an_error(
    api: httpx.AsyncClient, ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    fake.garbage = True
    backend = await declare(api, served.url, "m:1")

    async def error() -> str | None:
        return (await api.get(f"/backends/{backend}")).json().get("error")

    assert "unreadable answer" in await eventually(error)


async def test_backend_killed_mid_test_reports_an_error_and_recovers(
    api: httpx.AsyncClient,
) -> None:
    fake = FakeOllama()
    fake.add_model("m:1")
    async with serve(fake) as served:
        backend = await declare(api, served.url, "m:1")
        assert await eventually(lambda: pulled(api, backend)) == {"m:1"}
        await served.stop()

        async def error() -> str | None:
            return (await api.get(f"/backends/{backend}")).json().get("error")

        assert "ConnectError" in await eventually(error)
