"""What the caller may see and change of the file tree, from access entries on folders and files.

An entry names a folder or a file by id (`resourceType` `folder` or `file`). A node is governed
by the nearest node at or above it that has entries (`identity.access.decide`: files and folders
inherit from their folder); a node with none up its path follows the route's scope alone.
`knowledge.access.Visibility` computes the caller's `View` and sets it for the store's `visible`
filter. Someone who may not view a node is told it does not exist (404); someone who may view it
but not change it is refused (403). Pure, but for the context variable holding the view.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from runtime import errors
from runtime.identity.access import Resource, decide
from runtime.identity.types import Principal
from runtime.knowledge.types import Node, NodeKind

KINDS = (NodeKind.FOLDER.value, NodeKind.FILE.value)  # the resource types entries use here
_view: ContextVar[View | None] = ContextVar("knowledge_view", default=None)


def _parent(resource: Resource) -> Resource | None:
    kind, path = resource
    parent = path.rsplit("/", 1)[0]
    return (kind, parent) if parent else None


@dataclass(frozen=True)
class View:
    """One caller's access to the tree: the entries of governed nodes, keyed by path."""

    who: Principal
    entries: Mapping[Resource, Mapping[str, str]]  # ("path", path) -> identity -> permission

    def permits(self, path: str, needed: str) -> bool:
        return decide(self.who, ("path", path), needed, self.entries, _parent)

    def hidden(self) -> list[tuple[str, list[str]]]:
        """Each governed path the caller may not view, with the governed paths below it.

        What lies under a hidden path is hidden unless a governed node below decides otherwise.
        """
        paths = [path for _, path in self.entries]
        return [
            (path, [other for other in paths if other.startswith(path + "/")])
            for path in paths
            if not self.permits(path, "view")
        ]

    def require(self, node: Node, needed: str) -> None:
        """Refuse unless the caller may act with `needed` on `node` (404 if it may not view it)."""
        if self.permits(node.path, needed):
            return
        if needed != "view" and self.permits(node.path, "view"):
            raise errors.PermissionDeniedError(f"permission denied: this needs {needed!r} access")
        raise errors.NotFoundError(f"{node.kind.value} {node.id} not found", param="id")


def current() -> View | None:
    """The view the running service call filters by; None: everything is visible."""
    return _view.get()


def require(node: Node, needed: str) -> None:
    """`View.require` for the current view (nothing to check when everything is visible)."""
    view = _view.get()
    if view is not None:
        view.require(node, needed)


@contextmanager
def viewing(view: View | None) -> Iterator[None]:
    """Filter what runs inside (tasks it starts included) by `view`."""
    token = _view.set(view)
    try:
        yield
    finally:
        _view.reset(token)
