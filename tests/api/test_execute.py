"""/execute, /embed and /defaultmodel on the default models, routed to fake backends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import DefaultModel, Settings
from tests.api.gateway_setup import backend
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, FakeOllama]]:
    fake = FakeOllama()
    fake.add_model("phi3:3.8b")
    fake.add_model("nomic-embed-text", caps=["embedding"])
    configured = msgspec.structs.replace(
        settings,
        reconcile_interval=0.2,
        task_model=DefaultModel(model="phi3:3.8b"),
        embed_model=DefaultModel(model="nomic-embed-text:latest"),
    )
    async with (
        serve(fake) as served,
        serve(create_app(configured), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        one = await backend(client, "internal_tasks_group", served.url, "ollama", "o")
        await client.post(f"/backend-affinity/internal_embed_group/backends/{one}")
        await routable_prompt(client, one)
        yield client, fake


async def routable_prompt(client: httpx.AsyncClient, backend_id: str) -> None:
    from tests.waiting import eventually  # noqa: PLC0415

    async def ready() -> bool:
        pulled = (await client.get(f"/backends/{backend_id}")).json()["pulledModels"]
        return {p["name"] for p in pulled if p["canPrompt"] or p["canEmbed"]} == {
            "phi3:3.8b",
            "nomic-embed-text:latest",
        }

    await eventually(ready)


async def test_execute_runs_the_prompt_on_the_task_model(
    api: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, fake = api
    response = await client.post("/execute", json={"prompt": "2+2?"})
    assert response.status_code == 200
    body = response.json()
    assert body["response"] == "echo: 2+2?"
    assert len(body["id"]) == 36
    sent = [p for _, path, p in fake.requests if path == "/api/generate"][-1]
    assert sent["model"] == "phi3:3.8b"
    assert sent["options"]["temperature"] == 0.1
    assert "task processing engine" in sent["system"]


async def test_execute_with_empty_prompt_is_a_bad_request(
    api: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, _ = api
    for body in ({}, {"prompt": "  "}):
        response = await client.post("/execute", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "prompt"


async def test_execute_with_a_model_declared_nowhere_is_not_found(
    api: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, _ = api
    response = await client.post("/execute", json={"prompt": "x", "model_name": "nosuch"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


async def test_embed_returns_the_vector_of_the_embedding_model(
    api: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, fake = api
    first = (await client.post("/embed", json={"text": "hello"})).json()
    again = (await client.post("/embed", json={"text": "hello"})).json()
    assert len(first["vector"]) == 8
    assert first == again
    assert [p["model"] for _, path, p in fake.requests if path == "/api/embed"] == [
        "nomic-embed-text:latest"
    ] * 2
    empty = await client.post("/embed", json={"text": ""})
    assert empty.status_code == 422


async def test_default_model_is_the_embedding_model(
    api: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, _ = api
    assert (await client.get("/defaultmodel")).json() == {"modelName": "nomic-embed-text:latest"}
