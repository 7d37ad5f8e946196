"""Our server with one backend of a given kind behind it, for the Ollama client surface tests.

The group `g` holds the chat model `m` and the embedding model `e`; the backend is a fake
Ollama, a fake vLLM (OpenAI-compatible) or a fake Gemini, configured the way an operator would.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import ollama

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group
from tests.fakes.gemini import FakeGemini
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.openai_fake import FakeOpenAI
from tests.waiting import eventually

KINDS = ["ollama", "vllm", "gemini"]
Fake = FakeOllama | FakeOpenAI | FakeGemini


class Stack:
    """Our server (`url`), its management API (`api`), an async Ollama client, the fake."""

    def __init__(self, kind: str, url: str, api: httpx.AsyncClient, fake: Fake) -> None:
        self.kind, self.url, self.api, self.fake = kind, url, api, fake
        self.client = ollama.AsyncClient(host=url, timeout=10)

    def sync_client(self) -> contextlib.closing[ollama.Client]:
        """A blocking client (the ollama client has `close()` but is no context manager)."""
        return contextlib.closing(ollama.Client(host=self.url, timeout=10))

    def sent(self) -> Any:
        """The body of the last chat request the backend got."""
        if isinstance(self.fake, FakeGemini):
            return self.fake.bodies[-1]
        return next(body for _, path, body in reversed(self.fake.requests) if "chat" in path)


def _fake(kind: str) -> Fake:
    if kind == "ollama":
        fake = FakeOllama()
        fake.add_model("m:latest")
        fake.add_model("e:latest", caps=["embedding"])
        return fake
    if kind == "vllm":
        return FakeOpenAI(models={"m": 4096, "e": 512})
    gemini = FakeGemini(api_key="gk-secret")
    gemini.add_model("m", methods=["generateContent"])
    gemini.add_model("e", methods=["embedContent"])
    return gemini


async def _attach(api: httpx.AsyncClient, kind: str, url: str, group_id: str) -> None:
    if kind != "gemini":
        await backend(api, group_id, url, kind, kind)
        return
    key = {"apiKey": "gk-secret"}
    assert (await api.post("/providers/gemini/configure", json=key)).status_code == 200
    moved = {"name": "gemini", "baseUrl": url, "type": "gemini"}
    assert (await api.put("/backends/gemini", json=moved)).status_code == 200
    # the key is bound to the URL it was configured for: configure it again for the new one
    again = key | {"upsert": True}
    assert (await api.post("/providers/gemini/configure", json=again)).status_code == 200
    assert (await api.post(f"/backend-affinity/{group_id}/backends/gemini")).status_code == 201


@asynccontextmanager
async def ollama_stack(kind: str, settings: Settings) -> AsyncIterator[Stack]:
    """The stack, once both models can be reached through it."""
    fake = _fake(kind)
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(fake) as served,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        group_id = await group(api, "g")
        await declare_model(api, group_id, "m")
        await declare_model(api, group_id, "e", canChat=False, canStream=False, canEmbed=True)
        await _attach(api, kind, served.url, group_id)
        await _listed(api, {"m", "e"})
        stack = Stack(kind, ours.url, api, fake)
        try:
            yield stack
        finally:
            await stack.client.close()


async def _listed(api: httpx.AsyncClient, names: set[str]) -> None:
    async def ready() -> bool:
        listed = (await api.get("/api/tags")).json()["models"]
        return {entry["name"].split(":")[0] for entry in listed} == names

    await eventually(ready)
