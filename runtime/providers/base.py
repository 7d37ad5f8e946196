"""The Driver protocol: what the runtime asks of every kind of LLM backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from runtime.providers.chat import Chat
from runtime.providers.messages import Capabilities, PullProgress, ServedModel

# single prompts (SPEC 7): near-deterministic answers unless the task asks otherwise
PROMPT_TEMPERATURE = 0.1


class Driver(Protocol):
    """One backend's HTTP API behind the calls the runtime makes.

    Every method raises only `runtime.providers.errors` types (or other `runtime.errors`).
    """

    async def list_models(self) -> list[ServedModel]:
        """The models the backend serves now; a failure means the backend is unhealthy."""
        ...

    async def describe(self, model: ServedModel) -> Capabilities | None:
        """Capabilities and context length of one served model; None when the API cannot say."""
        ...

    async def chat(self, chat: Chat) -> bytes:
        """A whole OpenAI `chat.completion` for an OpenAI chat request."""
        ...

    def stream_chat(self, chat: Chat) -> AsyncIterator[bytes]:
        """OpenAI SSE bytes (`data: {...}` events, then `data: [DONE]`) as they are produced.

        Fails before yielding anything when the backend cannot start the answer.
        """
        ...

    async def prompt(
        self, model: str, system: str, prompt: str, temperature: float = PROMPT_TEMPERATURE
    ) -> str:
        """One completion of a single prompt with a system instruction."""
        ...

    async def embed(self, model: str, text: str) -> list[float]:
        """The embedding vector of one text."""
        ...

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download a model onto the backend, reporting progress as it goes."""
        ...

    async def delete(self, model: str) -> None:
        """Remove a model from the backend."""
        ...
