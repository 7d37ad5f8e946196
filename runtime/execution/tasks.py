"""Single prompts and embeddings on the default (or a named) model, routed like chat."""

from __future__ import annotations

from runtime import errors
from runtime.config import DefaultModel
from runtime.execution.gateway import ChatGateway

SYSTEM = (
    "You are a task processing engine talking to other machines. "
    "Return the direct answer without explanation to the given task."
)


class TaskService:
    """`/execute` and `/embed`: one prompt or one text, on the task or embedding model."""

    def __init__(
        self,
        gateway: ChatGateway,
        *,
        task_model: DefaultModel | None,
        embed_model: DefaultModel | None,
    ) -> None:
        self._gateway = gateway
        self._task_model = task_model
        self.embed_model = embed_model

    async def prompt(self, prompt: str, *, model: str = "", provider: str = "") -> str:
        if not prompt.strip():
            raise errors.BadRequestError("prompt is empty", param="prompt")
        name = model or (self._task_model.model if self._task_model else "")
        if not name:
            raise errors.BadRequestError(
                "no model given and no default task model (TASK_MODEL) configured",
                param="model_name",
            )
        return await self._gateway.prompt(name, SYSTEM, prompt, provider=provider or None)

    async def embed(self, text: str) -> list[float]:
        if not text.strip():
            raise errors.InvalidInputError("embedding failed: text is empty", param="text")
        if self.embed_model is None:
            raise errors.InvalidInputError(
                "embedding failed: no default embedding model (EMBED_MODEL) configured"
            )
        embedded = await self._gateway.embed(self.embed_model.model, [text])
        return embedded.vectors[0]
