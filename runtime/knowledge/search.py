"""SearchService: hybrid search, vector nearest neighbours fused with full text by RRF.

Vector hits come from the process's derived index and keyword hits from the database's own
full text search; every hit is checked against the database (it still exists, it is in the
caller's scope, one it may view) before it is returned, so a deleted file is gone from results
at once and a file the caller may not view never shows.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import heapq
import itertools
import os
import time

import msgspec

from runtime import errors
from runtime.db import Database
from runtime.knowledge.access import Visibility
from runtime.knowledge.index import store
from runtime.knowledge.index.keeper import IndexKeeper
from runtime.knowledge.index.vectors import unit
from runtime.knowledge.keywords import query_terms
from runtime.knowledge.ports import Embedder
from runtime.knowledge.store import everything_visible
from runtime.knowledge.types import Node, Scope
from runtime.observability import metrics

RRF_K = 60  # reciprocal rank fusion: score = sum of 1 / (RRF_K + rank) over the two lists
MAX_TOPK = 10_000
INLINE_SCAN = 2_000_000  # vector components scanned on the event loop (about a millisecond)
KEYWORD_PART = 40_000  # chunk ids a SQLite keyword search scores on one thread, at least
PARTS = min(4, os.cpu_count() or 1)  # SQLite keyword search parts at most (readers: 4)
SPAN_AGE = 5.0  # seconds a looked-up chunk id span is used


class Mode(enum.StrEnum):
    """Which searches run: both fused, or one of them."""

    HYBRID = "hybrid"
    VECTOR = "vector"
    KEYWORD = "keyword"


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """A search: `radius` bounds the cosine distance; `epsilon` see `SearchService.search`."""

    text: str
    topk: int = 10
    mode: Mode = Mode.HYBRID
    radius: float | None = None
    epsilon: float | None = None
    scope: Scope = Scope()


class Result(msgspec.Struct, frozen=True, kw_only=True):
    """One chunk found: its rank (1 = best), fused score, and each search's own measure."""

    rank: int
    score: float
    chunk_id: int
    seq: int
    text: str
    node: Node
    distance: float | None = None
    keyword_score: float | None = None


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """The results and the query variants actually run (`triedQuery`)."""

    results: list[Result]
    tried: list[str]


class SearchService:
    """Searches the chunks of indexed files."""

    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        keeper: IndexKeeper,
        visibility: Visibility,
        *,
        keyword_part: int = KEYWORD_PART,
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._keeper = keeper
        self._visibility = visibility
        self._span, self._span_at = (0, 0), -SPAN_AGE
        self._keyword_part = keyword_part

    async def search(self, query: Query) -> Found:
        """The best `topk` chunks the caller may view (timed: `runtime_search_duration_seconds`)."""
        started = time.perf_counter()
        try:
            async with self._visibility.applied():
                return await self._search(query)
        finally:
            seconds = time.perf_counter() - started
            metrics.child(metrics.search_duration, query.mode.value).observe(seconds)

    async def _search(self, query: Query) -> Found:
        """The best `topk` chunks for the query.

        `epsilon` keeps vector hits whose distance is within `epsilon` of the best hit's
        (a relative cut-off after the absolute `radius`); unset, nothing is cut.
        """
        if not query.text.strip():
            raise errors.InvalidInputError("q must not be empty", param="q")
        fetch = min(max(query.topk * 2, 50), 2 * MAX_TOPK)
        tried: list[str] = []
        allowed = None
        if query.scope != Scope() or not everything_visible():
            allowed = await self._db.query(
                functools.partial(store.files_in_scope, scope=query.scope)
            )
        terms: list[str] = []
        if query.mode is not Mode.VECTOR:
            terms = query_terms(query.text)
        # the two searches overlap: the scan in a worker thread, full text in the database
        vector, keyword = await asyncio.gather(
            self._vector(query, fetch, allowed, tried), self._keyword(terms, query.scope, fetch)
        )
        if terms:
            tried.append(" OR ".join(terms))
        return Found(results=await self._fused(query, vector, keyword), tried=tried)

    async def _keyword(self, terms: list[str], scope: Scope, fetch: int) -> list[tuple[int, float]]:
        if not terms:
            return []
        search = functools.partial(store.keyword_search, terms=terms, scope=scope, limit=fetch)
        ranges = await self._ranges()
        if len(ranges) == 1:
            return await self._db.query(search)
        # SQLite scores every match on one thread: split by chunk id, the parts on reader
        # threads at once; each part's best with the whole table's scores, merged
        parts = await asyncio.gather(
            *(self._db.query(functools.partial(search, above=a, upto=b)) for a, b in ranges)
        )
        return heapq.nlargest(fetch, itertools.chain.from_iterable(parts), key=_score)

    async def _ranges(self) -> list[tuple[int | None, int | None]]:
        """Adjoining chunk id ranges covering every id, one per `keyword_part` (SQLite only).

        The span is looked up at most every `SPAN_AGE` seconds: a stale one only splits the
        work less evenly, as the first range is open below and the last above.
        """
        if not self._db.is_sqlite:
            return [(None, None)]
        now = time.monotonic()
        if now - self._span_at > SPAN_AGE:
            self._span = await self._db.query(store.chunk_id_span)
            self._span_at = now
        low, high = self._span
        count = min(PARTS, max(1, (high - low) // self._keyword_part))
        cuts = [low + (high - low) * n // count for n in range(1, count)]
        bounds: list[int | None] = [None, *cuts, None]
        return list(itertools.pairwise(bounds))

    async def _vector(
        self, query: Query, fetch: int, allowed: set[str] | None, tried: list[str]
    ) -> list[tuple[int, float]]:
        if query.mode is Mode.KEYWORD:
            return []
        try:
            embedded = await self._embedder.embed([query.text])
        except errors.UnavailableError:
            if query.mode is Mode.VECTOR:
                raise
            return []  # hybrid without an embedding backend: the keyword half still answers
        tried.append(query.text)
        await self._keeper.ready()
        index = self._keeper.index
        search = functools.partial(
            index.search, unit(embedded[0]), fetch, allowed=allowed, radius=query.radius
        )
        # a small index is scanned at once; a large one in a worker thread (the loop goes on)
        hits = (
            search() if index.size * index.dims < INLINE_SCAN else await asyncio.to_thread(search)
        )
        if query.epsilon is not None and hits:
            best = hits[0][1]
            hits = [hit for hit in hits if hit[1] <= best + query.epsilon]
        return hits

    async def keywords(self, after: str | None, limit: int) -> list[str]:
        async with self._visibility.applied(), self._db.read() as session:
            return await store.list_keywords(session, after, limit)

    async def _fused(
        self, query: Query, vector: list[tuple[int, float]], keyword: list[tuple[int, float]]
    ) -> list[Result]:
        """Reciprocal rank fusion of the two lists, checked against the database."""
        scores: dict[int, float] = {}
        for hits in (vector, keyword):
            for rank, (chunk_id, _) in enumerate(hits, start=1):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        distances, matches = dict(vector), dict(keyword)
        order = sorted(scores, key=lambda chunk_id: -scores[chunk_id])
        found = await self._db.query(
            functools.partial(store.hydrate, chunk_ids=order[: query.topk * 2], scope=query.scope)
        )
        results: list[Result] = []
        for chunk_id in order:
            hit = found.get(chunk_id)
            if hit is None:
                continue  # deleted meanwhile, or out of scope
            results.append(
                Result(
                    rank=len(results) + 1,
                    score=scores[chunk_id],
                    chunk_id=chunk_id,
                    seq=hit.seq,
                    text=hit.text,
                    node=hit.node,
                    distance=distances.get(chunk_id),
                    keyword_score=matches.get(chunk_id),
                )
            )
            if len(results) == query.topk:
                break
        return results


def _score(hit: tuple[int, float]) -> float:
    return hit[1]
