"""Tokens per minute through HTTP: a key's (or user's) `tpm` checked before a model call and
charged what the backend reported after it, with `X-RateLimit-*-Tokens` and a 429 past it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, one_backend, routable
from tests.api.keys_setup import ADMIN, TOKEN, make_key
from tests.api.test_rate_limits import clear_of_a_minute_boundary, two_processes
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.openai_fake import FakeOpenAI
from tests.test_cli import Server

HELLO = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
CALL = 8  # tokens of one call: the fakes report 7 prompt tokens and one per answer chunk


class Stack(msgspec.Struct):
    api: httpx.AsyncClient
    fake: FakeOllama | FakeOpenAI


async def stack_of(settings: Settings, kind: str) -> AsyncIterator[Stack]:
    fake: FakeOllama | FakeOpenAI = FakeOllama() if kind == "ollama" else FakeOpenAI()
    if isinstance(fake, FakeOllama):
        fake.add_model("m:latest")
    else:
        fake.models["m"] = 4096
    fake.chat.reply("hello")
    guarded = msgspec.structs.replace(settings, reconcile_interval=0.2, api_token=TOKEN)
    async with (
        serve(fake) as served,
        serve(create_app(guarded), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10, headers=ADMIN) as api,
    ):
        group_id = await group(api, "g")
        await declare_model(api, group_id, "m", canEmbed=True)
        await routable(api, await backend(api, group_id, served.url, kind, kind), "m")
        yield Stack(api=api, fake=fake)


@pytest.fixture(params=["ollama", "openai"])
async def stack(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Stack]:
    async for found in stack_of(settings, request.param):
        yield found


@pytest.fixture
async def openai_stack(settings: Settings) -> AsyncIterator[Stack]:
    async for found in stack_of(settings, "openai"):
        yield found


async def key(api: httpx.AsyncClient, **limits: int) -> dict[str, str]:
    return {"X-API-Key": await make_key(api, "use", limits=limits)}


def assert_tokens(response: httpx.Response, limit: int, remaining: int) -> None:
    assert response.headers["x-ratelimit-limit-tokens"] == str(limit), response.headers
    assert response.headers["x-ratelimit-remaining-tokens"] == str(remaining)
    assert 1 <= int(response.headers["x-ratelimit-reset-tokens"]) <= 60


def assert_refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert_tokens(response, limit, 0)
    assert response.headers["retry-after"] == response.headers["x-ratelimit-reset-tokens"]
    if response.request.url.path.startswith("/api/"):  # Ollama's error shape
        assert "tokens per minute" in response.json()["error"]
        return
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert "tokens per minute" in error["message"]


def calls(fake: FakeOllama | FakeOpenAI) -> int:
    return sum(
        1
        for _, path, _ in fake.requests
        if path.endswith("/chat/completions") or path == "/api/chat"
    )


async def test_call_after_the_window_holds_the_limit_is_refused(stack: Stack) -> None:
    limited = await key(stack.api, tpm=20)
    await clear_of_a_minute_boundary()
    for remaining in (20, 20 - CALL, 20 - 2 * CALL):
        answer = await stack.api.post("/v1/chat/completions", json=HELLO, headers=limited)
        assert answer.status_code == 200, answer.text
        assert_tokens(answer, 20, remaining)
    before = calls(stack.fake)
    assert_refused(await stack.api.post("/v1/chat/completions", json=HELLO, headers=limited), 20)
    ollama = HELLO | {"stream": False}
    assert_refused(await stack.api.post("/api/chat", json=ollama, headers=limited), 20)
    assert calls(stack.fake) == before  # a refused call reaches no backend
    admin = await stack.api.post("/v1/chat/completions", json=HELLO)
    assert admin.status_code == 200
    assert "x-ratelimit-limit-tokens" not in admin.headers


async def test_ollama_routes_and_tasks_are_charged_too(stack: Stack) -> None:
    limited = await key(stack.api, tpm=100)
    await clear_of_a_minute_boundary()
    ollama = HELLO | {"stream": False}
    assert (await stack.api.post("/api/chat", json=ollama, headers=limited)).status_code == 200
    chain = {
        "id": "inline",
        "tasks": [
            {
                "id": "answer",
                "handler": "model_execution",
                "execute_config": {"model": "m"},
                "transition": {"branches": [{"operator": "default", "goto": "end"}]},
            }
        ],
    }
    task = {"input": {"messages": HELLO["messages"]}, "inputType": "chat_history", "chain": chain}
    ran = await stack.api.post("/tasks", json=task, headers=limited)
    assert ran.status_code == 200, ran.text
    assert_tokens(ran, 100, 100 - CALL)
    after = await stack.api.post("/v1/chat/completions", json=HELLO, headers=limited)
    assert_tokens(after, 100, 100 - 2 * CALL)


async def test_a_stream_is_charged_its_reported_usage_whether_the_client_asked_or_not(
    openai_stack: Stack,
) -> None:
    api, limited = openai_stack.api, await key(openai_stack.api, tpm=100)
    await clear_of_a_minute_boundary()
    streamed = HELLO | {"stream": True, "stream_options": {"include_usage": True}}
    answer = await api.post("/v1/chat/completions", json=streamed, headers=limited)
    assert answer.status_code == 200
    assert '"usage":{' in answer.text.replace(" ", "")
    unasked = await api.post("/v1/chat/completions", json=HELLO | {"stream": True}, headers=limited)
    assert_tokens(unasked, 100, 100 - CALL)
    assert '"usage":{' not in unasked.text.replace(" ", "")  # asked upstream, not shown
    assert unasked.text.endswith("data: [DONE]\n\n")
    after = await api.post("/v1/chat/completions", json=HELLO, headers=limited)
    assert_tokens(after, 100, 100 - 2 * CALL)  # what the backend counted, not an estimate


@pytest.fixture
async def ollama_stack(settings: Settings) -> AsyncIterator[Stack]:
    async for found in stack_of(settings, "ollama"):
        yield found


async def test_a_stream_is_charged_what_a_translating_backend_counted_unasked(
    ollama_stack: Stack,
) -> None:
    api, limited = ollama_stack.api, await key(ollama_stack.api, tpm=100)
    await clear_of_a_minute_boundary()
    unasked = await api.post("/v1/chat/completions", json=HELLO | {"stream": True}, headers=limited)
    assert unasked.status_code == 200
    assert '"usage":{' not in unasked.text  # the client did not ask for the usage chunk
    assert unasked.text.rstrip().endswith("data: [DONE]")
    after = await api.post("/v1/chat/completions", json=HELLO, headers=limited)
    assert_tokens(after, 100, 100 - CALL)  # yet the stream was charged all it used


async def test_embeddings_are_charged_what_the_backend_counted(openai_stack: Stack) -> None:
    api, limited = openai_stack.api, await key(openai_stack.api, tpm=100)
    await clear_of_a_minute_boundary()
    body = {"model": "m", "input": ["one two three", "four five"]}
    assert (await api.post("/v1/embeddings", json=body, headers=limited)).status_code == 200
    after = await api.post("/v1/embeddings", json=body, headers=limited)
    assert_tokens(after, 100, 100 - 5)  # the fake counts words


async def test_both_limits_send_headers_and_a_token_refusal_takes_no_request(stack: Stack) -> None:
    limited = await key(stack.api, rpm=50, tpm=CALL)
    await clear_of_a_minute_boundary()
    first = await stack.api.post("/v1/chat/completions", json=HELLO, headers=limited)
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit"] == "50"
    assert first.headers["x-ratelimit-remaining"] == "49"
    assert_tokens(first, CALL, CALL)
    refused = await stack.api.post("/v1/chat/completions", json=HELLO, headers=limited)
    assert_refused(refused, CALL)
    assert refused.headers["x-ratelimit-remaining"] == "49"  # refused for tokens: not counted
    listed = await stack.api.get("/v1/models", headers=limited)  # not a model call: no tokens
    assert listed.status_code == 200
    assert listed.headers["x-ratelimit-remaining"] == "48"
    assert "x-ratelimit-limit-tokens" not in listed.headers


async def test_signed_in_users_are_limited_by_the_user_tokens_setting(settings: Settings) -> None:
    fake = FakeOllama()
    fake.add_model("m:latest")
    fake.chat.reply("hello")
    limited = msgspec.structs.replace(
        settings, reconcile_interval=0.2, api_token=TOKEN, user_tpm=CALL
    )
    async with (
        serve(fake) as served,
        serve(create_app(limited), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10, headers=ADMIN) as api,
    ):
        await one_backend(api, served.url)
        alice: dict[str, Any] = {"email": "alice@example.com", "password": "correct horse"}
        assert (await api.post("/users", json=alice)).status_code == 201
        token = (await api.post("/login", json=alice)).json()["token"]
        user = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=ours.url, timeout=10, headers=user) as signed_in:
            await clear_of_a_minute_boundary()
            first = await signed_in.post("/v1/chat/completions", json=HELLO)
            assert first.status_code == 200, first.text
            assert_tokens(first, CALL, CALL)
            assert_refused(await signed_in.post("/v1/chat/completions", json=HELLO), CALL)


@pytest.fixture
def replicas(db_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    with two_processes(db_url, tmp_path, RUNTIME_RECONCILE_INTERVAL="0.2") as started:
        yield started


async def test_tokens_limit_holds_across_two_server_processes(replicas: list[Server]) -> None:
    fake = FakeOllama()
    fake.add_model("m:latest")
    fake.chat.reply("hello")
    async with (
        serve(fake) as served,
        httpx.AsyncClient(base_url=replicas[0].url, timeout=10, headers=ADMIN) as a,
        httpx.AsyncClient(base_url=replicas[1].url, timeout=10, headers=ADMIN) as b,
    ):
        backend_id = await one_backend(a, served.url)
        await routable(b, backend_id, "m")
        limited = await key(a, tpm=2 * CALL + 1)
        await clear_of_a_minute_boundary()
        for client, remaining in ((a, 2 * CALL + 1), (b, CALL + 1), (a, 1)):
            answer = await client.post("/v1/chat/completions", json=HELLO, headers=limited)
            assert answer.status_code == 200, answer.text
            assert_tokens(answer, 2 * CALL + 1, remaining)
        assert_refused(await b.post("/v1/chat/completions", json=HELLO, headers=limited), 17)
        assert_refused(await a.post("/v1/chat/completions", json=HELLO, headers=limited), 17)
