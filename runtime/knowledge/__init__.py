"""The knowledge base: files and folders, their indexing into chunks, and hybrid search."""

from runtime.knowledge.service import FileService
from runtime.knowledge.types import Entry, Indexing, IndexState, Node, NodeKind, Scope, Upload

__all__ = ["Entry", "FileService", "IndexState", "Indexing", "Node", "NodeKind", "Scope", "Upload"]
