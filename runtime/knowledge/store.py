"""SQL for the file tree and file content in pieces: nodes, paths, moves, blobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db.errors import translate
from runtime.db.tables.knowledge import BlobRow, NodeRow
from runtime.knowledge import visibility
from runtime.knowledge.names import MAX_PATH
from runtime.knowledge.types import Node, NodeKind, Scope


def _node(row: NodeRow) -> Node:
    return msgspec.convert(row, Node, from_attributes=True)


def _under(prefix: str) -> Any:
    """The nodes strictly below the folder at `prefix` ("" for the root: every node)."""
    return NodeRow.path.startswith(prefix + "/", autoescape=True)


def _at_or_under(path: str) -> Any:
    return (NodeRow.path == path) | _under(path)


def viewable() -> Any:
    """Condition on `NodeRow` for the nodes the current caller may view (`visibility.View`)."""
    view = visibility.current()
    if view is None:
        return true()
    hidden = []
    for path, below in view.hidden():
        inside = _at_or_under(path)
        for governed in below:  # decided by its own entries
            inside = inside & ~_at_or_under(governed)
        hidden.append(inside)
    return ~or_(*hidden) if hidden else true()


def visible(prefix: str) -> Any:
    """Condition on `NodeRow` for what the current caller may see below `prefix`.

    The one place access entries on folders and files plug in: search, listing and retrieval
    all select nodes through it.
    """
    below = _under(prefix) if prefix else NodeRow.path.is_not(None)
    return below if everything_visible() else below & viewable()


def everything_visible() -> bool:
    """True while `visible` filters nothing but the folder (no caller view is set)."""
    return visibility.current() is None


def scope_condition(scope: Scope) -> Any:
    """The files a search may return: visible, under the scope's folder, matching its filters."""
    condition = visible(scope.path) & (NodeRow.kind == NodeKind.FILE.value)
    for key, value in scope.filters:
        condition = condition & (NodeRow.meta[key].as_string() == value)
    return condition


async def get_node(session: AsyncSession, node_id: str, kind: NodeKind | None = None) -> Node:
    row = await session.get(NodeRow, node_id)
    if row is None or (kind is not None and row.kind != kind.value):
        what = kind.value if kind else "file or folder"
        raise errors.NotFoundError(f"{what} {node_id} not found", param="id")
    return _node(row)


async def find_folder(session: AsyncSession, path: str) -> Node | None:
    """The folder at `path` (stored form, `/docs`), if there is one."""
    where = (NodeRow.path == path) & (NodeRow.kind == NodeKind.FOLDER.value)
    row = await session.scalar(select(NodeRow).where(where))
    return None if row is None else _node(row)


async def list_nodes(session: AsyncSession, prefix: str) -> list[Node]:
    """The node at `prefix` (if a file) and every node below it, by path."""
    at = (NodeRow.path == prefix) & (NodeRow.kind == NodeKind.FILE.value)
    where = or_(_under(prefix), at) if prefix else NodeRow.path.is_not(None)
    if not everything_visible():
        where = where & viewable()
    rows = await session.scalars(select(NodeRow).where(where).order_by(NodeRow.path))
    return [_node(row) for row in rows]


async def paths_of(session: AsyncSession, node_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Node id -> (kind, path) of those of `node_ids` that exist."""
    rows = await session.execute(
        select(NodeRow.id, NodeRow.kind, NodeRow.path).where(NodeRow.id.in_(node_ids))
    )
    return {row.id: (row.kind, row.path) for row in rows}


async def files_under(session: AsyncSession, prefix: str) -> list[str]:
    """The ids of the files below the folder at `prefix`."""
    rows = await session.scalars(
        select(NodeRow.id).where(_under(prefix), NodeRow.kind == NodeKind.FILE.value)
    )
    return list(rows)


async def create_node(session: AsyncSession, node: Node) -> None:
    with translate(conflict=f"a file or folder at {node.path} already exists"):
        session.add(NodeRow(**msgspec.structs.asdict(node)))
        await session.flush()


async def update_node(session: AsyncSession, node_id: str, now: datetime, **values: Any) -> None:
    await session.execute(
        update(NodeRow).where(NodeRow.id == node_id).values(updated_at=now, **values)
    )


async def relocate(
    session: AsyncSession, node: Node, parent_id: str | None, path: str, name: str, now: datetime
) -> None:
    """Give `node` a new parent and name; the paths of everything below follow.

    A folder whose deepest path would grow past `MAX_PATH` stays where it is (422).
    """
    with translate(conflict=f"a file or folder at {path} already exists"):
        if node.kind is NodeKind.FOLDER:
            longest = await session.scalar(
                select(func.max(func.length(NodeRow.path))).where(_under(node.path))
            )
            if longest is not None and longest - len(node.path) + len(path) > MAX_PATH:
                raise errors.InvalidInputError(
                    f"a path below this folder would be longer than {MAX_PATH} characters",
                    param="name",
                )
            await session.execute(
                update(NodeRow)
                .where(_under(node.path))
                .values(path=path + func.substr(NodeRow.path, len(node.path) + 1))
                .execution_options(synchronize_session=False)
            )
        await update_node(session, node.id, now, parent_id=parent_id, path=path, name=name)
        await session.flush()


async def delete_node(session: AsyncSession, node_id: str) -> None:
    """Delete a node; everything below it, content and chunks go with it (cascade)."""
    await session.execute(delete(NodeRow).where(NodeRow.id == node_id))


async def add_piece(session: AsyncSession, file_id: str, seq: int, data: bytes) -> None:
    await session.execute(insert(BlobRow).values(file_id=file_id, seq=seq, data=data))


async def clear_content(session: AsyncSession, file_id: str) -> None:
    await session.execute(delete(BlobRow).where(BlobRow.file_id == file_id))


async def read_piece(session: AsyncSession, file_id: str, seq: int, revision: int) -> bytes | None:
    """Piece `seq` of the file's content while it is still at `revision`; None past the end."""
    data = await session.scalar(
        select(BlobRow.data)
        .join(NodeRow, NodeRow.id == BlobRow.file_id)
        .where(BlobRow.file_id == file_id, BlobRow.seq == seq, NodeRow.revision == revision)
    )
    return None if data is None else bytes(data)
