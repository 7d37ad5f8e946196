"""Chains that talk to models: /openai/{chainID}/v1 with the official openai client, hooks as
tools, real token streaming, and chains run from functions. A fake Ollama answers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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
from tests.fakes.tool_server import FakeToolServer
from tests.waiting import eventually

TO_END = {"branches": [{"operator": "default", "goto": "end"}]}
CHAT = {
    "id": "chat",
    "tasks": [
        {
            "id": "answer",
            "handler": "model_execution",
            "system_instruction": "You are helpful.",
            "execute_config": {"model": "m", "pass_clients_tools": True},
            "transition": TO_END,
        }
    ],
}
AGENT = {
    "id": "agent",
    "tasks": [
        {
            "id": "think",
            "handler": "model_execution",
            "execute_config": {"model": "m", "hooks": ["tools"]},
            "transition": {
                "branches": [
                    {"operator": "equals", "when": "tool-call", "goto": "act"},
                    {"operator": "default", "goto": "reply"},
                ]
            },
        },
        {
            "id": "act",
            "handler": "execute_tool_calls",
            "transition": {"branches": [{"operator": "default", "goto": "think"}]},
        },
        {"id": "reply", "handler": "convert_to_openai_chat_response", "transition": TO_END},
    ],
}
HELLO = [{"role": "user", "content": "hello there"}]


class Stack:
    """Our server, a fake Ollama serving `m`, a tool server registered as hook `tools`."""

    def __init__(self, ours: Served, api: httpx.AsyncClient, ollama: FakeOllama) -> None:
        self.ours, self.api, self.ollama = ours, api, ollama

    def client(self, chain: str) -> openai.AsyncOpenAI:
        base = f"{self.ours.url}/openai/{chain}/v1"
        return openai.AsyncOpenAI(base_url=base, api_key="none", max_retries=0)


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    ollama = FakeOllama()
    ollama.add_model("m:latest", caps=["completion", "tools"])
    tools = FakeToolServer()
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2, function_backoff=0.05)
    async with (
        serve(ollama) as served,
        serve(tools) as tool_server,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        group_id = await group(api, "g")
        await declare_model(api, group_id, "m", canPrompt=True)
        backend_id = await backend(api, group_id, served.url, "ollama", "ollama")
        await routable(api, backend_id, "m")
        hook = {"name": "tools", "endpointUrl": tool_server.url, "timeoutMs": 5000}
        assert (await api.post("/hooks/remote", json=hook)).status_code == 201
        for chain in (CHAT, AGENT):
            assert (await api.post("/taskchains", json=chain)).status_code == 201
        yield Stack(ours, api, ollama)


async def test_chain_answers_through_the_openai_client(stack: Stack) -> None:
    async with stack.client("chat") as client:
        answer = await client.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.content == "echo: hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.model == "m"
    chat = [r for r in stack.ollama.requests if r[1] == "/api/chat"]
    sent = chat[-1][2]["messages"]
    assert (sent[0]["role"], sent[0]["content"]) == ("system", "You are helpful.")
    assert (sent[-1]["role"], sent[-1]["content"]) == ("user", "hello there")


async def test_chain_answers_the_sync_client_too(stack: Stack) -> None:
    base = f"{stack.ours.url}/openai/chat/v1"

    def ask() -> str | None:  # in a thread: our server runs on this test's event loop
        with openai.OpenAI(base_url=base, api_key="none", max_retries=0) as client:
            answer = client.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
        return answer.choices[0].message.content

    assert await asyncio.to_thread(ask) == "echo: hello there"


async def test_stack_trace_is_returned_when_asked(stack: Stack) -> None:
    response = await stack.api.post(
        "/openai/chat/v1/chat/completions",
        params={"stackTrace": "true"},
        json={"model": "m", "messages": HELLO},
    )
    assert response.status_code == 200
    [step] = response.json()["stackTrace"]
    assert (step["taskID"], step["taskHandler"]) == ("answer", "model_execution")
    plain = await stack.api.post(
        "/openai/chat/v1/chat/completions", json={"model": "m", "messages": HELLO}
    )
    assert "stackTrace" not in plain.json()


async def test_unknown_chain_and_bad_request(stack: Stack) -> None:
    missing = await stack.api.post(
        "/openai/nope/v1/chat/completions", json={"model": "m", "messages": HELLO}
    )
    assert missing.status_code == 404
    bad = await stack.api.post("/openai/chat/v1/chat/completions", json={"messages": "hi"})
    assert bad.status_code == 422
    models = await stack.api.get("/openai/chat/v1/models")
    assert [m["id"] for m in models.json()["data"]] == ["m"]


async def test_hook_tool_round_trip_through_the_openai_endpoint(stack: Stack) -> None:
    stack.ollama.chat.tool_call("tools__get_user", {"user_id": "42"})
    async with stack.client("agent") as client:
        answer = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "who is 42?"}],  # type: ignore[list-item]
        )
    content = answer.choices[0].message.content or ""
    assert content.startswith("tool said: ")
    assert json.loads(content.removeprefix("tool said: ")) == {"id": "42", "query": {}}
    chats = [r[2] for r in stack.ollama.requests if r[1] == "/api/chat"]
    offered = [t["function"]["name"] for t in chats[0]["tools"]]
    # `tools.get_user` inside the chain; OpenAI-style backends allow no dots in tool names
    assert "tools__get_user" in offered
    assert all(name.startswith("tools__") for name in offered)
    replayed = chats[1]["messages"][-2]["tool_calls"][0]["function"]["name"]
    assert replayed == "tools__get_user"
    assert chats[1]["messages"][-1]["role"] == "tool"


async def test_hook_tool_round_trip_through_tasks(stack: Stack) -> None:
    stack.ollama.chat.tool_call("tools__get_user", {"user_id": "7"})
    request = {"model": "m", "messages": [{"role": "user", "content": "who is 7?"}]}
    response = await stack.api.post(
        "/tasks", json={"input": request, "inputType": "openai_chat", "chain": AGENT}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outputType"] == "openai_chat_response"
    assert body["output"]["choices"][0]["message"]["content"].startswith("tool said: ")
    assert [s["taskID"] for s in body["state"]] == ["think", "act", "think", "reply"]


async def test_stream_sends_tokens_as_the_backend_produces_them(stack: Stack) -> None:
    words = ["Once ", "upon ", "a ", "time ", "there ", "was ", "a ", "chain."]
    stack.ollama.chat.stream(words, delay=0.15)
    started = time.monotonic()
    arrivals: list[float] = []
    pieces: list[str] = []
    async with stack.client("chat") as client:
        stream = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.monotonic() - started)
                pieces.append(chunk.choices[0].delta.content)
            last = chunk
    backend_time = 0.15 * len(words)
    assert arrivals[0] < backend_time / 2  # the first token came long before the backend finished
    assert "".join(pieces) == "".join(words)
    assert last.choices[0].finish_reason == "stop"
    async with stack.client("chat") as client:
        whole = await client.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert whole.choices[0].message.content == "".join(pieces)


async def test_a_stream_asked_for_its_usage_ends_with_what_the_backend_counted(
    stack: Stack,
) -> None:
    words = ["one ", "two ", "three"]
    stack.ollama.chat.stream(words)
    async with stack.client("chat") as client:
        asked = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in asked]
        stack.ollama.chat.stream(words)
        plain = [
            chunk
            async for chunk in await client.chat.completions.create(
                model="m",
                messages=HELLO,  # type: ignore[arg-type]
                stream=True,
            )
        ]
    *content, counted = chunks
    assert "".join(c.choices[0].delta.content or "" for c in content) == "".join(words)
    assert content[-1].choices[0].finish_reason == "stop"
    assert counted.choices == []  # the usage chunk, as OpenAI sends it: after the last choice
    assert counted.usage is not None
    assert counted.usage.prompt_tokens == stack.ollama.chat.prompt_tokens
    assert counted.usage.completion_tokens == len(words)
    assert all(c.usage is None for c in content)
    assert plain[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in plain)


async def test_a_stream_that_breaks_ends_with_an_error_event(stack: Stack) -> None:
    stack.ollama.chat.stream(["one ", "two ", "three ", "four"], delay=0.05)
    stack.ollama.chat.die_after = 2
    async with stack.api.stream(
        "POST",
        "/openai/chat/v1/chat/completions",
        json={"model": "m", "messages": HELLO, "stream": True},
    ) as response:
        lines = [line async for line in response.aiter_lines() if line.startswith("data: ")]
    assert lines[0].startswith('data: {"id"')
    assert '"error"' in lines[-1]
    assert "data: [DONE]" not in lines


async def test_a_function_runs_a_stored_chain(stack: Stack) -> None:
    echo = {"id": "echo", "tasks": [{"id": "pass", "handler": "noop", "transition": TO_END}]}
    assert (await stack.api.post("/taskchains", json=echo)).status_code == 201
    script = "async function run(e) { return await executeTaskChain('echo', {seen: e.data.n}); }"
    fn = {"name": "run", "scriptType": "goja", "script": script}
    assert (await stack.api.post("/functions", json=fn)).status_code == 201
    trigger = {"name": "t", "listenFor": {"type": "go"}, "type": "function", "function": "run"}
    assert (await stack.api.post("/event-triggers", json=trigger)).status_code == 201
    event = {
        "event_type": "go",
        "event_source": "test",
        "aggregate_id": "a",
        "aggregate_type": "x",
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "data": {"n": 5},
    }
    assert (await stack.api.post("/events", json=event)).status_code == 201

    async def ran() -> list[Any]:
        runs: list[Any] = (await stack.api.get("/functions/run/runs")).json()
        return runs

    [run] = await eventually(ran)
    assert run["status"] == "succeeded", run
    assert run["result"]["success"] is True
    assert run["result"]["result"] == {"seen": 5}
    assert [s["taskID"] for s in run["result"]["history"]] == ["pass"]


async def test_hook_task_calls_one_operation(stack: Stack) -> None:
    chain = {
        "id": "lookup",
        "tasks": [
            {
                "id": "call",
                "handler": "hook",
                "hook": {"name": "tools", "tool_name": "get_user", "args": {"user_id": "9"}},
                "transition": TO_END,
            }
        ],
    }
    response = await stack.api.post(
        "/tasks", json={"input": "who?", "inputType": "string", "chain": chain}
    )
    assert response.status_code == 200, response.text
    assert response.json()["output"] == {"id": "9", "query": {}}
    assert response.json()["outputType"] == "json"


async def test_a_chain_offering_a_missing_hook_fails_naming_it(stack: Stack) -> None:
    chain = {
        "id": "lost",
        "tasks": [
            {
                "id": "think",
                "handler": "model_execution",
                "execute_config": {"model": "m", "hooks": ["nowhere"]},
                "transition": TO_END,
            }
        ],
    }
    request = {"model": "m", "messages": HELLO}
    response = await stack.api.post(
        "/tasks", json={"input": request, "inputType": "openai_chat", "chain": chain}
    )
    assert response.status_code == 500, response.text  # a runtime failure of the chain
    assert "unknown hook: nowhere" in response.json()["error"]["message"]


async def test_embedding_task_returns_the_vector(stack: Stack) -> None:
    stack.ollama.add_model("e:latest", caps=["embedding"])
    groups = (await stack.api.get("/groups")).json()
    group_id = next(g["id"] for g in groups if g["name"] == "g")
    await declare_model(stack.api, group_id, "e", canEmbed=True, canChat=False, canStream=False)
    backend_id = (await stack.api.get("/backends")).json()[0]["id"]

    async def embeddable() -> bool:
        detail = (await stack.api.get(f"/backends/{backend_id}")).json()
        return any(p["name"].startswith("e:") for p in detail["pulledModels"])

    await eventually(embeddable)
    chain = {
        "id": "vec",
        "tasks": [
            {
                "id": "embed",
                "handler": "embedding",
                "execute_config": {"model": "e"},
                "transition": TO_END,
            }
        ],
    }
    response = await stack.api.post(
        "/tasks", json={"input": "some text", "inputType": "string", "chain": chain}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outputType"] == "vector"
    assert len(body["output"]) > 0
    assert all(isinstance(x, float) for x in body["output"])


async def test_client_tools_reach_the_model_and_its_calls_come_back(stack: Stack) -> None:
    stack.ollama.chat.tool_call("lookup_order", {"order": "o-1"})
    client_tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup_order",
                "description": "Find an order",
                "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
            },
        }
    ]
    async with stack.client("chat") as client:
        answer = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            tools=client_tools,  # type: ignore[arg-type]
        )
        streamed = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            tools=client_tools,  # type: ignore[arg-type]
            stream=True,
        )
        chunks = [chunk async for chunk in streamed]
    assert answer.choices[0].finish_reason == "tool_calls"
    [call] = answer.choices[0].message.tool_calls or []
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "lookup_order",
        {"order": "o-1"},
    )
    offered = next(r[2]["tools"] for r in stack.ollama.requests if r[1] == "/api/chat")
    assert [t["function"]["name"] for t in offered] == ["lookup_order"]
    streamed_calls = [c for chunk in chunks for c in (chunk.choices[0].delta.tool_calls or [])]
    assert [c.function.name for c in streamed_calls if c.function] == ["lookup_order"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_prompt_tasks_send_their_temperature_or_the_default(stack: Stack) -> None:
    def prompt_task(task_id: str, config: dict[str, Any], goto: str) -> dict[str, Any]:
        return {
            "id": task_id,
            "handler": "raw_string",
            "prompt_template": "say {{.input}}",
            "execute_config": {"model": "m"} | config,
            "transition": {"branches": [{"operator": "default", "goto": goto}]},
        }

    chain = {
        "id": "warm",
        "tasks": [
            prompt_task("warm", {"temperature": 0.7}, "cool"),
            prompt_task("cool", {}, "end"),
        ],
    }
    response = await stack.api.post(
        "/tasks", json={"input": "hi", "inputType": "string", "chain": chain}
    )
    assert response.status_code == 200, response.text
    sent = [body for _, path, body in stack.ollama.requests if path == "/api/generate"]
    assert [body["options"]["temperature"] for body in sent] == [0.7, 0.1]
    assert sent[0]["prompt"] == "say hi"


async def test_the_requests_temperature_and_max_tokens_reach_the_backend(stack: Stack) -> None:
    async with stack.client("chat") as client:
        await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            temperature=0.3,
            max_tokens=11,
        )
    [sent] = [body for _, path, body in stack.ollama.requests if path == "/api/chat"]
    assert sent["options"]["temperature"] == 0.3
    assert sent["options"]["num_predict"] == 11
