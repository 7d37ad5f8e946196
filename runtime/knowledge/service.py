"""FileService: the file tree's use cases; storing content enqueues its index job atomically.

A caller restricted by access entries (`knowledge.visibility`) lists, reads and downloads only
what it may view; it needs `edit` to add to a folder, replace, move or rename (on the node and
on the folder it moves to), and `manage` to delete.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db import Database
from runtime.jobs import store as jobs
from runtime.knowledge import store, visibility
from runtime.knowledge.access import Visibility
from runtime.knowledge.content import check_content, guess_type
from runtime.knowledge.index import store as chunks
from runtime.knowledge.index.keeper import announce
from runtime.knowledge.names import check_name, child_path, normalise_prefix
from runtime.knowledge.types import (
    INDEX_JOB,
    Entry,
    IndexState,
    Node,
    NodeKind,
    Upload,
)
from runtime.knowledge.view import indexing_of

PIECE = 512 * 1024  # bytes of content per stored piece


class FileService:
    """Files and folders; `on_removed` hears of files whose chunks left the database."""

    def __init__(  # noqa: PLR0913 - the tree's settings and observers
        self,
        db: Database,
        visibility: Visibility,
        *,
        upload_limit: int = 50 << 20,
        index_attempts: int = 5,
        node: str = "",
        on_removed: Callable[[list[str]], None] = lambda _ids: None,
        on_stored: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._visibility = visibility
        self.upload_limit = upload_limit
        self._attempts = index_attempts
        self._node = node
        self._on_removed = on_removed
        self._on_stored = on_stored
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def list(self, path: str | None) -> list[Entry]:
        async with self._visibility.applied(), self._db.transaction() as session:
            nodes = await store.list_nodes(session, normalise_prefix(path))
            files = [n.id for n in nodes if n.kind is NodeKind.FILE]
            found = await jobs.jobs_of(session, INDEX_JOB, files)
            now = self._clock()
            return [
                Entry(
                    node=node,
                    indexing=indexing_of(node, found.get(node.id), now)
                    if node.kind is NodeKind.FILE
                    else None,
                )
                for node in nodes
            ]

    async def folder_exists(self, path: str) -> bool:
        """Whether `path` (`/docs`, `docs/`; `/` the root) names a folder."""
        prefix = normalise_prefix(path)
        if not prefix:
            return True
        async with self._db.transaction() as session:
            return await store.find_folder(session, prefix) is not None

    async def get(self, file_id: str) -> Entry:
        async with self._visibility.applied(), self._db.transaction() as session:
            node = await _node(session, file_id, NodeKind.FILE, "view")
            return await self._entry(session, node)

    async def create(self, upload: Upload) -> Entry:
        """Store a new file and queue its indexing, in one transaction."""
        check_content(upload)
        name = check_name(upload.name or upload.filename, param="name")
        now = self._clock()
        async with (
            self._visibility.applied(),
            self._db.transaction(on_commit=self._on_stored) as session,
        ):
            parent = await self._folder_path(session, upload.parent_id, needed="edit")
            node = Node(
                id=str(uuid.uuid4()),
                kind=NodeKind.FILE,
                parent_id=upload.parent_id or None,
                name=name,
                path=child_path(parent, name),
                content_type=guess_type(upload),
                size=upload.size,
                meta=upload.meta or {},
                revision=1,
                index_state=IndexState.PENDING.value,
                index_error="",
                chunk_count=0,
                created_at=now,
                updated_at=now,
            )
            await store.create_node(session, node)
            await _write(session, node.id, upload)
            await self._enqueue(session, node, now)
            return await self._entry(session, node)

    async def replace(self, file_id: str, upload: Upload) -> Entry:
        """New content for a file: old chunks leave, indexing starts again, in one transaction."""
        check_content(upload)
        now = self._clock()

        def committed() -> None:
            self._on_removed([file_id])
            self._on_stored()

        async with (
            self._visibility.applied(),
            self._db.transaction(on_commit=committed) as session,
        ):
            node = await _node(session, file_id, NodeKind.FILE, "edit")
            await store.clear_content(session, file_id)
            await _write(session, file_id, upload)
            values = {
                "content_type": guess_type(upload),
                "size": upload.size,
                "revision": node.revision + 1,
                "index_state": IndexState.PENDING.value,
                "index_error": "",
                "chunk_count": 0,
            }
            if upload.meta is not None:
                values["meta"] = upload.meta
            await store.update_node(session, file_id, now, **values)
            await chunks.delete_chunks(session, file_id)
            await announce(session, self._node, [file_id])
            node = await store.get_node(session, file_id)
            await self._enqueue(session, node, now)
            return await self._entry(session, node)

    async def download(self, file_id: str) -> tuple[Node, AsyncIterator[bytes]]:
        """The file and its content piece by piece, each piece read in its own transaction."""
        async with self._visibility.applied(), self._db.transaction() as session:
            node = await _node(session, file_id, NodeKind.FILE, "view")
        return node, self._pieces(node)

    async def _pieces(self, node: Node) -> AsyncIterator[bytes]:
        seq = 0
        while True:
            async with self._db.transaction() as session:
                piece = await store.read_piece(session, node.id, seq, node.revision)
            if piece is None:
                return
            yield piece
            seq += 1

    async def rename(self, node_id: str, name: str, kind: NodeKind) -> Entry:
        check_name(name)
        async with self._visibility.applied(), self._db.transaction() as session:
            node = await _node(session, node_id, kind, "edit")
            parent = node.path.rsplit("/", 1)[0]
            path = child_path(parent, name)
            await store.relocate(session, node, node.parent_id, path, name, self._clock())
            return await self._entry(session, await store.get_node(session, node_id))

    async def move(self, node_id: str, parent_id: str | None, kind: NodeKind) -> Entry:
        """Put a node in another folder; a folder cannot go into itself or below itself."""
        async with self._visibility.applied(), self._db.transaction() as session:
            node = await _node(session, node_id, kind, "edit")
            parent = await self._folder_path(session, parent_id, param="newParentId", needed="edit")
            if kind is NodeKind.FOLDER and (
                parent == node.path or parent.startswith(node.path + "/")
            ):
                raise errors.InvalidInputError(
                    "a folder cannot move into itself or one of its descendants",
                    param="newParentId",
                )
            path = child_path(parent, node.name)
            await store.relocate(session, node, parent_id or None, path, node.name, self._clock())
            return await self._entry(session, await store.get_node(session, node_id))

    async def delete(self, node_id: str, kind: NodeKind) -> None:
        """Delete a file, or a folder with all it holds; their chunks leave search at once."""
        removed: list[str] = []
        async with (
            self._visibility.applied(),
            self._db.transaction(on_commit=lambda: self._on_removed(removed)) as session,
        ):
            node = await _node(session, node_id, kind, "manage")
            if kind is NodeKind.FILE:
                removed.append(node.id)
            else:
                removed.extend(await store.files_under(session, node.path))
            await jobs.delete_jobs(session, INDEX_JOB, removed)
            await announce(session, self._node, removed)
            await store.delete_node(session, node_id)

    async def create_folder(self, name: str, parent_id: str | None) -> Entry:
        check_name(name)
        now = self._clock()
        async with self._visibility.applied(), self._db.transaction() as session:
            parent = await self._folder_path(session, parent_id, param="parentId", needed="edit")
            node = Node(
                id=str(uuid.uuid4()),
                kind=NodeKind.FOLDER,
                parent_id=parent_id or None,
                name=name,
                path=child_path(parent, name),
                content_type="",
                size=0,
                meta={},
                revision=0,
                index_state="",
                index_error="",
                chunk_count=0,
                created_at=now,
                updated_at=now,
            )
            await store.create_node(session, node)
            return Entry(node=node, indexing=None)

    async def _folder_path(
        self,
        session: AsyncSession,
        folder_id: str | None,
        *,
        param: str = "parentId",
        needed: str = "view",
    ) -> str:
        """The path of the folder to put something in ("" for the root, open to anyone)."""
        if not folder_id:
            return ""
        try:
            return (await _node(session, folder_id, NodeKind.FOLDER, needed)).path
        except errors.NotFoundError:
            raise errors.NotFoundError(f"folder {folder_id} not found", param=param) from None

    async def _enqueue(self, session: AsyncSession, node: Node, now: datetime) -> None:
        await jobs.enqueue(
            session,
            INDEX_JOB,
            node.id,
            {"revision": node.revision},
            now,
            max_attempts=self._attempts,
        )

    async def _entry(self, session: AsyncSession, node: Node) -> Entry:
        if node.kind is NodeKind.FOLDER:
            return Entry(node=node, indexing=None)
        job = await jobs.find_job(session, INDEX_JOB, node.id)
        return Entry(node=node, indexing=indexing_of(node, job, self._clock()))


async def _node(session: AsyncSession, node_id: str, kind: NodeKind, needed: str) -> Node:
    """The node if the caller may act on it with `needed` (see `visibility.require`)."""
    node = await store.get_node(session, node_id, kind)
    visibility.require(node, needed)
    return node


async def _write(session: AsyncSession, file_id: str, upload: Upload) -> None:
    """Copy the spooled upload into the database piece by piece (never whole in memory)."""
    upload.content.seek(0)
    seq = 0
    while piece := await asyncio.to_thread(upload.content.read, PIECE):
        await store.add_piece(session, file_id, seq, piece)
        seq += 1
