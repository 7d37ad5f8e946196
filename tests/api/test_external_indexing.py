"""An external worker (a custom parser) leases index jobs and hands its chunks to /index."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from runtime.config import Settings
from tests.api.knowledge_setup import knowledge_server, put_file

LEASE = {"leaserId": "ocr-1", "leaseDuration": "1m", "jobTypes": ["index_file"]}


@pytest.fixture
async def kb(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with knowledge_server(settings, index_workers=0) as client:
        yield client


async def test_a_worker_indexes_a_file_through_leases_and_index(kb: httpx.AsyncClient) -> None:
    file_id = await put_file(kb, "scan.png", b"\x89PNG not text", "image/png")
    job = (await kb.post("/leases", json=LEASE)).json()
    assert job["subjectId"] == file_id
    body = {
        "id": file_id,
        "jobId": job["id"],
        "leaserId": "ocr-1",
        "chunks": ["Invoice number 42 from the harbour office", "Total due: anchors"],
        "replace": True,
    }
    indexed = await kb.post("/index", json=body)
    assert indexed.status_code == 200, indexed.text
    answer = indexed.json()
    assert answer["id"] == file_id
    assert len(answer["vectors"]) == 2
    assert "harbour" in answer["augmentedMetadata"][0]
    more = await kb.post(
        "/index", json=body | {"chunks": ["Signed by the harbour master"], "replace": False}
    )
    assert more.status_code == 200
    assert (
        await kb.patch(f"/jobs/{job['id']}/done", json={"leaserId": "ocr-1"})
    ).status_code == 200
    state = (await kb.get(f"/files/{file_id}")).json()
    assert (state["indexState"], state["chunkCount"]) == ("indexed", 3)
    hits = (await kb.get("/search", params={"q": "harbour invoice"})).json()["results"]
    assert hits[0]["fileId"] == file_id
    assert hits[0]["chunkIndex"] in (0, 2)
    assert len(hits) == 3
    again = await kb.post("/index", json=body)
    assert again.status_code == 404  # the job is done and gone


async def test_chunks_from_a_worker_without_the_lease_or_for_no_file_are_refused(
    kb: httpx.AsyncClient,
) -> None:
    file_id = await put_file(kb, "a.txt", b"some text")
    job = (await kb.post("/leases", json=LEASE)).json()
    body = {"id": file_id, "jobId": job["id"], "leaserId": "ocr-1", "chunks": ["x y z"]}
    stranger = await kb.post("/index", json=body | {"leaserId": "other"})
    assert stranger.status_code == 409
    unknown = await kb.post("/index", json=body | {"id": "no-such-file"})
    assert unknown.status_code == 404
    other = await put_file(kb, "b.txt", b"more text")
    wrong = await kb.post("/index", json=body | {"id": other})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["param"] == "jobId"
    empty = await kb.post("/index", json=body | {"chunks": ["  "]})
    assert empty.status_code == 422
    assert (await kb.get(f"/files/{file_id}")).json()["indexState"] == "indexing"
    assert (await kb.get("/search", params={"q": "x y z", "mode": "keyword"})).json()[
        "results"
    ] == []
