"""PostgreSQL keyword search answers what ranking every match with `ts_rank` answers."""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection, text

from runtime.db import Database
from runtime.identity.acl import AccessService
from runtime.knowledge import FileService, Scope, Upload
from runtime.knowledge.access import Visibility
from runtime.knowledge.index import store

TERMS = ["harbour", "anchor", "mooring", "tide"]


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite ranks with FTS5's bm25 over every match")
    database = Database(db_url)
    yield database
    await database.dispose()


async def fill(db: Database) -> None:
    """Two files (metadata `part` 0 and 1), each: 40 chunks holding two or three terms once
    among filler words, and 80 holding one term up to 12 times (the best single-term scores)."""
    files = FileService(db, Visibility(db, AccessService(db)))
    for n in range(2):
        entry = await files.create(
            Upload(content=io.BytesIO(b"x"), size=1, content_type="text/plain",
                   filename=f"f{n}.txt", meta={"part": str(n)})
        )  # fmt: skip
        texts = [
            " ".join([TERMS[i % 4], *(["filler"] * (i % 7)), TERMS[(i + 1) % 4],
                      *([TERMS[(i + 2) % 4]] if i % 3 == 0 else [])])
            for i in range(40)
        ]  # fmt: skip
        texts += [" ".join([TERMS[i % 4]] * (1 + i % 12) + ["filler"] * (i % 5)) for i in range(80)]
        chunks = [store.StoredChunk(text=t, vector=b"", keywords=[]) for t in texts]
        async with db.transaction() as session:
            await store.add_chunks(session, entry.node.id, 0, chunks)


def every_match_ranked(connection: Connection, terms: list[str], limit: int) -> list[float]:
    rows = connection.execute(
        text(
            "SELECT ts_rank(fts_document, to_tsquery('simple', :q)) AS r FROM kb_chunks "
            "WHERE fts_document @@ to_tsquery('simple', :q) ORDER BY r DESC LIMIT :limit"
        ),
        {"q": " | ".join(terms), "limit": limit},
    )
    return [float(score) for (score,) in rows]


@pytest.mark.parametrize("limit", [10, 50, 79, 80, 81, 200])
async def test_the_best_matches_are_those_of_ranking_every_match(db: Database, limit: int) -> None:
    await fill(db)
    for terms in (TERMS, TERMS[:2], ["harbour", "tide", "absent"]):
        found = await db.query(
            functools.partial(store.keyword_search, terms=terms, scope=Scope(), limit=limit)
        )
        expected = await db.query(functools.partial(every_match_ranked, terms=terms, limit=limit))
        assert [score for _, score in found] == pytest.approx(expected)
        assert len(found) == min(limit, len(expected))


async def test_chunks_holding_two_terms_rank_above_one_term_repeated(db: Database) -> None:
    await fill(db)
    found = await db.query(
        functools.partial(store.keyword_search, terms=TERMS, scope=Scope(), limit=100)
    )
    two_or_more = found[:80]  # 80 chunks hold two or three terms; each scores above the rest
    assert min(score for _, score in two_or_more) > max(score for _, score in found[80:])


async def test_a_scoped_search_ranks_within_its_scope_only(db: Database) -> None:
    await fill(db)
    scope = Scope(filters=(("part", "0"),))
    scoped = await db.query(
        functools.partial(store.keyword_search, terms=TERMS, scope=scope, limit=30)
    )
    whole = await db.query(
        functools.partial(store.keyword_search, terms=TERMS, scope=Scope(), limit=80)
    )
    assert len(scoped) == 30
    assert {chunk for chunk, _ in scoped} < {chunk for chunk, _ in whole}
    assert [score for _, score in scoped] == sorted((s for _, s in scoped), reverse=True)
