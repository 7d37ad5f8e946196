"""Shared set-up for chat tests: our server with the shipped `chat` chain, a fake Ollama."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec

from runtime.app import create_app
from runtime.chainstore import SHIPPED
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.fakes.loopback import Served, serve
from tests.fakes.ollama_fake import FakeOllama

SHIPPED_CHAT = SHIPPED / "chat.json"


class ChatStack:
    """Our server and the fake Ollama serving `m` (and `small`, a 100-token window)."""

    def __init__(self, ours: Served, api: httpx.AsyncClient, ollama: FakeOllama) -> None:
        self.ours, self.api, self.ollama = ours, api, ollama

    def chat_requests(self) -> list[list[dict[str, Any]]]:
        """The messages of every chat request the backend received, in order."""
        return [r[2]["messages"] for r in self.ollama.requests if r[1] == "/api/chat"]

    async def new_chat(self, **body: Any) -> str:
        created = await self.api.post("/chats", json={"subject": "s", "model": "m"} | body)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    async def say(self, chat_id: str, text: str) -> httpx.Response:
        return await self.api.post(f"/chats/{chat_id}/chat", json={"message": text})

    async def history(self, chat_id: str) -> dict[str, Any]:
        found = await self.api.get(f"/chats/{chat_id}")
        assert found.status_code == 200, found.text
        return dict(found.json())


@asynccontextmanager
async def chat_stack(
    settings: Settings, ollama: FakeOllama | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[ChatStack]:
    """The stack; `headers` go with every request of its client (an admin credential)."""
    ollama = ollama or FakeOllama()
    ollama.add_model("m:latest", caps=["completion"])
    ollama.add_model("small:latest", caps=["completion"])
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(ollama) as served,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10, headers=headers) as api,
    ):
        await ready(api, served.url)
        yield ChatStack(ours, api, ollama)


async def ready(api: httpx.AsyncClient, backend_url: str) -> None:
    """Models `m` and `small` routable on the backend, and the shipped chat chain stored."""
    group_id = await group(api, "g")
    await declare_model(api, group_id, "m")
    await declare_model(api, group_id, "small", contextLength=100)
    backend_id = await backend(api, group_id, backend_url, "ollama", "ollama")
    await routable(api, backend_id, "m")
    await routable(api, backend_id, "small")
    saved = await api.post("/taskchains", json=json.loads(SHIPPED_CHAT.read_text()))
    assert saved.status_code == 201, saved.text
