"""/index, /search and /keywords: external workers' chunks, hybrid search, the keyword list."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from runtime import errors
from runtime.api.base import ApiStruct, Name, page_request
from runtime.api.files import FileOut
from runtime.knowledge import Entry, Scope
from runtime.knowledge.names import normalise_prefix
from runtime.knowledge.pipeline import IndexPipeline
from runtime.knowledge.search import MAX_TOPK, Found, Mode, Query, Result, SearchService

MAX_CHUNK = 64 * 1024
MAX_CHUNKS = 10_000


class IndexRequest(ApiStruct):
    """`indexservice_IndexRequest`: chunks of file `id` from the worker holding job `jobId`."""

    id: Name
    job_id: Name
    leaser_id: Name
    chunks: list[str]
    replace: bool = True


class IndexResponse(ApiStruct):
    """`indexservice_IndexResponse`: the stored chunks' ids (`vectors`) and their keywords."""

    id: str
    vectors: list[str]
    augmented_metadata: list[str]


class SearchHit(ApiStruct, omit_defaults=True):
    """One result: the chunk, its file, its rank and each search's own measure."""

    id: str
    file_id: str
    path: str
    text: str
    rank: int
    score: float
    chunk_index: int
    distance: float | None = None
    keyword_score: float | None = None
    file: FileOut | None = None

    @classmethod
    def from_domain(cls, result: Result, *, expand: bool) -> SearchHit:
        return cls(
            id=str(result.chunk_id),
            file_id=result.node.id,
            path=result.node.path,
            text=result.text,
            rank=result.rank,
            score=result.score,
            chunk_index=result.seq,
            distance=result.distance,
            keyword_score=result.keyword_score,
            file=FileOut.from_domain(Entry(node=result.node, indexing=None)) if expand else None,
        )


class SearchResponse(ApiStruct):
    """`indexservice_SearchResponse`."""

    results: list[SearchHit]
    tried_query: list[str]

    @classmethod
    def from_domain(cls, found: Found, *, expand: bool) -> SearchResponse:
        return cls(
            results=[SearchHit.from_domain(r, expand=expand) for r in found.results],
            tried_query=found.tried,
        )


def _number(raw: str | None, name: str) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise errors.InvalidInputError(f"{name} must be a number", param=name) from None
    if not value >= 0:
        raise errors.InvalidInputError(f"{name} must be 0 or more", param=name)
    return value


def _topk(raw: str | None) -> int:
    if raw is None or raw == "":
        return 10
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_TOPK:
        raise errors.InvalidInputError(
            f"topk must be an integer from 1 to {MAX_TOPK}", param="topk"
        )
    return int(raw)


def _filters(raw: list[str] | None) -> tuple[tuple[str, str], ...]:
    found = []
    for item in raw or []:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise errors.InvalidInputError("a filter is key:value", param="filter")
        found.append((key, value))
    return tuple(found)


def _query(q: str | None, topk: str | None, mode: str | None) -> tuple[str, int, Mode]:
    if mode not in (None, "", *Mode):
        raise errors.InvalidInputError("mode is hybrid, vector or keyword", param="mode")
    return q or "", _topk(topk), Mode(mode or Mode.HYBRID)


class SearchController(Controller):
    """Search, the keyword list, and chunks handed in by external workers."""

    @post("/index", status_code=200)
    async def index_chunks(
        self, data: JSONBody[IndexRequest], index: NamedDependency[IndexPipeline]
    ) -> IndexResponse:
        if len(data.chunks) > MAX_CHUNKS or any(len(c) > MAX_CHUNK for c in data.chunks):
            raise errors.InvalidInputError(
                f"at most {MAX_CHUNKS} chunks of at most {MAX_CHUNK} characters", param="chunks"
            )
        stored = await index.submit(
            data.id, data.job_id, data.leaser_id, data.chunks, replace=data.replace
        )
        return IndexResponse(
            id=stored.file_id,
            vectors=[str(i) for i in stored.chunk_ids],
            augmented_metadata=[",".join(words) for words in stored.keywords],
        )

    @get("/search")
    async def search_chunks(  # noqa: PLR0913, PLR0917 - the query parameters of the route
        self,
        search: NamedDependency[SearchService],
        q: FromQuery[str | None] = None,
        topk: FromQuery[str | None] = None,
        radius: FromQuery[str | None] = None,
        epsilon: FromQuery[str | None] = None,
        expand: FromQuery[str | None] = None,
        path: FromQuery[str | None] = None,
        mode: FromQuery[str | None] = None,
        filter: FromQuery[list[str] | None] = None,
    ) -> SearchResponse:
        text, k, how = _query(q, topk, mode)
        query = Query(
            text=text,
            topk=k,
            mode=how,
            radius=_number(radius, "radius"),
            epsilon=_number(epsilon, "epsilon"),
            scope=Scope(path=normalise_prefix(path), filters=_filters(filter)),
        )
        return SearchResponse.from_domain(await search.search(query), expand=expand == "files")

    @get("/keywords")
    async def list_keywords(
        self,
        search: NamedDependency[SearchService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[str]:
        page = page_request(limit, None)
        return await search.keywords(cursor or None, page.limit)
