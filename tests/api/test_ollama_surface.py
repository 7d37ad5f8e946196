"""The rest of the Ollama client API through the official client: model lists, embeddings,
request options, bad input and the refused model management calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import ollama
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.ollama_setup import KINDS, Stack, ollama_stack
from tests.fakes.gemini import FakeGemini
from tests.fakes.ollama_fake import FakeOllama

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(params=KINDS)
async def stack(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Stack]:
    async with ollama_stack(request.param, settings) as built:
        yield built


async def test_tags_list_the_models_the_groups_serve(stack: Stack) -> None:
    listed = await stack.client.list()
    names = sorted((m.model or "").split(":")[0] for m in listed.models)
    assert names == ["e", "m"]
    assert all(m.modified_at is not None for m in listed.models)
    if isinstance(stack.fake, FakeOllama):
        entry = next(m for m in listed.models if m.model == "m:latest")
        assert entry.details is not None
        assert (entry.details.family, entry.details.quantization_level) == ("llama", "Q4_0")
        assert (entry.digest or "").startswith("sha256:")
        assert entry.size == 1000


async def test_show_gives_capabilities_and_context_length(stack: Stack) -> None:
    chat = await stack.client.show("m")
    assert chat.capabilities == ["completion", "tools"]
    info = chat.modelinfo or {}
    architecture = info["general.architecture"]
    assert architecture == ("llama" if isinstance(stack.fake, FakeOllama) else stack.kind)
    # the declared context (8192), narrowed by what the backend reports
    expected = {"ollama": 8192, "vllm": 4096, "gemini": 8192}[stack.kind]
    assert info[f"{architecture}.context_length"] == expected
    embedder = await stack.client.show("e")
    assert embedder.capabilities == ["embedding"]


async def test_show_of_a_model_nobody_serves_is_an_ollama_404(stack: Stack) -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        await stack.client.show("nope")
    assert raised.value.status_code == 404
    assert raised.value.error == "model 'nope' not found"


async def test_ps_and_version_answer(stack: Stack) -> None:
    running = await stack.client.ps()
    assert sorted((m.name or "").split(":")[0] for m in running.models) == ["e", "m"]
    assert all((m.context_length or 0) > 0 for m in running.models)
    version = (await stack.api.get("/api/version")).json()
    assert version == {"version": "0.9.0"}


async def test_embed_takes_a_list_or_one_text(stack: Stack) -> None:
    many = await stack.client.embed(model="e", input=["a", "bb"])
    assert len(many.embeddings) == 2
    assert many.embeddings[0] != many.embeddings[1]
    one = await stack.client.embed(model="e", input="abc")
    assert len(one.embeddings) == 1
    assert one.model == "e"
    none = await stack.client.embed(model="e", input=[])
    assert list(none.embeddings) == []


async def test_legacy_embeddings_answer_one_vector(stack: Stack) -> None:
    answer = await stack.client.embeddings(model="e", prompt="abc")
    assert len(answer.embedding) > 1
    again = await stack.client.embed(model="e", input="abc")
    assert list(answer.embedding) == list(again.embeddings[0])


async def test_sync_client_embeds_in_a_thread(stack: Stack) -> None:
    def call() -> int:
        with stack.sync_client() as client:
            return len(client.embed(model="e", input=["x", "y", "z"]).embeddings)

    assert await asyncio.to_thread(call) == 3


async def test_embedding_with_a_chat_only_model_is_refused(stack: Stack) -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        await stack.client.embed(model="m", input="abc")
    assert raised.value.status_code == 503
    assert "embed" in raised.value.error


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.pull("m"),
        lambda c: c.push("m"),
        lambda c: c.create("n", from_="m"),
        lambda c: c.copy("m", "n"),
        lambda c: c.delete("m"),
    ],
    ids=["pull", "push", "create", "copy", "delete"],
)
async def test_model_management_is_refused_naming_our_routes(stack: Stack, call: object) -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        await call(stack.client)  # type: ignore[operator]
    assert raised.value.status_code == 405
    assert "manages models through groups" in raised.value.error
    assert "POST /models" in raised.value.error
    assert "/model-affinity/" in raised.value.error


@pytest.mark.parametrize("kind", ["ollama", "vllm", "gemini"])
async def test_options_format_and_think_reach_the_backend(kind: str, settings: Settings) -> None:
    options = {"temperature": 0.2, "top_p": 0.9, "num_predict": 17, "stop": ["END"], "seed": 3}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    async with ollama_stack(kind, settings) as stack:
        await stack.client.chat("m", HELLO, options=options, format="json", think=True)
        json_mode = stack.sent()
        await stack.client.generate(
            "m", "hi", format=schema, think="low", options={"num_predict": -1}
        )
        schema_mode = stack.sent()
    if isinstance(stack.fake, FakeOllama):
        assert json_mode["options"] == options
        assert (json_mode["format"], json_mode["think"]) == ("json", "medium")
        assert (schema_mode["format"], schema_mode["think"]) == (schema, "low")
        assert "options" not in schema_mode
    elif isinstance(stack.fake, FakeGemini):  # the Gemini driver sends what Gemini has
        config = json_mode["generationConfig"]
        assert config == {
            "temperature": 0.2,
            "topP": 0.9,
            "maxOutputTokens": 17,
            "stopSequences": ["END"],
            "seed": 3,
            "responseMimeType": "application/json",
        }
    else:
        sampled = {k: json_mode[k] for k in ("temperature", "top_p", "max_tokens", "stop", "seed")}
        assert sampled == {
            "temperature": 0.2,
            "top_p": 0.9,
            "max_tokens": 17,
            "stop": ["END"],
            "seed": 3,
        }
        assert json_mode["response_format"] == {"type": "json_object"}
        assert json_mode["reasoning_effort"] == "medium"
        assert schema_mode["response_format"]["json_schema"]["schema"] == schema
        assert schema_mode["reasoning_effort"] == "low"
        assert "max_tokens" not in schema_mode


ASK = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
IMAGE = [{"role": "user", "content": "x", "images": ["aGk="]}]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"model": "m"', 400, "invalid json"),
        (b'{"model": 3, "messages": []}', 422, "Expected `str`"),
        (ASK | {"messages": IMAGE}, 400, "images"),
        (ASK | {"format": "xml"}, 400, "format"),
        (ASK | {"think": "max"}, 400, "think"),
        (ASK | {"options": {"temperature": "hot"}}, 422, "options"),
        (ASK | {"tools": [{"type": "function"}]}, 400, "tools"),
    ],
    ids=["malformed", "wrong-type", "images", "format", "think", "options", "tools"],
)
async def test_bad_chat_bodies_get_ollama_shaped_errors(
    client: AsyncTestClient[Litestar], body: bytes | dict[str, Any], status: int, says: str
) -> None:
    # refused before any backend is chosen: no backend needed
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(
        "/api/chat", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    error = response.json()
    assert set(error) == {"error"}
    assert says in error["error"]


async def test_keys_match_case_insensitively_and_unknown_ones_are_ignored(stack: Stack) -> None:
    body = {"Model": "m", "MESSAGES": HELLO, "stream": False, "keep_alive": "5m", "extra": 1}
    response = await stack.api.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["message"]["content"] == "echo: hello"


async def test_with_a_token_the_ollama_routes_need_the_key_and_say_so_ollama_style(
    settings: Settings,
) -> None:
    app = create_app(msgspec.structs.replace(settings, api_token="s3cret"))
    async with AsyncTestClient(app) as guarded:
        refused = await guarded.get("/api/tags")
        assert refused.status_code == 401
        assert refused.json() == {"error": "unauthorized: missing or invalid API key"}
        unknown = await guarded.get("/api/nothing")
        assert (unknown.status_code, set(unknown.json())) == (401, {"error"})
        allowed = await guarded.get("/api/tags", headers={"X-API-Key": "s3cret"})
        assert allowed.json() == {"models": []}


async def test_a_body_sent_the_way_curl_d_sends_it_is_read_as_json(stack: Stack) -> None:
    # Ollama's own docs use `curl -d '{...}'`, which labels the body as a form
    body = json.dumps({"model": "m", "messages": HELLO, "stream": False})
    response = await stack.api.post(
        "/api/chat", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["done"] is True
