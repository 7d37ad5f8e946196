"""/api/chat and /api/generate through the official ollama client, to every kind of backend."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import ollama
import pytest

from runtime.config import Settings
from tests.api.ollama_setup import KINDS, Stack, ollama_stack
from tests.fakes.gemini import FakeGemini
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.openai_fake import FakeOpenAI

HELLO = [{"role": "user", "content": "hello there"}]
WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture(params=KINDS)
async def stack(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Stack]:
    async with ollama_stack(request.param, settings) as built:
        yield built


async def test_chat_answers_with_ollama_shape_counts_and_durations(stack: Stack) -> None:
    answer = await stack.client.chat(model="m", messages=HELLO)
    assert answer.message.role == "assistant"
    assert answer.message.content == "echo: hello there"
    assert answer.model == "m"
    assert (answer.done, answer.done_reason) == (True, "stop")
    assert (answer.prompt_eval_count or 0) > 0
    assert (answer.eval_count or 0) > 0
    assert (answer.total_duration or 0) > 0
    assert (answer.created_at or "").endswith("Z")


async def test_sync_client_chats_too(stack: Stack) -> None:
    def call() -> str:
        with stack.sync_client() as client:
            return client.chat(model="m", messages=HELLO).message.content or ""

    assert await asyncio.to_thread(call) == "echo: hello there"


async def test_chat_streams_lines_that_add_up_and_close_with_done(stack: Stack) -> None:
    parts = [part async for part in await stack.client.chat("m", HELLO, stream=True)]
    assert len(parts) > 2
    assert "".join(p.message.content or "" for p in parts) == "echo: hello there"
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    last = parts[-1]
    assert last.done_reason == "stop"
    assert (last.eval_count or 0) > 0
    assert (last.prompt_eval_count or 0) > 0
    assert (last.total_duration or 0) >= (last.eval_duration or 0) > 0


async def test_stream_is_ndjson_by_default(stack: Stack) -> None:
    body = {"model": "m", "messages": HELLO}
    async with stack.api.stream("POST", "/api/chat", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) async for line in response.aiter_lines() if line]
    assert all("error" not in line for line in lines)
    assert all(isinstance(line["message"]["content"], str) for line in lines)
    assert lines[-1]["done"] is True


async def test_sync_client_streams_in_a_thread(stack: Stack) -> None:
    def call() -> list[str]:
        with stack.sync_client() as client:
            stream = client.generate(model="m", prompt="hi", stream=True)
            return [part.response or "" for part in stream]

    assert "".join(await asyncio.to_thread(call)) == "echo: hi"


async def test_tool_calls_come_back_with_object_arguments(stack: Stack) -> None:
    stack.fake.chat.tool_call("get_weather", {"city": "Paris"})
    answer = await stack.client.chat("m", HELLO, tools=WEATHER)
    calls = answer.message.tool_calls or []
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    parts = [p async for p in await stack.client.chat("m", HELLO, tools=WEATHER, stream=True)]
    streamed = [c for p in parts for c in p.message.tool_calls or []]
    assert [(c.function.name, dict(c.function.arguments)) for c in streamed] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert parts[-1].done


async def test_tool_results_are_sent_back_answering_their_call(stack: Stack) -> None:
    call = {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    messages: list[Any] = [
        *HELLO,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
    ]
    answer = await stack.client.chat("m", messages, tools=WEATHER)
    sent = stack.sent()
    if isinstance(stack.fake, FakeGemini):  # the fake echoes user text only
        part = sent["contents"][-1]["parts"][0]
        assert part["functionResponse"]["name"] == "get_weather"
        assert part["functionResponse"]["response"] == {"content": "sunny"}
        return
    assert answer.message.content == "tool said: sunny"
    if isinstance(stack.fake, FakeOpenAI):
        assistant, tool = sent["messages"][-2:]
        assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
        assert tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    else:
        assert sent["messages"][-1]["tool_name"] == "get_weather"
        assert sent["messages"][-2]["tool_calls"][0]["function"]["arguments"] == {"city": "Paris"}


async def test_generate_answers_a_prompt_with_a_system_instruction(stack: Stack) -> None:
    answer = await stack.client.generate(model="m", prompt="hello", system="be brief")
    assert answer.response == "echo: hello"
    assert (answer.done, answer.done_reason) == (True, "stop")
    assert answer.eval_count
    sent = stack.sent()
    if isinstance(stack.fake, FakeOllama | FakeOpenAI):
        assert sent["messages"][0] == {"role": "system", "content": "be brief"}
    else:
        assert sent["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    parts = [p async for p in await stack.client.generate("m", "hello", stream=True)]
    assert "".join(p.response or "" for p in parts) == "echo: hello"
    assert parts[-1].done


async def test_empty_requests_load_the_model_without_asking_the_backend(stack: Stack) -> None:
    before = len(stack.fake.requests)
    loaded = await stack.client.generate(model="m")
    assert (loaded.done, loaded.done_reason) == (True, "load")
    chatted = await stack.client.chat(model="m", messages=[])
    assert chatted.done_reason == "load"
    assert not [r for r in stack.fake.requests[before:] if r[0] == "POST"]
    with pytest.raises(ollama.ResponseError) as raised:
        await stack.client.generate(model="nobody")
    assert raised.value.status_code == 404


async def test_a_model_nobody_declared_is_an_ollama_404(stack: Stack) -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        await stack.client.chat(model="nope", messages=HELLO)
    assert raised.value.status_code == 404
    assert "model 'nope' is not declared" in raised.value.error
    with pytest.raises(ollama.ResponseError) as streamed:
        async for _ in await stack.client.chat(model="nope", messages=HELLO, stream=True):
            pass
    assert streamed.value.status_code == 404


async def test_a_model_no_backend_serves_is_an_ollama_503(stack: Stack) -> None:
    lonely = (await stack.api.post("/groups", json={"name": "lonely"})).json()["id"]
    body = {"model": "z", "contextLength": 4096, "canChat": True}
    assert (await stack.api.post("/models", json=body)).status_code == 201
    assert (await stack.api.post(f"/model-affinity/{lonely}/models/z")).status_code == 200
    with pytest.raises(ollama.ResponseError) as raised:
        await stack.client.chat(model="z", messages=HELLO)
    assert raised.value.status_code == 503
    assert "no backend can serve model 'z'" in raised.value.error


@pytest.mark.parametrize("kind", ["ollama", "vllm"])
async def test_a_stream_that_breaks_off_ends_with_an_error_line(
    kind: str, settings: Settings
) -> None:
    async with ollama_stack(kind, settings) as stack:
        stack.fake.chat.stream(["a", "b", "c", "d"])
        stack.fake.chat.die_after = 2
        parts: list[ollama.ChatResponse] = []
        with pytest.raises(ollama.ResponseError) as raised:
            await _collect(stack, parts)
        assert "".join(p.message.content or "" for p in parts) == "ab"
        assert raised.value.error
        body = {"model": "m", "messages": HELLO}
        async with stack.api.stream("POST", "/api/chat", json=body) as response:
            lines = [json.loads(line) async for line in response.aiter_lines() if line]
        assert response.status_code == 200
        assert set(lines[-1]) == {"error"}
        assert not any(line.get("done") for line in lines)


async def _collect(stack: Stack, parts: list[ollama.ChatResponse]) -> None:
    """Collects the parts into `parts` one by one: those before an error stay there."""
    async for part in await stack.client.chat("m", HELLO, stream=True):
        parts.append(part)  # noqa: PERF401 - a comprehension would lose them on the error


@pytest.mark.parametrize("kind", ["ollama", "vllm"])
async def test_client_going_away_cancels_the_upstream_stream(kind: str, settings: Settings) -> None:
    async with ollama_stack(kind, settings) as stack:
        script = stack.fake.chat
        script.stream([f"t{n} " for n in range(100)], delay=0.05)
        body = {"model": "m", "messages": HELLO}
        async with stack.api.stream("POST", "/api/chat", json=body) as response:
            async for line in response.aiter_lines():
                if "t2" in line:
                    break
        await asyncio.sleep(0.5)
        assert script.abandoned == 1
        assert script.sent < 30
