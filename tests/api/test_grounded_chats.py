"""Chats grounded in a knowledge folder: `rag` by default, sources stored, never outside it."""

from __future__ import annotations

import json
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

QUESTION = "What does the harbour office charge for anchors?"
INSIDE = b"The harbour office charges twelve coins for anchors and moorings each night."
# the question's own words: matches better than anything in the folder
OUTSIDE = b"What does the harbour office charge for anchors? Nine coins, says the old price list."
SOURCE_FIELDS = {"index", "fileId", "path", "chunkId", "text", "score"}


class Grounded(msgspec.Struct):
    api: httpx.AsyncClient
    ollama: FakeOllama
    inside: str  # /docs/fees.txt
    outside: str  # /prices.txt


@pytest.fixture
async def kb(settings: Settings, repo_root: Path) -> AsyncIterator[Grounded]:
    fake = FakeOllama(word_vectors=True)
    seeded = msgspec.structs.replace(settings, chains_dir=str(SHIPPED))
    async with knowledge_server(seeded, fake=fake, chat=True) as api:
        docs = (await api.post("/folders", json={"name": "docs"})).json()["id"]
        inside = await put_file(api, "fees.txt", INSIDE, parentId=docs)
        outside = await put_file(api, "prices.txt", OUTSIDE)
        await settled(api, inside)
        await settled(api, outside)
        yield Grounded(api=api, ollama=fake, inside=inside, outside=outside)


async def grounded_chat(kb: Grounded, **body: Any) -> dict[str, Any]:
    created = await kb.api.post("/chats", json={"subject": "s", "model": "m"} | body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def told(fake: FakeOllama) -> str:
    """The sources block the model was last given (the system message the rag chain adds)."""
    body: Any = next(b for _, path, b in reversed(fake.requests) if path == "/api/chat")
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")


async def sse(response: httpx.Response) -> list[tuple[str, Any]]:
    name, seen = "", []
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            seen.append((name, json.loads(line[6:])))
    return seen


async def test_a_grounded_chat_cites_its_folder_and_keeps_the_sources(kb: Grounded) -> None:
    chat = await grounded_chat(kb, path="/docs")
    assert (chat["path"], chat["chainId"]) == ("/docs", "rag")
    kb.ollama.chat.reply("Twelve coins a night [1].")
    answered = await kb.api.post(f"/chats/{chat['id']}/chat", json={"message": QUESTION})
    assert answered.status_code == 200, answered.text
    answer = answered.json()
    assert answer["content"] == "Twelve coins a night [1]."
    first = answer["sources"][0]
    assert set(first) == SOURCE_FIELDS
    assert (first["index"], first["fileId"], first["path"]) == (1, kb.inside, "/docs/fees.txt")
    assert first["text"] == INSIDE.decode()
    assert "[1] /docs/fees.txt\nThe harbour office charges twelve coins" in told(kb.ollama)
    history = (await kb.api.get(f"/chats/{chat['id']}")).json()
    assert history["path"] == "/docs"
    [question, stored] = history["messages"]
    assert question["sources"] == []
    assert stored["sources"] == answer["sources"]

    kb.ollama.chat.stream(["Still twelve ", "coins [1]."])
    body = {"message": "And per night?", "stream": True}
    async with kb.api.stream("POST", f"/chats/{chat['id']}/chat", json=body) as response:
        assert response.status_code == 200
        events = await sse(response)
    assert [name for name, _ in events][-1] == "done"
    done = events[-1][1]
    assert done["sources"][0]["fileId"] == kb.inside
    assert done["message"]["sources"] == done["sources"]
    latest = (await kb.api.get(f"/chats/{chat['id']}")).json()["messages"][-1]
    assert (latest["id"], latest["sources"]) == (done["message"]["id"], done["sources"])


async def test_a_grounded_chat_never_cites_a_better_match_outside_its_folder(
    kb: Grounded,
) -> None:
    ungrounded = await kb.api.post(
        "/openai/rag/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": QUESTION}]},
    )
    assert ungrounded.json()["sources"][0]["path"] == "/prices.txt"  # the better match
    wide = json.loads((SHIPPED / "rag.json").read_text())
    wide["id"] = "wide"
    wide["tasks"][0]["search"]["path"] = "/"  # the chain asks for everything
    assert (await kb.api.post("/taskchains", json=wide)).status_code == 201
    for chain in ("rag", "wide"):
        chat = await grounded_chat(kb, path="docs/", chainId=chain)
        assert (chat["path"], chat["chainId"]) == ("/docs", chain)
        answered = await kb.api.post(f"/chats/{chat['id']}/chat", json={"message": QUESTION})
        assert answered.status_code == 200, answered.text
        cited = {source["fileId"] for source in answered.json()["sources"]}
        assert cited == {kb.inside}, chain
        assert "/prices.txt" not in told(kb.ollama)


async def test_a_chain_searching_elsewhere_finds_nothing_in_a_grounded_chat(
    kb: Grounded,
) -> None:
    away = await kb.api.post("/folders", json={"name": "away"})
    apart = json.loads((SHIPPED / "rag.json").read_text())
    apart["id"] = "apart"
    apart["tasks"][0]["search"]["path"] = "/away"
    assert (await kb.api.post("/taskchains", json=apart)).status_code == 201
    assert away.status_code == 201
    chat = await grounded_chat(kb, path="/docs", chainId="apart")
    answered = await kb.api.post(f"/chats/{chat['id']}/chat", json={"message": QUESTION})
    assert answered.status_code == 200, answered.text
    assert answered.json()["sources"] == []
    assert "No source in the knowledge base matches" in told(kb.ollama)


async def test_grounding_in_a_missing_folder_is_refused_and_stores_nothing(
    kb: Grounded,
) -> None:
    for path in ("/nowhere", "/docs/fees.txt", "/prices.txt"):  # missing, or a file
        refused = await kb.api.post("/chats", json={"subject": "s", "path": path})
        assert refused.status_code == 422, path
        error = refused.json()["error"]
        assert error["param"] == "path"
        assert path in error["message"]
    assert (await kb.api.get("/chats")).json() == []
    whole = await grounded_chat(kb, path="/")
    assert (whole["path"], whole["chainId"]) == ("/", "rag")
    plain = await grounded_chat(kb)
    assert (plain["path"], plain["chainId"]) == (None, "chat")
