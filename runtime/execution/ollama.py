"""OllamaGateway: Ollama client calls (chat, generate, embed) answered through the ChatGateway.

The requests are translated to OpenAI ones (`wire.ollama_requests`) and routed like any other,
to whatever kind of backend serves the model; the answers are translated back
(`wire.ollama_answers`). A request with nothing to answer is Ollama's way to load a model: it
is answered at once, once the model is known to be servable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from runtime.execution.gateway import ChatGateway
from runtime.routing import Capability
from runtime.wire import ollama as ow
from runtime.wire import ollama_answers as answers
from runtime.wire.ollama_requests import chat_request, generate_request
from runtime.wire.openai import ChatRequest, as_completion


class OllamaGateway:
    """Answers Ollama's /api/chat, /api/generate, /api/embed and /api/embeddings."""

    def __init__(self, gateway: ChatGateway) -> None:
        self._gateway = gateway

    async def chat(self, request: ow.OllamaChatRequest) -> ow.ChatChunk | ow.Generated:
        """The whole answer (`stream: false`)."""
        timing = answers.Timing()
        if not request.messages:
            return await self._loaded(request.model, generate=False)
        chat = chat_request(request)
        completion = as_completion(await self._gateway.complete(chat))
        return answers.chat_answer(chat, completion, timing)

    async def generate(self, request: ow.GenerateRequest) -> ow.ChatChunk | ow.Generated:
        """The whole answer to a prompt (`stream: false`)."""
        timing = answers.Timing()
        if not request.prompt and not request.system:
            return await self._loaded(request.model, generate=True)
        chat = generate_request(request)
        completion = as_completion(await self._gateway.complete(chat))
        return answers.generate_answer(chat, completion, timing)

    async def stream_chat(self, request: ow.OllamaChatRequest) -> AsyncIterator[bytes]:
        """NDJSON lines; when this returns the backend has started answering (or it raised)."""
        timing = answers.Timing()
        if not request.messages:
            return _one(await self._loaded(request.model, generate=False))
        return await self._stream(chat_request(request), timing, generate=False)

    async def stream_generate(self, request: ow.GenerateRequest) -> AsyncIterator[bytes]:
        """NDJSON lines of a prompt's answer (see `stream_chat`)."""
        timing = answers.Timing()
        if not request.prompt and not request.system:
            return _one(await self._loaded(request.model, generate=True))
        return await self._stream(generate_request(request), timing, generate=True)

    async def _stream(
        self, chat: ChatRequest, timing: answers.Timing, *, generate: bool
    ) -> AsyncIterator[bytes]:
        items = await self._gateway.stream(chat)
        return answers.ndjson(items, answers.Lines(chat, timing, generate=generate))

    async def _loaded(self, model: str, *, generate: bool) -> ow.ChatChunk | ow.Generated:
        await self._gateway.routes(model, Capability.CHAT)  # raises why nobody can serve it
        return answers.loaded(model, generate=generate)

    async def embed(self, request: ow.EmbedRequest) -> ow.Embedded:
        """One vector per input text (a text alone is a list of one, an empty one of none)."""
        timing = answers.Timing()
        given = request.input
        texts = ([given] if given else []) if isinstance(given, str) else given
        if not texts:
            await self._gateway.routes(request.model, Capability.EMBED)
            return ow.Embedded(model=request.model, embeddings=[])
        embedded = await self._gateway.embed(request.model, texts, dimensions=request.dimensions)
        return ow.Embedded(
            model=request.model,
            embeddings=embedded.vectors,
            total_duration=timing.elapsed(),
            prompt_eval_count=embedded.prompt_tokens,
        )

    async def embed_legacy(self, request: ow.LegacyEmbedRequest) -> ow.LegacyEmbedded:
        """The older /api/embeddings: one `prompt`, one `embedding` (empty for no text)."""
        if not request.prompt:
            await self._gateway.routes(request.model, Capability.EMBED)
            return ow.LegacyEmbedded(embedding=[])
        embedded = await self._gateway.embed(request.model, [request.prompt])
        return ow.LegacyEmbedded(embedding=embedded.vectors[0])


async def _one(answer: ow.ChatChunk | ow.Generated) -> AsyncIterator[bytes]:
    yield answers.line(answer)
