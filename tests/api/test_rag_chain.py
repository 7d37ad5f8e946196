"""The shipped `rag` chain: retrieve from the knowledge base, answer citing [n], list sources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from runtime.chainstore import SHIPPED
from runtime.config import Settings
from tests.api.knowledge_setup import knowledge_server, put_file, settled
from tests.fakes.ollama_fake import FakeOllama

QUESTION = [{"role": "user", "content": "What does the harbour office charge for anchors?"}]
FEES = b"The harbour office charges twelve coins for anchors and moorings each night."


@pytest.fixture
async def rag(
    settings: Settings, repo_root: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeOllama]]:
    fake = FakeOllama(word_vectors=True)
    seeded = msgspec.structs.replace(settings, chains_dir=str(SHIPPED))
    async with knowledge_server(seeded, fake=fake, chat=True) as client:
        await put_file(client, "garden.txt", b"Tomatoes like sun and compost.")
        fees = await put_file(client, "fees.txt", FEES)
        await settled(client, fees)
        yield client, fake


def _system(fake: FakeOllama) -> str:
    body: Any = next(b for _, path, b in reversed(fake.requests) if path == "/api/chat")
    return str(next(m["content"] for m in body["messages"] if m["role"] == "system"))


async def test_the_rag_chain_answers_from_the_sources_and_lists_them(
    rag: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, fake = rag
    fake.chat.reply("Twelve coins a night [1].")
    response = await client.post(
        "/openai/rag/v1/chat/completions", json={"model": "m", "messages": QUESTION}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["choices"][0]["message"]["content"] == "Twelve coins a night [1]."
    assert body["sources"][0]["index"] == 1
    assert body["sources"][0]["path"] == "/fees.txt"
    system = _system(fake)
    assert "[1] /fees.txt\nThe harbour office charges twelve coins" in system
    assert "Cite each source" in system


async def test_a_streamed_rag_answer_lists_the_sources_on_its_last_chunk(
    rag: tuple[httpx.AsyncClient, FakeOllama],
) -> None:
    client, fake = rag
    fake.chat.stream(["Twelve ", "coins [1]."])
    body = {"model": "m", "messages": QUESTION, "stream": True}
    async with client.stream("POST", "/openai/rag/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        events = [line[6:] async for line in response.aiter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [msgspec.json.decode(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "Twelve coins [1]."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["sources"][0]["path"] == "/fees.txt"
