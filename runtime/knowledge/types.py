"""The knowledge base's domain data: files and folders, their indexing state, uploads."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import msgspec

INDEX_JOB = "index_file"  # the job type of indexing one file (built-in and external workers)
ROOT = ""  # the parent id of a top-level file or folder


class NodeKind(enum.StrEnum):
    """A node of the tree is a file or a folder."""

    FILE = "file"
    FOLDER = "folder"


class IndexState(enum.StrEnum):
    """Where a file stands in the indexing pipeline."""

    PENDING = "pending"
    INDEXING = "indexing"
    INDEXED = "indexed"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"


class Node(msgspec.Struct, frozen=True, kw_only=True):
    """A file or a folder as stored; `path` is derived from the tree."""

    id: str
    kind: NodeKind
    parent_id: str | None
    name: str
    path: str
    content_type: str
    size: int
    meta: dict[str, Any]
    revision: int
    index_state: str
    index_error: str
    chunk_count: int
    created_at: datetime
    updated_at: datetime


class Indexing(msgspec.Struct, frozen=True, kw_only=True):
    """A file's indexing state as a caller sees it; `reason` says why it waits or failed."""

    state: IndexState
    chunks: int = 0
    reason: str = ""


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """A node with its indexing state (None for a folder)."""

    node: Node
    indexing: Indexing | None


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """Where a search looks: files under the folder `path` whose metadata match `filters`."""

    path: str = ""
    filters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Upload:
    """New content read from a request: spooled to `content` (positioned at 0), never whole."""

    content: IO[bytes]
    size: int
    content_type: str
    filename: str
    name: str | None = None
    parent_id: str | None = None
    meta: dict[str, Any] | None = None
