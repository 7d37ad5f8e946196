"""/v1/chat/completions through the official openai client, with fake Ollama and OpenAI behind."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import openai
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.fakes.loopback import Served, serve
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.openai_fake import FakeOpenAI

HELLO = [{"role": "user", "content": "hello there"}]


class Stack:
    """Our server with one group `g` holding model `m`, and the fake behind it."""

    def __init__(self, ours: Served, api: httpx.AsyncClient, fake: Any, group_id: str) -> None:
        self.ours, self.api, self.fake, self.group = ours, api, fake, group_id

    def client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.ours.url + "/v1", api_key="none", max_retries=0)


@pytest.fixture(params=["ollama", "openai"])
async def stack(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Stack]:
    kind = request.param
    fake: FakeOllama | FakeOpenAI
    if kind == "ollama":
        fake = FakeOllama()
        fake.add_model("m:latest")
    else:
        fake = FakeOpenAI(models={"m": 4096})
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(fake) as served,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        group_id = await group(api, "g")
        await declare_model(api, group_id, "m")
        backend_id = await backend(api, group_id, served.url, kind, kind)
        await routable(api, backend_id, "m")
        yield Stack(ours, api, fake, group_id)


async def test_completion_has_openai_shape_model_and_usage(stack: Stack) -> None:
    async with stack.client() as client:
        answer = await client.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert answer.object == "chat.completion"
    assert answer.model == "m"
    assert answer.choices[0].message.content == "echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert answer.usage.prompt_tokens > 0
    assert answer.usage.completion_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


async def streamed(stack: Stack, **options: Any) -> tuple[list[Any], str]:
    """The chunks of a streamed answer through the openai client, and their text."""
    async with stack.client() as client:
        stream = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
            **options,
        )
        chunks = [chunk async for chunk in stream]
    return chunks, "".join(ch.delta.content or "" for c in chunks for ch in c.choices)


async def test_stream_yields_chunks_that_add_up_to_the_answer(stack: Stack) -> None:
    chunks, text = await streamed(stack, stream_options={"include_usage": True})
    assert len(chunks) > 2
    assert all(c.object == "chat.completion.chunk" and c.model == "m" for c in chunks)
    assert text == "echo: hello there"
    assert [ch.finish_reason for c in chunks for ch in c.choices if ch.finish_reason] == ["stop"]
    assert chunks[-1].usage is not None


async def test_a_stream_shows_usage_only_to_a_client_that_asked_for_it(stack: Stack) -> None:
    chunks, text = await streamed(stack)
    assert text == "echo: hello there"
    assert [c.usage for c in chunks if c.usage is not None] == []
    assert all(c.choices for c in chunks)
    if isinstance(stack.fake, FakeOpenAI):  # the backend was asked for it all the same
        sent = [body for _, path, body in stack.fake.requests if path.endswith("/completions")]
        assert sent[-1]["stream_options"] == {"include_usage": True}


async def test_stream_options_in_any_case_reach_the_backend_as_one_key(stack: Stack) -> None:
    body = {"model": "m", "messages": HELLO, "stream": True}
    body["Stream_Options"] = {"include_usage": True}
    async with stack.api.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        text = "".join([part async for part in response.aiter_text()])
    assert '"usage":{' in text.replace(" ", "")  # the client asked, in its own casing
    if isinstance(stack.fake, FakeOpenAI):
        sent = [body for _, path, body in stack.fake.requests if path.endswith("/completions")]
        assert [key for key in sent[-1] if key.lower() == "stream_options"] == ["stream_options"]
        assert sent[-1]["stream_options"] == {"include_usage": True}


async def test_tool_calls_come_back_whole_and_streamed(stack: Stack) -> None:
    stack.fake.chat.tool_call("get_weather", {"city": "Paris"})
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    async with stack.client() as client:
        answer = await client.chat.completions.create(model="m", messages=HELLO, tools=tools)  # type: ignore[arg-type]
        stream = await client.chat.completions.create(
            model="m",
            messages=HELLO,
            tools=tools,
            stream=True,  # type: ignore[arg-type]
        )
        parts = [c async for c in stream]
    call = (answer.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    assert answer.choices[0].finish_reason == "tool_calls"
    fragments = [t for c in parts for ch in c.choices for t in ch.delta.tool_calls or []]
    assert {f.index for f in fragments} == {0}
    arguments = "".join((f.function.arguments or "") for f in fragments if f.function)
    assert json.loads(arguments) == {"city": "Paris"}
    sent = [r for r in stack.fake.requests if r[1].endswith("chat") or r[1].endswith("completions")]
    assert sent[-1][2]["tools"][0]["function"]["name"] == "get_weather"


async def test_sync_client_works_too(stack: Stack) -> None:
    def call() -> str:
        with openai.OpenAI(base_url=stack.ours.url + "/v1", api_key="x", max_retries=0) as c:
            answer = c.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
            return answer.choices[0].message.content or ""

    assert await asyncio.to_thread(call) == "echo: hello there"


async def test_temperature_max_tokens_and_stop_reach_the_backend(stack: Stack) -> None:
    async with stack.client() as client:
        await client.chat.completions.create(
            model="m",
            messages=HELLO,
            temperature=0.2,
            max_tokens=17,
            stop=["END"],  # type: ignore[arg-type]
        )
    body = stack.fake.requests[-1][2]
    if isinstance(stack.fake, FakeOllama):
        assert body["options"] == {"temperature": 0.2, "num_predict": 17, "stop": ["END"]}
    else:
        assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.2, 17, ["END"])


async def test_a_model_declared_nowhere_is_not_found_with_close_names(stack: Stack) -> None:
    response = await stack.api.post("/v1/chat/completions", json={"model": "x", "messages": HELLO})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found"
    assert "'x'" in error["message"]
    assert error["param"] == "model"
    typo = await stack.api.post("/v1/chat/completions", json={"model": "mm", "messages": HELLO})
    assert typo.status_code == 404
    assert "did you mean 'm'" in typo.json()["error"]["message"]


async def test_backend_dying_mid_stream_ends_with_an_error_event(stack: Stack) -> None:
    stack.fake.chat.stream(["a", "b", "c", "d"])
    stack.fake.chat.die_after = 2
    body = {"model": "m", "messages": HELLO, "stream": True}
    async with stack.api.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        events = [line async for line in response.aiter_lines() if line.startswith("data: ")]
    assert events[-1] != "data: [DONE]"
    error = msgspec.json.decode(events[-1][6:])["error"]
    # the envelope of the error as HTTP would carry it: the connection broke, a 503
    assert (error["type"], error["code"]) == ("api_error", "service_unavailable")


async def test_client_going_away_cancels_the_upstream_stream(stack: Stack) -> None:
    stack.fake.chat.stream([f"t{n} " for n in range(100)], delay=0.05)
    body = {"model": "m", "messages": HELLO, "stream": True}
    async with stack.api.stream("POST", "/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and "t2" in line:
                break
    script = stack.fake.chat
    await asyncio.sleep(0.5)
    assert script.abandoned == 1
    assert script.sent < 30


async def test_client_going_away_cancels_a_whole_answer_in_the_making(stack: Stack) -> None:
    stack.fake.chat.latency = 1.0
    body = {"model": "m", "messages": HELLO}
    with pytest.raises(httpx.ReadTimeout):
        await stack.api.post("/v1/chat/completions", json=body, timeout=0.3)
    await asyncio.sleep(1.2)
    assert stack.fake.chat.abandoned == 1  # our request to the backend was dropped too


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"model": "m"', 400),
        (b'{"model": "m", "messages": []}', 422),
        (b'{"messages": [{"role": "user", "content": "x"}]}', 422),
        (b'{"model": 3, "messages": [{"role": "user", "content": "x"}]}', 422),
    ],
)
async def test_bad_request_bodies_are_rejected(stack: Stack, body: bytes, status: int) -> None:
    response = await stack.api.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert set(response.json()["error"]) == {"message", "type", "code", "param"}


async def test_model_lists_show_the_served_models_owned_by_their_backend_kind(
    stack: Stack,
) -> None:
    for path in ("/v1/models", "/openai/v1/models"):
        listed = (await stack.api.get(path)).json()
        assert listed["object"] == "list"
        assert [m["id"] for m in listed["data"]] == ["m"]
        assert listed["data"][0]["owned_by"] == (
            "ollama" if isinstance(stack.fake, FakeOllama) else "openai"
        )


async def test_a_request_leaves_no_reference_cycles_of_ours_behind(stack: Stack) -> None:
    """Cycles wait for the collector, whose passes then cost every request (one each, once)."""
    body = {"model": "m", "messages": HELLO}
    await stack.api.post("/v1/chat/completions", json=body)  # warm: first-use caches
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            assert (await stack.api.post("/v1/chat/completions", json=body)).status_code == 200
        gc.collect()
        ours = [
            type(found).__qualname__
            for found in gc.garbage
            if type(found).__module__.startswith(("runtime.", "uvicorn."))
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(ours) < 20, ours  # fewer than one per request (none in steady state)
