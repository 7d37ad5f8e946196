"""Two server processes on one PostgreSQL: each index job runs once, changes reach both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import DefaultModel, Settings
from tests.api.gateway_setup import backend
from tests.api.knowledge_setup import EMBED, embeddable, put_file, settled
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.waiting import eventually


@pytest.fixture
async def replicas(settings: Settings) -> AsyncIterator[tuple[Any, Any, FakeOllama]]:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("an embedded SQLite database belongs to one server process")
    fake = FakeOllama(word_vectors=True)
    fake.add_model(EMBED, caps=["embedding"])
    configured = msgspec.structs.replace(
        settings, reconcile_interval=0.2, job_retry=0.2, embed_model=DefaultModel(model=EMBED)
    )
    async with (
        serve(fake) as served,
        serve(create_app(configured), lifespan=True) as first,
        serve(create_app(configured), lifespan=True) as second,
        httpx.AsyncClient(base_url=first.url, timeout=10) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as b,
    ):
        one = await backend(a, "internal_embed_group", served.url, "ollama", "o")
        await embeddable(a, one)
        await embeddable(b, one)
        yield a, b, fake


async def found(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await client.get("/search", params={"q": q, "mode": "vector"})
    return [h["fileId"] for h in response.json()["results"]]


async def test_each_file_is_indexed_once_and_a_delete_reaches_the_other_replica(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient, FakeOllama],
) -> None:
    a, b, fake = replicas
    ids = [await put_file(a, f"f{n}.txt", f"topic{n} harbour report".encode()) for n in range(6)]
    for file_id in ids:
        await settled(a, file_id)
    embedded = [t for _, path, body in fake.requests if path == "/api/embed" for t in body["input"]]
    assert sorted(embedded) == sorted(f"topic{n} harbour report" for n in range(6))

    async def seen_by_b() -> bool:
        return ids[0] in await found(b, "topic0 harbour report")

    await eventually(seen_by_b, within=2)
    assert (await a.delete(f"/files/{ids[0]}")).status_code == 200
    assert ids[0] not in await found(b, "topic0 harbour report")
    replaced = await a.put(f"/files/{ids[1]}", files={"file": ("f1.txt", b"lighthouse keeper")})
    assert replaced.status_code == 200
    await settled(a, ids[1])

    async def replaced_on_b() -> bool:
        return (await found(b, "lighthouse keeper"))[:1] == [ids[1]]

    await eventually(replaced_on_b, within=1)
