"""KnowledgeRetrieval: the task engine's `Knowledge` port over the knowledge base's search.

Each retrieval is also noted in the sources collector of the running request, if one is
open (`collecting()`), so a chat answer can list the sources its chain retrieved. Within
`confined(path)` (a chat grounded in a folder) every retrieval stays under that folder: a
task's own `search.path` can narrow it further, never lead out of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from runtime import errors
from runtime.knowledge import Scope
from runtime.knowledge.names import narrow, normalise_prefix
from runtime.knowledge.search import MAX_TOPK, Mode, Query, SearchService
from runtime.taskengine.ports import KnowledgeQuery, Source

_collected: ContextVar[list[Source] | None] = ContextVar("retrieved_sources", default=None)
# the folder retrievals are kept under ("" the root); None: under nothing (confinements apart)
_confined: ContextVar[str | None] = ContextVar("retrieval_folder", default="")


def _within(path: str) -> str | None:
    """Where a retrieval asking for the folder `path` may look, as confined now."""
    outer = _confined.get()
    return None if outer is None else narrow(outer, normalise_prefix(path))


@contextmanager
def collecting() -> Iterator[list[Source]]:
    """Collect the sources retrieved while the block runs (tasks it starts included)."""
    sources: list[Source] = []
    token = _collected.set(sources)
    try:
        yield sources
    finally:
        _collected.reset(token)


@contextmanager
def confined(path: str) -> Iterator[None]:
    """Keep the retrievals of the block (tasks it starts included) under the folder `path`.

    Nested confinements narrow each other (an inner one cannot widen the outer one).
    """
    token = _confined.set(_within(path))
    try:
        yield
    finally:
        _confined.reset(token)


class KnowledgeRetrieval:
    """Runs a chain's retrieval as a hybrid search and numbers the chunks it finds."""

    def __init__(self, search: SearchService) -> None:
        self._search = search

    async def search(self, query: KnowledgeQuery) -> list[Source]:
        if not 1 <= query.topk <= MAX_TOPK:
            raise errors.InvalidInputError(f"search topk must be 1 to {MAX_TOPK}", param="topk")
        if query.mode not in tuple(Mode):
            raise errors.InvalidInputError("search mode is hybrid, vector or keyword", param="mode")
        filters = tuple((k, v) for k, sep, v in (f.partition(":") for f in query.filters) if sep)
        folder = _within(query.path)
        if folder is None:  # a folder outside the one retrievals are confined to: nothing
            return []
        found = await self._search.search(
            Query(
                text=query.query,
                topk=query.topk,
                mode=Mode(query.mode),
                scope=Scope(path=folder, filters=filters),
            )
        )
        collected = _collected.get()
        first = len(collected) + 1 if collected is not None else 1
        sources = [
            Source(
                index=first + n,
                file_id=r.node.id,
                path=r.node.path,
                chunk_id=str(r.chunk_id),
                text=r.text,
                score=r.score,
            )
            for n, r in enumerate(found.results)
        ]
        if collected is not None:
            collected.extend(sources)
        return sources
