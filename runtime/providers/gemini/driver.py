"""Gemini over HTTP: list the models the API key may use (no pulls, no deletes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx

from runtime.providers.chat import Chat
from runtime.providers.errors import ProviderUnreachableError, UnsupportedOperationError
from runtime.providers.gemini import wire
from runtime.providers.http import JsonApi
from runtime.providers.messages import Capabilities, PullProgress, ServedModel

_MAX_PAGES = 20


class GeminiDriver:
    """Talks to the Gemini API at `base_url` with one API key."""

    def __init__(
        self, client: httpx.AsyncClient, base_url: str, *, timeout: float, api_key: str | None
    ) -> None:
        self._key = api_key
        headers = {"x-goog-api-key": api_key} if api_key else {}
        self._api = JsonApi(client, base_url, timeout=timeout, headers=headers)

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

    async def chat(self, chat: Chat) -> bytes:
        raise UnsupportedOperationError(f"chat with {chat.model}: not built for Gemini yet")

    def stream_chat(self, chat: Chat) -> AsyncIterator[bytes]:
        raise UnsupportedOperationError(f"chat with {chat.model}: not built for Gemini yet")

    async def prompt(self, model: str, system: str, prompt: str) -> str:
        raise UnsupportedOperationError(f"prompt with {model}: not built for Gemini yet")

    async def embed(self, model: str, text: str) -> list[float]:
        raise UnsupportedOperationError(f"embed with {model}: not built for Gemini yet")

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        raise UnsupportedOperationError(f"cannot pull {model}: Gemini does not pull")

    async def delete(self, model: str) -> None:
        raise UnsupportedOperationError(f"cannot delete {model}: Gemini does not delete models")
