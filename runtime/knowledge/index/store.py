"""SQL for chunks, their vectors and keywords, and the databases' own full text search."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, and_, delete, func, insert, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.tables.knowledge import ChunkRow, KeywordRow, NodeRow
from runtime.knowledge.store import everything_visible, scope_condition
from runtime.knowledge.types import Node, Scope

_FTS = table("kb_chunks_fts")
_NODE_COLUMNS = tuple(NodeRow.__table__.columns)  # plain rows: no ORM objects on the search path
_CONFIG: Any = literal_column("'simple'")
_Span = tuple[int | None, int | None]  # chunk ids in (above, upto]
PAIRED_TERMS = 12  # at most this many terms are tried in pairs first (66 pairs)


class StoredChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk to store: its text, unit vector (float32 bytes) and keywords."""

    text: str
    vector: bytes
    keywords: list[str]


class Hit(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk found by a search, with the node of its file."""

    chunk_id: int
    seq: int
    text: str
    node: Node


async def delete_chunks(session: AsyncSession, file_id: str) -> None:
    """Every chunk of the file leaves (its keywords and full text entries with it)."""
    await session.execute(delete(ChunkRow).where(ChunkRow.file_id == file_id))


async def add_chunks(
    session: AsyncSession, file_id: str, first: int, chunks: Sequence[StoredChunk]
) -> list[int]:
    """Store chunks numbered from `first`; their ids, in order."""
    if not chunks:
        return []
    rows = [
        {"file_id": file_id, "seq": first + n, "text": c.text, "vector": c.vector}
        for n, c in enumerate(chunks)
    ]
    result = await session.execute(
        insert(ChunkRow).returning(ChunkRow.id, sort_by_parameter_order=True), rows
    )
    ids = [int(row[0]) for row in result]
    keywords = [
        {"chunk_id": chunk_id, "keyword": word}
        for chunk_id, chunk in zip(ids, chunks, strict=True)
        for word in dict.fromkeys(chunk.keywords)
    ]
    if keywords:
        await session.execute(insert(KeywordRow), keywords)
    return ids


async def chunk_count(session: AsyncSession, file_id: str) -> int:
    count = await session.scalar(select(func.count()).where(ChunkRow.file_id == file_id))
    return int(count or 0)


async def vectors(
    session: AsyncSession, file_ids: Sequence[str] | None = None, *, batch: int = 5000
) -> AsyncIterator[tuple[int, str, bytes]]:
    """(chunk id, file id, vector) of every chunk, or of the given files' chunks."""
    stmt = select(ChunkRow.id, ChunkRow.file_id, ChunkRow.vector)
    if file_ids is not None:
        stmt = stmt.where(ChunkRow.file_id.in_(list(file_ids)))
    result = await session.stream(stmt.execution_options(yield_per=batch))
    async for chunk_id, file_id, vector in result:
        yield int(chunk_id), str(file_id), bytes(vector)


# The search path's reads are read units (`Database.query`): plain functions of a connection.


def files_in_scope(connection: Connection, scope: Scope) -> set[str]:
    return set(connection.scalars(select(NodeRow.id).where(scope_condition(scope))))


def hydrate(connection: Connection, chunk_ids: Sequence[int], scope: Scope) -> dict[int, Hit]:
    """The chunks among `chunk_ids` that still exist and are in scope, by id (one statement)."""
    if not chunk_ids:
        return {}
    rows = connection.execute(
        select(ChunkRow.id.label("chunk_id"), ChunkRow.seq, ChunkRow.text, *_NODE_COLUMNS)
        .join(NodeRow, NodeRow.id == ChunkRow.file_id)
        .where(ChunkRow.id.in_(list(chunk_ids)), scope_condition(scope))
    ).all()
    nodes: dict[str, Node] = {}
    hits: dict[int, Hit] = {}
    for row in rows:
        node = nodes.get(row.id)
        if node is None:
            fields = {column.name: getattr(row, column.name) for column in _NODE_COLUMNS}
            node = nodes[row.id] = msgspec.convert(fields, Node)
        hits[int(row.chunk_id)] = Hit(
            chunk_id=int(row.chunk_id), seq=row.seq, text=row.text, node=node
        )
    return hits


def chunk_id_span(connection: Connection) -> tuple[int, int]:
    """The lowest and highest chunk id (0, 0 without chunks): one index lookup each."""
    low, high = connection.execute(select(func.min(ChunkRow.id), func.max(ChunkRow.id))).one()
    return int(low or 0), int(high or 0)


def keyword_search(
    connection: Connection,
    terms: Sequence[str],
    scope: Scope,
    limit: int,
    *,
    above: int | None = None,
    upto: int | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, score) of chunks holding any of `terms`, best first (higher is better).

    `above`/`upto` confine the search to chunk ids in (above, upto]; the scores stay the whole
    table's (bm25's document frequencies and lengths are the table's; `ts_rank` looks at each
    row alone), so the best of confined searches over adjoining ranges, merged, are the best
    of one whole search.
    """
    if not terms:
        return []
    span = (above, upto)
    if connection.dialect.name == "postgresql":
        return _postgres_search(connection, terms, scope, limit, span)
    return _sqlite_search(connection, terms, scope, limit, span)


def _postgres_search(
    connection: Connection, terms: Sequence[str], scope: Scope, limit: int, span: _Span
) -> list[tuple[int, float]]:
    """`ts_rank` of the OR of the terms, ranking only chunks holding two terms when it can.

    Every lexeme of `to_tsvector` has the same weight, and for an OR query `ts_rank` adds per
    term found a share in [w / 1.645, w) (more occurrences come nearer w): a chunk holding k
    distinct terms outranks every chunk holding fewer. So when at least `limit` chunks hold
    two of the terms, the best `limit` of them are the best of all, and the many chunks holding
    a single common term are never read. Otherwise every match is ranked.
    """
    ranked = func.to_tsquery(_CONFIG, " | ".join(terms))
    if 1 < len(terms) <= PAIRED_TERMS and all("_" not in term for term in terms):
        # (the parser splits a word at "_" into two lexemes: such a term alone would count twice)
        pairs = " | ".join(f"({a} & {b})" for a, b in itertools.combinations(terms, 2))
        paired = func.to_tsquery(_CONFIG, pairs)
        found = _postgres_ranked(connection, paired, ranked, scope, limit, span)
        if len(found) == limit:
            return found
    return _postgres_ranked(connection, ranked, ranked, scope, limit, span)


def _postgres_ranked(
    connection: Connection, matching: Any, ranked: Any, scope: Scope, limit: int, span: _Span
) -> list[tuple[int, float]]:
    vector: Any = literal_column("kb_chunks.fts_document")  # to_tsvector('simple', text), stored
    score: Any = func.ts_rank(vector, ranked)
    stmt = select(ChunkRow.id, score).where(vector.op("@@")(matching), *_within(ChunkRow.id, span))
    return _ranked(connection, stmt, score, scope, limit)


def _sqlite_search(
    connection: Connection, terms: Sequence[str], scope: Scope, limit: int, span: _Span
) -> list[tuple[int, float]]:
    match = " OR ".join(f'"{term}"' for term in terms)
    score: Any = -literal_column("bm25(kb_chunks_fts)")
    rowid: Any = literal_column("kb_chunks_fts.rowid")
    matching: Any = text("kb_chunks_fts MATCH :match").bindparams(match=match)
    matching = and_(matching, *_within(rowid, span))
    if scope == Scope() and everything_visible():
        # the full text table alone: its rowid is the chunk id, and FTS5 ranks without
        # a join per matching row (hydrating the results checks they still exist)
        rows = connection.execute(
            select(rowid, score).select_from(_FTS).where(matching)
            .order_by(score.desc()).limit(limit)
        )  # fmt: skip
        return [(int(chunk_id), float(value)) for chunk_id, value in rows]
    stmt = select(ChunkRow.id, score).select_from(_FTS).join(ChunkRow, ChunkRow.id == rowid)
    return _ranked(connection, stmt.where(matching), score, scope, limit)


def _within(chunk_id: Any, span: _Span) -> list[Any]:
    above, upto = span
    return [
        *([chunk_id > above] if above is not None else []),
        *([chunk_id <= upto] if upto is not None else []),
    ]


def _ranked(
    connection: Connection, stmt: Any, score: Any, scope: Scope, limit: int
) -> list[tuple[int, float]]:
    """The best `limit` rows of `stmt` by `score`, confined to the caller's scope."""
    if scope != Scope() or not everything_visible():
        stmt = stmt.join(NodeRow, NodeRow.id == ChunkRow.file_id).where(scope_condition(scope))
    rows = connection.execute(stmt.order_by(score.desc()).limit(limit))
    return [(int(chunk_id), float(value)) for chunk_id, value in rows]


async def list_keywords(session: AsyncSession, after: str | None, limit: int) -> list[str]:
    """Distinct keywords (of chunks the caller may view) in alphabetical order, after `after`."""
    stmt = select(KeywordRow.keyword).distinct().order_by(KeywordRow.keyword).limit(limit)
    if after:
        stmt = stmt.where(KeywordRow.keyword > after)
    if not everything_visible():
        stmt = (
            stmt.join(ChunkRow, ChunkRow.id == KeywordRow.chunk_id)
            .join(NodeRow, NodeRow.id == ChunkRow.file_id)
            .where(scope_condition(Scope()))
        )
    return list(await session.scalars(stmt))
