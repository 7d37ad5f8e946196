"""The Driver protocol: what the runtime asks of every kind of LLM backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import msgspec

from runtime.providers.messages import Capabilities, Embedded, PullProgress, ServedModel
from runtime.providers.transport import LeanTransport
from runtime.wire.openai import ChatRequest, Completion
from runtime.wire.sse import StreamItem

# single prompts (SPEC 7): near-deterministic answers unless the task asks otherwise
PROMPT_TEMPERATURE = 0.1


class DriverSettings:
    """Timeouts every driver uses, and the transport to write requests on directly.

    `direct` is None when requests must go through httpx (to reach backends through a proxy).
    """

    def __init__(
        self, *, timeout: float, pull_stall: float, direct: LeanTransport | None = None
    ) -> None:
        self.timeout = timeout
        self.pull_stall = pull_stall
        self.direct = direct


class Chat(msgspec.Struct, frozen=True, kw_only=True):
    """A chat call for a driver: the request, the client's bytes if any, the served model name.

    `body` is the request exactly as a client sent it (relayed as it is to OpenAI-compatible
    backends when the model name matches); None when the request was built in-process.
    """

    request: ChatRequest
    model: str
    body: bytes | None = None


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

    async def chat(self, chat: Chat) -> Completion | bytes:
        """The whole answer: a `Completion`, or an OpenAI backend's JSON bytes relayed as sent."""
        ...

    def stream_chat(self, chat: Chat) -> AsyncIterator[StreamItem]:
        """The answer as it is produced: `Chunk`s, or an OpenAI backend's SSE bytes relayed.

        Fails before yielding anything when the backend cannot start the answer.
        """
        ...

    async def prompt(
        self, model: str, system: str, prompt: str, temperature: float = PROMPT_TEMPERATURE
    ) -> str:
        """One completion of a single prompt with a system instruction."""
        ...

    async def embed(
        self, model: str, texts: list[str], *, dimensions: int | None = None
    ) -> Embedded:
        """One vector per text, in order; `dimensions` asks the backend to shorten them."""
        ...

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download a model onto the backend, reporting progress as it goes."""
        ...

    async def delete(self, model: str) -> None:
        """Remove a model from the backend."""
        ...
