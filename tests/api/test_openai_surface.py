"""The rest of OpenAI's API through the official client: models, embeddings, text completions."""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import openai
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.openai_fake import FakeOpenAI


class Stack:
    """Our server with group `g`: chat model `m` and embedding model `e` on one fake backend."""

    def __init__(
        self, api: httpx.AsyncClient, client: openai.AsyncOpenAI, fake: Any, kind: str
    ) -> None:
        self.api, self.client, self.fake, self.kind = api, client, fake, kind


@pytest.fixture(params=["ollama", "openai"])
async def stack(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Stack]:
    kind = request.param
    fake: FakeOllama | FakeOpenAI
    if kind == "ollama":
        fake = FakeOllama()
        fake.add_model("m:latest")
        fake.add_model("e:latest", caps=["embedding"])
    else:
        fake = FakeOpenAI(models={"m": 4096, "e": 512})
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(fake) as served,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
        openai.AsyncOpenAI(base_url=ours.url + "/v1", api_key="none", max_retries=0) as client,
    ):
        group_id = await group(api, "g")
        await declare_model(api, group_id, "m")
        await declare_model(api, group_id, "e", canChat=False, canEmbed=True, canStream=False)
        backend_id = await backend(api, group_id, served.url, kind, kind)
        await routable(api, backend_id, "m")
        yield Stack(api, client, fake, kind)


async def test_model_list_shows_what_can_be_served_now_owned_by_the_backend_kind(
    stack: Stack,
) -> None:
    listed = await stack.client.models.list()
    assert sorted(m.id for m in listed.data) == ["e", "m"]
    assert {m.owned_by for m in listed.data} == {stack.kind}
    one = await stack.client.models.retrieve("m")
    assert (one.id, one.object, one.owned_by) == ("m", "model", stack.kind)


async def test_a_model_declared_but_not_served_is_neither_listed_nor_retrievable(
    stack: Stack,
) -> None:
    group_id = (await stack.api.get("/groups")).json()[0]["id"]
    await declare_model(stack.api, group_id, "ghost")
    assert "ghost" not in [m.id for m in (await stack.client.models.list()).data]
    with pytest.raises(openai.NotFoundError) as caught:
        await stack.client.models.retrieve("ghost")
    assert caught.value.code == "model_not_found"


async def test_embeddings_of_a_text_and_of_a_list_keep_their_order(stack: Stack) -> None:
    single = await stack.client.embeddings.create(model="e", input="hello", encoding_format="float")
    assert len(single.data) == 1
    assert single.data[0].index == 0
    assert single.usage.prompt_tokens > 0
    several = await stack.client.embeddings.create(
        model="e", input=["a", "bbb", "cc"], encoding_format="float"
    )
    assert [item.index for item in several.data] == [0, 1, 2]
    first = (
        (await stack.client.embeddings.create(model="e", input="bbb", encoding_format="float"))
        .data[0]
        .embedding
    )
    assert several.data[1].embedding == first


async def test_base64_embeddings_decode_to_the_float_vector(stack: Stack) -> None:
    floats = await stack.api.post(
        "/v1/embeddings", json={"model": "e", "input": "abc", "encoding_format": "float"}
    )
    packed = await stack.api.post(
        "/v1/embeddings", json={"model": "e", "input": "abc", "encoding_format": "base64"}
    )
    vector = floats.json()["data"][0]["embedding"]
    raw = base64.b64decode(packed.json()["data"][0]["embedding"])
    decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
    assert decoded == pytest.approx(vector, rel=1e-6)
    # the official client asks for base64 by default and decodes it itself
    default = await stack.client.embeddings.create(model="e", input="abc")
    assert default.data[0].embedding == pytest.approx(vector, rel=1e-6)


async def test_dimensions_are_honoured_or_refused_clearly(stack: Stack) -> None:
    response = await stack.api.post(
        "/v1/embeddings", json={"model": "e", "input": "abc", "dimensions": 2}
    )
    if stack.kind == "openai":
        assert response.status_code == 200
        assert len(response.json()["data"][0]["embedding"]) == 2
    else:  # the fake Ollama ignores `dimensions`, as older Ollama servers do
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "dimensions"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "e", "input": []}, "input"),
        ({"model": "e", "input": [1, 2, 3]}, "input"),
        ({"model": "e", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"model": "e", "input": "x", "dimensions": 0}, "dimensions"),
    ],
)
async def test_bad_embedding_requests_name_the_field(
    stack: Stack, body: dict[str, Any], param: str
) -> None:
    response = await stack.api.post("/v1/embeddings", json=body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["param"] == param


async def test_embedding_a_chat_only_model_says_why(stack: Stack) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        await stack.client.embeddings.create(model="m", input="x")
    assert caught.value.status_code in (404, 503)


async def test_text_completion_answers_each_prompt(stack: Stack) -> None:
    stack.fake.chat.reply("four")
    answer = await stack.client.completions.create(model="m", prompt="2+2=", max_tokens=5)
    assert answer.object == "text_completion"
    assert answer.id.startswith("cmpl-")
    assert [c.text for c in answer.choices] == ["four"]
    assert answer.usage is not None
    assert answer.usage.completion_tokens > 0
    both = await stack.client.completions.create(model="m", prompt=["a", "b"])
    assert [c.index for c in both.choices] == [0, 1]


async def test_text_completion_streams_text_chunks(stack: Stack) -> None:
    stack.fake.chat.stream(["one ", "two ", "three"])
    stream = await stack.client.completions.create(
        model="m", prompt="count", stream=True, stream_options={"include_usage": True}
    )
    texts, finishes, usage = [], [], None
    async for chunk in stream:
        texts += [c.text for c in chunk.choices]
        finishes += [c.finish_reason for c in chunk.choices if c.finish_reason]
        usage = chunk.usage or usage
    assert "".join(texts) == "one two three"
    assert finishes == ["stop"]
    assert usage is not None


async def test_text_completion_on_an_unknown_model_is_a_404(stack: Stack) -> None:
    with pytest.raises(openai.NotFoundError):
        await stack.client.completions.create(model="nope", prompt="x")
