"""Keyword search split by chunk id answers exactly what one whole search answers."""

from __future__ import annotations

import functools
import heapq
import io
import itertools
from collections.abc import AsyncIterator

import pytest

from runtime.db import Database
from runtime.identity.acl import AccessService
from runtime.knowledge import FileService, Scope, Upload
from runtime.knowledge.access import Visibility
from runtime.knowledge.index import store
from runtime.knowledge.index.keeper import IndexKeeper
from runtime.knowledge.search import Mode, Query, SearchService

WORDS = ["harbour", "anchor", "mooring", "tide", "quay", "ferry", "pilot", "buoy"]


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def fill(db: Database) -> list[int]:
    """120 chunks over two files; every chunk has its own length (bm25's scores differ)."""
    files = FileService(db, Visibility(db, AccessService(db)))
    ids = []
    for n in range(2):
        entry = await files.create(
            Upload(content=io.BytesIO(b"x"), size=1, content_type="text/plain",
                   filename=f"f{n}.txt")
        )  # fmt: skip
        chunks = [
            store.StoredChunk(text=chunk_text(i), vector=b"", keywords=[])
            for i in range(60 * n, 60 * (n + 1))
        ]
        async with db.transaction() as session:
            ids += await store.add_chunks(session, entry.node.id, 0, chunks)
    return ids


def chunk_text(i: int) -> str:
    words = [WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 5)]
    return " ".join([*words, *(["filler"] * i)])


async def test_adjoining_ranges_merged_are_the_whole_search(db: Database) -> None:
    ids = await fill(db)
    search = functools.partial(
        store.keyword_search, terms=["harbour", "tide"], scope=Scope(), limit=25
    )
    whole = await db.query(search)
    cuts = [ids[30], ids[70], ids[100]]
    ranges = itertools.pairwise([None, *cuts, None])
    parts = [await db.query(functools.partial(search, above=a, upto=b)) for a, b in ranges]
    assert all(parts)  # every range held matches
    merged = heapq.nlargest(25, itertools.chain.from_iterable(parts), key=lambda hit: hit[1])
    assert [score for _, score in merged] == pytest.approx([score for _, score in whole])
    cut = whole[-1][1] + 1e-9  # the same chunks above the last score (ties at it may differ)
    assert {c for c, score in merged if score > cut} == {c for c, score in whole if score > cut}


async def test_a_search_split_in_parts_finds_what_one_part_finds(db: Database) -> None:
    await fill(db)
    visibility = Visibility(db, AccessService(db))
    keeper = IndexKeeper(db, "test")

    def service(part: int) -> SearchService:
        return SearchService(db, embedder=None, keeper=keeper, visibility=visibility,  # type: ignore[arg-type]
                             keyword_part=part)  # fmt: skip

    query = Query(text="anchor quay pilot", topk=30, mode=Mode.KEYWORD)
    one = await service(10**9).search(query)
    split = await service(1).search(query)
    assert len(one.results) == 30
    assert [r.chunk_id for r in split.results] == [r.chunk_id for r in one.results]
