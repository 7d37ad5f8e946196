"""Our server with a fake Ollama that embeds by shared words, for the knowledge tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec

from runtime.app import create_app
from runtime.config import DefaultModel, Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.waiting import eventually

EMBED = "nomic-embed-text:latest"


@asynccontextmanager
async def knowledge_server(
    settings: Settings,
    *,
    embedder: bool = True,
    fake: FakeOllama | None = None,
    chat: bool = False,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """Our server (lifespan on); with `embedder`, a fake embedding backend it routes to.

    With `chat` the fake also serves the chat model `m` (group `g`); the client sends `headers`.
    """
    fake = fake or FakeOllama(word_vectors=True)
    fake.add_model(EMBED, caps=["embedding"])
    configured = msgspec.structs.replace(
        settings,
        reconcile_interval=0.2,
        job_retry=0.2,
        embed_model=DefaultModel(model=EMBED),
        **overrides,
    )
    async with (
        serve(fake) as served,
        serve(create_app(configured), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10, headers=headers) as client,
    ):
        if chat:
            fake.add_model("m:latest", caps=["completion"])
            group_id = await group(client, "g")
            await declare_model(client, group_id, "m", canPrompt=True)
            one = await backend(client, group_id, served.url, "ollama", "o")
            await routable(client, one, "m")
        if embedder:
            if chat:
                await client.post(f"/backend-affinity/internal_embed_group/backends/{one}")
            else:
                one = await backend(client, "internal_embed_group", served.url, "ollama", "o")
            await embeddable(client, one)
        yield client


async def embeddable(client: httpx.AsyncClient, backend_id: str) -> None:
    async def ready() -> bool:
        pulled = (await client.get(f"/backends/{backend_id}")).json()["pulledModels"]
        return any(p["name"] == EMBED and p["canEmbed"] for p in pulled)

    await eventually(ready)


async def put_file(
    client: httpx.AsyncClient,
    name: str,
    content: bytes,
    content_type: str = "text/plain",
    **fields: Any,
) -> str:
    data = {k: msgspec.json.encode(v).decode() if k == "metadata" else v for k, v in fields.items()}
    response = await client.post("/files", files={"file": (name, content, content_type)}, data=data)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def settled(client: httpx.AsyncClient, file_id: str, state: str = "indexed") -> Any:
    """The file once its indexing state is `state`."""

    async def check() -> Any:
        body = (await client.get(f"/files/{file_id}")).json()
        return body if body["indexState"] == state else None

    return await eventually(check)
