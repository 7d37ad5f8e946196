"""Killing the server in the middle of indexing loses nothing and stores no chunk twice."""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx

from tests.api.gateway_setup import backend
from tests.api.knowledge_setup import EMBED, embeddable
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.waiting import eventually

TEXT = " ".join(f"harbour{n} anchors moorings fees" for n in range(150)).encode()


async def state(api: httpx.AsyncClient, file_id: str) -> Any:
    return (await api.get(f"/files/{file_id}")).json()


async def test_indexing_cut_off_by_a_kill_resumes_after_restart(start: object) -> None:
    fake = FakeOllama(word_vectors=True, embed_delay=60)
    fake.add_model(EMBED, caps=["embedding"])
    launch = start
    env = {"EMBED_MODEL": EMBED, "RUNTIME_INDEX_LEASE": "1", "RUNTIME_JOB_RETRY": "0.2"}
    async with serve(fake) as ollama:
        first = await launch(**env)  # type: ignore[operator]
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as api:
            one = await backend(api, "internal_embed_group", ollama.url, "ollama", "o")
            await embeddable(api, one)
            files = {"file": ("fees.txt", TEXT, "text/plain")}
            file_id = (await api.post("/files", files=files)).json()["id"]

            async def embedding() -> bool:
                return any(path == "/api/embed" for _, path, _ in fake.requests)

            await eventually(embedding)
            assert (await state(api, file_id))["indexState"] == "indexing"
        os.kill(first.process.pid, signal.SIGKILL)
        await first.process.wait()
        fake.embed_delay = 0
        second = await launch(**env)  # type: ignore[operator]
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as api:

            async def indexed() -> Any:
                body = await state(api, file_id)
                return body if body["indexState"] == "indexed" else None

            body = await eventually(indexed, within=20)
            hits = (await api.get("/search", params={"q": "harbour7 fees", "topk": "100"})).json()
            chunk_ids = [h["id"] for h in hits["results"]]
            assert len(chunk_ids) == body["chunkCount"] > 1
            assert len(set(chunk_ids)) == len(chunk_ids)
            assert sorted(h["chunkIndex"] for h in hits["results"]) == list(
                range(body["chunkCount"])
            )
            assert (await api.get("/jobs/pending")).json() == []
