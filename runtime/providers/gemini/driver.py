"""Gemini over HTTP: list the models the API key may use (no pulls, no deletes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx

from runtime.providers.base import PROMPT_TEMPERATURE, Chat, DriverSettings
from runtime.providers.errors import (
    BadProviderResponseError,
    ProviderUnreachableError,
    UnsupportedOperationError,
)
from runtime.providers.gemini import wire
from runtime.providers.gemini.chat import completion, decode, message_of, to_gemini
from runtime.providers.gemini.stream import GeminiStreamTranslator
from runtime.providers.http import JsonApi
from runtime.providers.messages import Capabilities, Embedded, PullProgress, ServedModel
from runtime.wire.openai import Chunk, Completion

_MAX_PAGES = 20


class GeminiDriver:
    """Talks to the Gemini API at `base_url` with one API key."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        settings: DriverSettings,
        *,
        api_key: str | None,
    ) -> None:
        self._key = api_key
        headers = {"x-goog-api-key": api_key} if api_key else {}
        # Gemini answers some of its own problems with a 400 (a key not valid, a location not
        # served): those are the backend's, and cool it down like any failure
        self._api = JsonApi(
            client,
            base_url,
            timeout=settings.timeout,
            headers=headers,
            direct=settings.direct,
            refusals=False,
        )

    async def list_models(self) -> list[ServedModel]:
        if not self._key:
            raise ProviderUnreachableError("API key not configured")
        found: list[ServedModel] = []
        token = ""
        for _ in range(_MAX_PAGES):
            path = "/v1beta/models?pageSize=1000" + (f"&pageToken={quote(token)}" if token else "")
            page = await self._api.call("GET", path, wire.GeminiModelList, what="list models")
            found += [wire.served(entry) for entry in page.models or ()]
            token = page.next_page_token
            if not token:
                break
        return found

    async def describe(self, model: ServedModel) -> Capabilities | None:
        return model.capabilities

    async def chat(self, chat: Chat) -> Completion:
        response = await self._api.send(
            "POST", f"/v1beta/models/{chat.model}:generateContent", what="chat", raw=to_gemini(chat)
        )
        return completion(decode(response.content), chat.request.model)

    async def stream_chat(self, chat: Chat) -> AsyncIterator[Chunk]:
        translator = GeminiStreamTranslator(chat.request.model)
        path = f"/v1beta/models/{chat.model}:streamGenerateContent?alt=sse"
        async with self._api.stream("POST", path, what="chat", raw=to_gemini(chat)) as response:
            async for line in response.aiter_lines():
                for chunk in translator.line(line):
                    yield chunk
        for chunk in translator.end():  # a stream that stopped without a finish reason
            yield chunk

    async def prompt(
        self, model: str, system: str, prompt: str, temperature: float = PROMPT_TEMPERATURE
    ) -> str:
        body = {
            "systemInstruction": {"parts": [{"text": system}]},
            "contents": [{"role": "user", "parts": [{"text": prompt}]}],
            "generationConfig": {"temperature": temperature},
        }
        response = await self._api.send(
            "POST", f"/v1beta/models/{model}:generateContent", what="prompt", body=body
        )
        text, _, _ = message_of(decode(response.content))
        return text

    async def embed(
        self, model: str, texts: list[str], *, dimensions: int | None = None
    ) -> Embedded:
        name = f"models/{model}"
        requests: list[dict[str, object]] = [
            {"model": name, "content": {"parts": [{"text": text}]}} for text in texts
        ]
        if dimensions is not None:
            for request in requests:
                request["outputDimensionality"] = dimensions
        answer = await self._api.call(
            "POST",
            f"/v1beta/models/{model}:batchEmbedContents",
            wire.BatchEmbedded,
            what="embed",
            body={"requests": requests},
        )
        if not answer.embeddings or len(answer.embeddings) != len(texts):
            raise BadProviderResponseError("embed: the backend returned no embedding per text")
        return Embedded(vectors=[e.values for e in answer.embeddings])

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        raise UnsupportedOperationError(f"cannot pull {model}: Gemini does not pull")

    async def delete(self, model: str) -> None:
        raise UnsupportedOperationError(f"cannot delete {model}: Gemini does not delete models")
