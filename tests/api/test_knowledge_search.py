"""Upload, index through a fake embedder, and find: hybrid, vector and keyword search."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runtime.config import Settings
from tests.api.knowledge_setup import knowledge_server, put_file, settled
from tests.api.pdf_sample import pdf_with
from tests.fakes.ollama_fake import FakeOllama

BUDGET = b"The budget forecast for next year: revenue, costs and the budget margin."
GARDEN = b"# Gardening\n\nTomatoes need sun, water and a little compost every week."
HTML = (
    b"<html><head><style>.x{color:red}</style><script>var budget = 1;</script></head>"
    b"<body><h1>Sailing</h1><p>Boats, wind and knots on the open sea.</p></body></html>"
)


@pytest.fixture
async def kb(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with knowledge_server(settings) as client:
        yield client


async def search(client: httpx.AsyncClient, q: str, **params: str) -> list[dict[str, object]]:
    response = await client.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


async def test_search_finds_the_file_that_talks_about_the_query(kb: httpx.AsyncClient) -> None:
    budget = await put_file(kb, "budget.txt", BUDGET, metadata={"team": "finance"})
    garden = await put_file(kb, "garden.md", GARDEN, "text/markdown")
    sailing = await put_file(kb, "sailing.html", HTML, "text/html")
    for file_id in (budget, garden, sailing):
        assert (await settled(kb, file_id))["chunkCount"] == 1
    for mode in ("hybrid", "vector", "keyword"):
        hits = await search(kb, "budget margin", mode=mode)
        assert hits[0]["fileId"] == budget, mode
        assert hits[0]["path"] == "/budget.txt"
        assert hits[0]["rank"] == 1
    hybrid = (await kb.get("/search", params={"q": "tomatoes compost", "expand": "files"})).json()
    first = hybrid["results"][0]
    assert first["fileId"] == garden
    assert first["file"]["name"] == "garden.md"
    assert first["distance"] < 1.0
    assert first["keywordScore"] > 0
    assert hybrid["triedQuery"] == ["tomatoes compost", "tomatoes OR compost"]
    # stop words are left out of the keyword query (they are in nearly every chunk) ...
    asked = {"q": "how do I keep the tomatoes in the compost", "mode": "keyword"}
    worded = (await kb.get("/search", params=asked)).json()
    assert worded["triedQuery"] == ["keep OR tomatoes OR compost"]
    assert worded["results"][0]["fileId"] == garden
    # ... unless nothing else is left
    only = (await kb.get("/search", params={"q": "The of", "mode": "keyword"})).json()
    assert only["triedQuery"] == ["the OR of"]
    # scripts and styles are not text of the page
    assert [h["fileId"] for h in await search(kb, "budget", mode="keyword")] == [budget]


async def test_path_and_metadata_filters_narrow_the_search(kb: httpx.AsyncClient) -> None:
    folder = (await kb.post("/folders", json={"name": "finance"})).json()["id"]
    inside = await put_file(kb, "a.txt", BUDGET, parentId=folder, metadata={"year": "2026"})
    outside = await put_file(kb, "b.txt", BUDGET, metadata={"year": "2025"})
    await settled(kb, inside)
    await settled(kb, outside)
    assert {h["fileId"] for h in await search(kb, "budget")} == {inside, outside}
    assert [h["fileId"] for h in await search(kb, "budget", path="/finance")] == [inside]
    assert [h["fileId"] for h in await search(kb, "budget", filter="year:2025")] == [outside]
    assert await search(kb, "budget", filter="year:1999") == []


async def test_replacing_or_deleting_a_file_changes_results_at_once(kb: httpx.AsyncClient) -> None:
    file_id = await put_file(kb, "budget.txt", BUDGET)
    await settled(kb, file_id)
    replaced = await kb.put(
        f"/files/{file_id}", files={"file": ("budget.txt", b"Holiday photos by the lake.")}
    )
    assert replaced.status_code == 200
    assert await search(kb, "budget forecast") == []
    await settled(kb, file_id)
    assert [h["fileId"] for h in await search(kb, "holiday lake")] == [file_id]
    assert (await kb.delete(f"/files/{file_id}")).status_code == 200
    assert await search(kb, "holiday lake") == []


async def test_a_type_we_do_not_read_is_kept_and_marked_unsupported(
    kb: httpx.AsyncClient,
) -> None:
    file_id = await put_file(kb, "archive.zip", b"PK\x03\x04 zipped", "application/zip")
    body = await settled(kb, file_id, "unsupported")
    assert body["chunkCount"] == 0
    download = await kb.get(f"/files/{file_id}/download")
    assert download.content == b"PK\x03\x04 zipped"


async def test_keywords_are_listed_in_order_with_a_cursor(kb: httpx.AsyncClient) -> None:
    await settled(kb, await put_file(kb, "budget.txt", BUDGET))
    words = (await kb.get("/keywords")).json()
    assert "budget" in words
    assert words == sorted(words)
    after = (await kb.get("/keywords", params={"cursor": words[0], "limit": "2"})).json()
    assert after == words[1:3]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"q": "x", "topk": "0"}, "topk"),
        ({"q": "x", "topk": "10001"}, "topk"),
        ({"q": "x", "topk": "many"}, "topk"),
        ({"q": "x", "radius": "-1"}, "radius"),
        ({"q": "x", "mode": "fuzzy"}, "mode"),
        ({"q": "x", "filter": "nocolon"}, "filter"),
        ({"q": " "}, "q"),
    ],
)
async def test_bad_search_parameters_are_unprocessable(
    kb: httpx.AsyncClient, params: dict[str, str], param: str
) -> None:
    response = await kb.get("/search", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == param


async def test_without_an_embedding_backend_the_job_waits_with_the_reason(
    settings: Settings,
) -> None:
    async with knowledge_server(settings, embedder=False) as client:
        file_id = await put_file(client, "budget.txt", BUDGET)

        async def waiting() -> bool:
            body = (await client.get(f"/files/{file_id}")).json()
            return body["indexState"] == "pending" and "embedding backend" in body["indexError"]

        from tests.waiting import eventually  # noqa: PLC0415

        await eventually(waiting)
        pending = (await client.get("/jobs/pending")).json()
        assert pending[0]["attempts"] == 0


async def test_a_long_indexing_keeps_its_lease(settings: Settings) -> None:
    fake = FakeOllama(word_vectors=True, embed_delay=0.5)
    async with knowledge_server(settings, fake=fake, index_lease=1.0) as client:
        text = " ".join(f"word{n} budget" for n in range(12_000)).encode()  # 3 batches
        file_id = await put_file(client, "long.txt", text)
        body = await settled(client, file_id)
        assert body["chunkCount"] > 64
        assert (await client.get("/jobs/pending")).json() == []


async def test_a_pdf_is_indexed_by_its_text_and_a_broken_one_fails_with_the_reason(
    settings: Settings,
) -> None:
    async with knowledge_server(settings, index_attempts=2) as client:
        good = await put_file(
            client, "log.pdf", pdf_with("Lighthouse keeper logbook"), "application/pdf"
        )
        await settled(client, good)
        hits = await search(client, "lighthouse logbook", mode="keyword")
        assert [h["fileId"] for h in hits] == [good]
        assert hits[0]["text"] == "Lighthouse keeper logbook"
        broken = await put_file(client, "broken.pdf", b"%PDF-1.4 nothing else", "application/pdf")
        body = await settled(client, broken, "failed")
        assert body["indexError"].startswith("the PDF cannot be read")


async def test_indexing_and_search_show_in_metrics_and_operations(kb: httpx.AsyncClient) -> None:
    def count(text: str, name: str, **labels: str) -> float:
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    before = (await kb.get("/metrics")).text
    file_id = await put_file(kb, "budget.txt", BUDGET)
    await settled(kb, file_id)
    assert (await search(kb, "budget", mode="keyword"))[0]["fileId"] == file_id
    after = (await kb.get("/metrics")).text
    indexed = "runtime_index_jobs_total"
    assert count(after, indexed, outcome="indexed") == count(before, indexed, outcome="indexed") + 1
    searched = "runtime_search_duration_seconds_count"
    assert count(after, searched, mode="keyword") == count(before, searched, mode="keyword") + 1
    ops = (await kb.get(f"/activity/operations/index/{file_id}")).json()["operations"]
    assert [op["detail"]["outcome"] for op in ops] == ["indexed"]
