"""Tables of the knowledge base: the file tree, file content in pieces, chunks and keywords.

Full text search lives beside them, created by the migration only: an FTS5 table on SQLite
(`kb_chunks_fts`, kept by triggers) and on PostgreSQL a generated column `fts_document`
(`to_tsvector('simple', text)`, stored) with a GIN index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, Timestamps, id_column


class NodeRow(Base, Timestamps):
    """A file or a folder; `path` is derived from the tree and unique across both kinds."""

    __tablename__ = "kb_nodes"

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("kb_nodes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    path: Mapped[str] = mapped_column(String(1024), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    index_state: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    index_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class BlobRow(Base):
    """One piece of a file's content, in order (`seq`)."""

    __tablename__ = "kb_blobs"

    file_id: Mapped[str] = mapped_column(
        ForeignKey("kb_nodes.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class ChunkRow(Base):
    """A piece of a file's text with its embedding (float32 bytes); one row per (file, seq)."""

    __tablename__ = "kb_chunks"
    __table_args__ = (UniqueConstraint("file_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_id: Mapped[str] = mapped_column(
        ForeignKey("kb_nodes.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class KeywordRow(Base):
    """A keyword the statistical extractor found in a chunk."""

    __tablename__ = "kb_keywords"

    chunk_id: Mapped[int] = mapped_column(
        ForeignKey("kb_chunks.id", ondelete="CASCADE"), primary_key=True
    )
    keyword: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
