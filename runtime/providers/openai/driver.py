"""OpenAI-compatible servers over HTTP: list the served models (no pulls, no deletes)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec

from runtime.providers.base import PROMPT_TEMPERATURE, Chat, DriverSettings
from runtime.providers.errors import (
    BadProviderResponseError,
    RefusedRequestError,
    UnsupportedOperationError,
)
from runtime.providers.http import JsonApi
from runtime.providers.messages import Capabilities, Embedded, PullProgress, ServedModel
from runtime.providers.openai import wire
from runtime.wire import openai as oa

log = logging.getLogger("runtime.providers")


class OpenAIDriver:
    """Talks to one OpenAI-compatible server; `base_url` may end in `/v1` or not."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        settings: DriverSettings,
        *,
        api_key: str | None,
    ) -> None:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._api = JsonApi(
            client,
            wire.api_root(base_url),
            timeout=settings.timeout,
            headers=headers,
            direct=settings.direct,
        )
        self._usage_refused = False  # the backend refused `stream_options` once

    async def list_models(self) -> list[ServedModel]:
        listed = await self._api.call("GET", "/models", wire.ModelList, what="list models")
        return [wire.served(entry) for entry in listed.data or ()]

    async def describe(self, model: ServedModel) -> Capabilities | None:
        return model.capabilities

    async def chat(self, chat: Chat) -> bytes:
        response = await self._api.send("POST", "/chat/completions", what="chat", raw=_body(chat))
        return response.content

    async def stream_chat(self, chat: Chat) -> AsyncIterator[bytes]:
        """The backend's SSE bytes, relayed as they arrive; with the usage event if it can.

        The stream is asked for its usage (`stream_options.include_usage`) whether or not the
        client asked, so what it cost is known (token limits, metrics); the gateway passes that
        event on only to a client that asked for it. A backend that refuses the option (some
        OpenAI-compatible servers reject fields they do not know) gets the request again
        without it, and is not asked again: unless the client itself asked for the usage.
        """
        asked = chat.body is not None and chat.request.wants_usage
        if self._usage_refused and not asked:
            body = _without_usage(chat)
        else:
            body = _body(chat, usage=True)
        try:
            async for chunk in self._stream(body):
                yield chunk
        except RefusedRequestError as exc:
            if asked or self._usage_refused or b"stream_options" not in exc.said:
                raise
            async for chunk in self._stream(_without_usage(chat)):
                if not self._usage_refused:  # refused for the option: it went through without
                    self._usage_refused = True
                    log.warning(
                        "%s refused stream_options: its streams are no longer asked for usage",
                        self._api.base,
                    )
                yield chunk

    async def _stream(self, body: bytes) -> AsyncIterator[bytes]:
        async with self._api.stream("POST", "/chat/completions", what="chat", raw=body) as response:
            async for chunk in response.aiter_raw():
                yield chunk

    async def prompt(
        self, model: str, system: str, prompt: str, temperature: float = PROMPT_TEMPERATURE
    ) -> str:
        body = {
            "model": model,
            "temperature": temperature,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ],
        }
        answer = await self._api.call(
            "POST", "/chat/completions", oa.Completion, what="prompt", body=body
        )
        if not answer.choices:
            raise BadProviderResponseError("prompt: the backend returned no choice")
        return answer.message.content or ""

    async def embed(
        self, model: str, texts: list[str], *, dimensions: int | None = None
    ) -> Embedded:
        body: dict[str, object] = {"model": model, "input": texts}
        if dimensions is not None:
            body["dimensions"] = dimensions
        answer = await self._api.call(
            "POST", "/embeddings", wire.Embeddings, what="embed", body=body
        )
        if not answer.data or len(answer.data) != len(texts):
            raise BadProviderResponseError("embed: the backend returned no embedding per text")
        ordered = sorted(answer.data, key=lambda item: item.index)
        tokens = answer.usage.prompt_tokens if answer.usage else 0
        return Embedded(vectors=[item.embedding for item in ordered], prompt_tokens=tokens)

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        raise UnsupportedOperationError(
            f"cannot pull {model}: OpenAI-compatible servers do not pull"
        )

    async def delete(self, model: str) -> None:
        raise UnsupportedOperationError(
            f"cannot delete {model}: OpenAI-compatible servers do not delete models"
        )


_USAGE_ASKED = b'"stream_options":{"include_usage":true}'


def _with_usage(body: bytes) -> bytes:
    """The request body with `stream_options.include_usage` set (other options kept)."""
    if b"stream_options" not in body.lower():  # the common case: one insertion, no parse
        start = body.index(b"{") + 1
        rest = body[start:].lstrip()
        return b"{" + _USAGE_ASKED + (b"," if rest[:1] != b"}" else b"") + rest
    request = msgspec.json.decode(body)
    request["stream_options"] = _options_taken(request) | {"include_usage": True}
    return msgspec.json.encode(request)


def _without_usage(chat: Chat) -> bytes:
    """The request without `stream_options` (for a backend that refuses the field)."""
    body = _body(chat)
    if b"stream_options" not in body.lower():  # the common case: nothing to take out
        return body
    request = msgspec.json.decode(body)
    _options_taken(request)
    return msgspec.json.encode(request)


def _options_taken(request: dict[str, Any]) -> dict[str, object]:
    """Take `stream_options` (under any casing of the key) out of a request; what they held."""
    options: dict[str, object] = {}
    for key in [key for key in request if key.lower() == "stream_options"]:
        given = request.pop(key)
        options |= given if isinstance(given, dict) else {}
    return options


def _body(chat: Chat, *, usage: bool = False) -> bytes:
    """The client's request as sent (with the backend's model name), or the one we built.

    With `usage`, it asks for the stream's usage event (see `stream_chat`).
    """
    if chat.body is None:
        request = msgspec.structs.replace(chat.request, model=chat.model)
        if usage:
            request = msgspec.structs.replace(
                request, stream_options=oa.StreamOptions(include_usage=True)
            )
        return msgspec.json.encode(request)
    body = chat.body
    if chat.model != chat.request.model:
        renamed = msgspec.json.decode(body)
        renamed["model"] = chat.model
        body = msgspec.json.encode(renamed)
    return _with_usage(body) if usage else body
