"""A fake Gemini API for model listing: `/v1beta/models` with paging and key checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import send_json


@dataclass
class FakeGemini:
    """Serves `models` (Gemini's model resources) to callers presenting `api_key`."""

    api_key: str = "gk-test"
    page_size: int = 2
    models: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def add_model(self, name: str, *, methods: list[str], input_tokens: int = 32768) -> None:
        self.models.append(
            {
                "name": f"models/{name}",
                "displayName": name,
                "inputTokenLimit": input_tokens,
                "outputTokenLimit": 8192,
                "supportedGenerationMethods": methods,
            }
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        self.requests.append((scope["method"], scope["path"], headers))
        if headers.get("x-goog-api-key") != self.api_key:
            await send_json(
                send,
                400,
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid.",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
            return
        if scope["path"] != "/v1beta/models":
            await send_json(send, 404, {"error": {"code": 404, "message": "not found"}})
            return
        start = int(query.get("pageToken") or 0)
        page = self.models[start : start + self.page_size]
        body: dict[str, Any] = {"models": page}
        if start + self.page_size < len(self.models):
            body["nextPageToken"] = str(start + self.page_size)
        await send_json(send, 200, body)
