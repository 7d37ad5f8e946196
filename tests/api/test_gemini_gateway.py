"""A Gemini backend behind /v1/chat/completions and /embed, configured as a cloud provider."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import msgspec
import openai
import pytest

from runtime.app import create_app
from runtime.config import DefaultModel, Settings
from tests.api.gateway_setup import declare_model, routable
from tests.fakes.gemini import FakeGemini
from tests.fakes.loopback import Served, serve
from tests.waiting import eventually

HELLO = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]


@pytest.fixture
async def gemini(settings: Settings) -> AsyncIterator[tuple[FakeGemini, Served, httpx.AsyncClient]]:
    fake = FakeGemini(api_key="gk-secret")
    fake.add_model("gemini-1.5-flash", methods=["generateContent"])
    fake.add_model("text-embedding-004", methods=["embedContent"])
    configured = msgspec.structs.replace(
        settings,
        reconcile_interval=0.2,
        embed_model=DefaultModel(model="text-embedding-004", provider="gemini"),
    )
    async with (
        serve(fake) as served,
        serve(create_app(configured), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        configure = await api.post("/providers/gemini/configure", json={"apiKey": "gk-secret"})
        assert configure.status_code == 200
        moved = await api.put(
            "/backends/gemini", json={"name": "gemini", "baseUrl": served.url, "type": "gemini"}
        )
        assert moved.status_code == 200
        # the key is bound to the URL it was configured for: configure it again for the new one
        again = {"apiKey": "gk-secret", "upsert": True}
        assert (await api.post("/providers/gemini/configure", json=again)).status_code == 200
        group = (await api.post("/groups", json={"name": "cloud"})).json()["id"]
        await declare_model(api, group, "gemini-1.5-flash")
        for target in (group, "internal_embed_group"):
            await api.post(f"/backend-affinity/{target}/backends/gemini")
        await routable(api, "gemini", "gemini-1.5-flash")
        yield fake, ours, api


async def test_gemini_answers_in_openai_shape(
    gemini: tuple[FakeGemini, Served, httpx.AsyncClient],
) -> None:
    fake, ours, _ = gemini
    async with openai.AsyncOpenAI(base_url=ours.url + "/v1", api_key="x", max_retries=0) as client:
        answer = await client.chat.completions.create(
            model="gemini-1.5-flash",
            messages=HELLO,
            max_tokens=50,  # type: ignore[arg-type]
        )
    assert answer.choices[0].message.content == "echo: hello"
    assert answer.usage is not None
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    sent = fake.bodies[-1]
    assert sent["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    assert sent["generationConfig"] == {"maxOutputTokens": 50}
    assert all(h.get("x-goog-api-key") == "gk-secret" for _, _, h in fake.requests)


async def test_gemini_gets_json_mode_and_the_seed(
    gemini: tuple[FakeGemini, Served, httpx.AsyncClient],
) -> None:
    fake, ours, _ = gemini
    async with openai.AsyncOpenAI(base_url=ours.url + "/v1", api_key="x", max_retries=0) as client:
        await client.chat.completions.create(
            model="gemini-1.5-flash",
            messages=HELLO,
            seed=7,
            response_format={"type": "json_object"},
        )
    config = fake.bodies[-1]["generationConfig"]
    assert config == {"seed": 7, "responseMimeType": "application/json"}


async def test_gemini_streams_text_and_tool_calls(
    gemini: tuple[FakeGemini, Served, httpx.AsyncClient],
) -> None:
    fake, ours, _ = gemini
    fake.chat.tool_call("lookup", {"q": "weather"})
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    async with openai.AsyncOpenAI(base_url=ours.url + "/v1", api_key="x", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="gemini-1.5-flash",
            messages=HELLO,
            tools=tools,
            stream=True,  # type: ignore[arg-type]
        )
        chunks = [c async for c in stream]
    text = "".join(ch.delta.content or "" for c in chunks for ch in c.choices)
    calls = [t for c in chunks for ch in c.choices for t in ch.delta.tool_calls or []]
    assert text == "echo: hello"
    assert calls[0].function is not None
    assert json.loads(calls[0].function.arguments or "") == {"q": "weather"}
    assert [ch.finish_reason for c in chunks for ch in c.choices if ch.finish_reason] == [
        "tool_calls"
    ]
    assert fake.bodies[-1]["tools"] == [
        {"functionDeclarations": [{"name": "lookup", "parameters": {}}]}
    ]


async def test_gemini_embeds_for_the_default_embedding_model(
    gemini: tuple[FakeGemini, Served, httpx.AsyncClient],
) -> None:
    _, _, api = gemini

    async def embedded() -> list[float] | None:
        response = await api.post("/embed", json={"text": "abc"})
        return response.json()["vector"] if response.status_code == 200 else None

    assert await eventually(embedded) == [3.0, 1.0, 1.0, 1.0]
