"""Ollama over HTTP: list, describe, pull (streamed progress) and delete models."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec

from runtime.providers.base import PROMPT_TEMPERATURE, Chat, DriverSettings
from runtime.providers.errors import BadProviderResponseError, ModelMissingError
from runtime.providers.http import JsonApi, check_status, ndjson_lines, reachable
from runtime.providers.messages import Capabilities, Embedded, PullProgress, ServedModel
from runtime.providers.ollama import wire
from runtime.providers.ollama.chat import completion, to_ollama
from runtime.providers.ollama.stream import StreamTranslator
from runtime.wire import ollama as ow
from runtime.wire.openai import Chunk, Completion


class OllamaDriver:
    """Talks to one Ollama server at `base_url`."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, settings: DriverSettings) -> None:
        self._api = JsonApi(client, base_url, timeout=settings.timeout, direct=settings.direct)
        self._pull_timeout = httpx.Timeout(settings.timeout, read=settings.pull_stall)

    async def list_models(self) -> list[ServedModel]:
        tags = await self._api.call("GET", "/api/tags", ow.Tags, what="list models")
        return [wire.served(tag) for tag in tags.models or ()]

    async def describe(self, model: ServedModel) -> Capabilities:
        show = await self._api.call(
            "POST",
            "/api/show",
            ow.Show,
            what=f"describe {model.name}",
            body={"model": model.name},
        )
        return wire.capabilities(show)

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Stream the pull; a read gap longer than the stall timeout raises unreachable."""
        what = f"pull {model}"
        async with (
            reachable(what),
            self._api.client.stream(
                "POST",
                f"{self._api.base}/api/pull",
                content=msgspec.json.encode({"model": model, "stream": True}),
                timeout=self._pull_timeout,
            ) as response,
        ):
            if not response.is_success:
                body = await response.aread()
                if b'"error"' in body:
                    _pull_line(body, what)
                check_status(response, body, what)
            async for raw in ndjson_lines(response):
                yield _pull_line(raw, what)

    async def chat(self, chat: Chat) -> Completion:
        response = await self._api.send(
            "POST", "/api/chat", what="chat", raw=to_ollama(chat, stream=False)
        )
        try:
            answer = msgspec.json.decode(response.content, type=ow.ChatChunk)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadProviderResponseError(f"chat: unreadable answer: {exc}") from exc
        return completion(answer, chat.request.model)

    async def stream_chat(self, chat: Chat) -> AsyncIterator[Chunk]:
        """OpenAI chunks as Ollama produces tokens; raises before the first one on failure."""
        translator = StreamTranslator(chat.request.model)
        async with self._api.stream(
            "POST", "/api/chat", what="chat", raw=to_ollama(chat, stream=True)
        ) as response:
            async for line in ndjson_lines(response):
                for chunk in translator.line(line):
                    yield chunk

    async def prompt(
        self, model: str, system: str, prompt: str, temperature: float = PROMPT_TEMPERATURE
    ) -> str:
        body = {
            "model": model,
            "system": system,
            "prompt": prompt,
            "stream": False,
            "options": {"temperature": temperature},
        }
        answer = await self._api.call(
            "POST", "/api/generate", ow.Generated, what="prompt", body=body
        )
        return answer.response

    async def embed(
        self, model: str, texts: list[str], *, dimensions: int | None = None
    ) -> Embedded:
        request = ow.EmbedRequest(model=model, input=texts, dimensions=dimensions)
        answer = await self._api.call("POST", "/api/embed", ow.Embedded, what="embed", body=request)
        if not answer.embeddings or len(answer.embeddings) != len(texts):
            raise BadProviderResponseError("embed: the backend returned no embedding per text")
        return Embedded(vectors=answer.embeddings, prompt_tokens=answer.prompt_eval_count)

    async def delete(self, model: str) -> None:
        await self._api.send("DELETE", "/api/delete", what=f"delete {model}", body={"model": model})


def _pull_line(raw: bytes, what: str) -> PullProgress:
    try:
        line = msgspec.json.decode(raw, type=ow.PullLine)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadProviderResponseError(f"{what}: unreadable progress line: {raw[:200]!r}") from exc
    if line.error:
        if "file does not exist" in line.error or "not found" in line.error:
            raise ModelMissingError(f"{what}: {line.error}")
        raise BadProviderResponseError(f"{what}: {line.error}")
    return wire.progress(line)
