"""What the knowledge base needs from the rest of the server: embeddings (routed by wiring)."""

from __future__ import annotations

from typing import Protocol


class Embedder(Protocol):
    """Vectors for texts from the embedding model's group.

    Raises `errors.UnavailableError` when no backend can embed (or no model is configured).
    """

    async def embed(self, texts: list[str]) -> list[list[float]]: ...
