"""An OpenAI-compatible backend that refuses `stream_options` still streams to every client.

We ask each stream for its usage (for metrics and token counts); a strict server answers 400 to
the field it does not know. Its streams then go without the field, from that request on,
unless the client itself asked for the usage: then the refusal is the client's answer (a 400),
and the backend is not cooled down for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runtime.config import Settings
from tests.api.ollama_setup import Stack, ollama_stack
from tests.fakes.openai_fake import FakeOpenAI

HELLO = [{"role": "user", "content": "hello there"}]


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with ollama_stack("vllm", settings) as built:
        assert isinstance(built.fake, FakeOpenAI)
        built.fake.refuse_stream_options = True
        yield built


def _streams_sent(stack: Stack) -> list[bool]:
    """For each streamed chat request the backend got: whether it carried stream_options."""
    return [
        "stream_options" in body
        for _, path, body in stack.fake.requests
        if path.endswith("/chat/completions") and body.get("stream")
    ]


def _client(stack: Stack) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{stack.url}/v1", api_key="x", max_retries=0)


async def _streamed_text(stack: Stack) -> str:
    async with _client(stack) as client:
        stream = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])


async def test_streams_go_on_without_the_usage_option_once_it_was_refused(stack: Stack) -> None:
    assert await _streamed_text(stack) == "echo: hello there"
    assert _streams_sent(stack) == [True, False]  # refused once, then sent without it
    assert await _streamed_text(stack) == "echo: hello there"
    assert _streams_sent(stack) == [True, False, False]  # not asked again


async def test_an_ollama_client_streams_from_a_backend_refusing_the_option(stack: Stack) -> None:
    parts = [part async for part in await stack.client.chat("m", HELLO, stream=True)]
    assert "".join(part.message.content or "" for part in parts) == "echo: hello there"
    assert parts[-1].done
    assert _streams_sent(stack) == [True, False]


async def _cooldowns(stack: Stack) -> float:
    text = (await stack.api.get("/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "runtime_backend_cooldowns_total"
    )


async def test_a_client_asking_for_the_usage_gets_the_refusal(stack: Stack) -> None:
    cooled = await _cooldowns(stack)
    async with _client(stack) as client:
        with pytest.raises(openai.BadRequestError) as refused:
            await client.chat.completions.create(
                model="m",
                messages=HELLO,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            )
    assert "stream_options" in refused.value.message
    assert _streams_sent(stack) == [True]  # asked once, as the client wanted, not again without
    assert await _cooldowns(stack) == cooled  # the request's fault, not the backend's
    assert await _streamed_text(stack) == "echo: hello there"  # others still stream


@pytest.mark.parametrize(("kind", "cools"), [("vllm", False), ("gemini", True)])
async def test_a_backends_400_cools_it_down_only_where_it_may_be_the_backends(
    settings: Settings, kind: str, cools: bool
) -> None:
    # Gemini answers a key that is not valid, or a location it does not serve, with a 400
    async with ollama_stack(kind, settings) as stack:
        cooled = await _cooldowns(stack)
        stack.fake.chat.fail(400)
        async with _client(stack) as client:
            with pytest.raises(openai.APIStatusError) as failed:
                await client.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
        assert failed.value.status_code == (502 if cools else 400)
        assert await _cooldowns(stack) == cooled + (1 if cools else 0)


async def test_a_clients_own_options_without_usage_are_taken_out_for_the_retry(
    stack: Stack,
) -> None:
    async with _client(stack) as client:
        stream = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": False},
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "echo: hello there"
    assert _streams_sent(stack) == [True, False]
