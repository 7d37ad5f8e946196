"""GatewayEmbedder: the knowledge base's embeddings through the normal routing (EMBED_MODEL)."""

from __future__ import annotations

from runtime import errors
from runtime.config import DefaultModel
from runtime.execution.gateway import ChatGateway


class GatewayEmbedder:
    """Embeds with the configured embedding model, on whatever backend its group routes to."""

    def __init__(self, gateway: ChatGateway, model: DefaultModel | None) -> None:
        self._gateway = gateway
        self._model = model

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if self._model is None:
            raise errors.UnavailableError("no embedding model (EMBED_MODEL) is configured")
        try:
            embedded = await self._gateway.embed(self._model.model, texts)
        except errors.ModelNotFoundError as exc:
            raise errors.UnavailableError(exc.message) from exc
        return [list(vector) for vector in embedded.vectors]
