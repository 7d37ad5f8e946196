"""Streams translated for a client go out once per read from the backend, not once per token.

An OpenAI backend (a fake vLLM) that writes a whole stream at once: an Ollama client gets its
text in one line, a chain's stream in one chunk; tokens that come apart still go out apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from runtime.config import Settings
from tests.api.ollama_setup import Stack, ollama_stack
from tests.fakes.openai_fake import FakeOpenAI

HELLO = [{"role": "user", "content": "hello there"}]
WORDS = ["one ", "two ", "three"]
CHAT = {
    "id": "chat",
    "tasks": [
        {
            "id": "answer",
            "handler": "model_execution",
            "execute_config": {"model": "m"},
            "transition": {"branches": [{"operator": "default", "goto": "end"}]},
        }
    ],
}


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with ollama_stack("vllm", settings) as built:
        assert (await built.api.post("/taskchains", json=CHAT)).status_code == 201
        yield built


def _script(stack: Stack, *, together: bool, delay: float = 0.0) -> None:
    assert isinstance(stack.fake, FakeOpenAI)
    stack.fake.chat.stream(WORDS, delay=delay)
    stack.fake.chat.together = together


async def _ollama_texts(stack: Stack) -> list[str]:
    parts = [part async for part in await stack.client.chat("m", HELLO, stream=True)]
    assert parts[-1].done
    return [part.message.content or "" for part in parts if not part.done]


async def _chain_texts(stack: Stack) -> list[str]:
    client = openai.AsyncOpenAI(base_url=f"{stack.url}/openai/chat/v1", api_key="x", max_retries=0)
    async with client:
        stream = await client.chat.completions.create(
            model="m",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason == "stop"
    return [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]


async def test_an_ollama_client_gets_text_that_came_in_one_read_as_one_line(stack: Stack) -> None:
    _script(stack, together=True)
    assert await _ollama_texts(stack) == ["one two three"]


async def test_a_chain_stream_sends_text_that_came_in_one_read_as_one_chunk(stack: Stack) -> None:
    _script(stack, together=True)
    assert await _chain_texts(stack) == ["one two three"]


async def test_tokens_that_come_apart_still_go_out_apart(stack: Stack) -> None:
    _script(stack, together=False, delay=0.05)
    assert await _ollama_texts(stack) == WORDS
    assert await _chain_texts(stack) == WORDS
