"""A fake Gemini API: model listing with paging, generateContent (JSON and SSE), embeddings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import read_body, send_json
from tests.fakes.script import ChatScript


@dataclass
class FakeGemini:
    """Serves `models` (Gemini's model resources) to callers presenting `api_key`."""

    api_key: str = "gk-test"
    page_size: int = 2
    models: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    chat: ChatScript = field(default_factory=ChatScript)

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
        if scope["method"] == "POST":
            await self._generate(scope["path"], await read_body(receive), send)
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

    async def _generate(self, path: str, body: Any, send: Any) -> None:
        self.bodies.append(body)
        action = path.rsplit(":", 1)[-1]
        if action == "embedContent":
            text = body["content"]["parts"][0]["text"]
            await send_json(send, 200, {"embedding": {"values": _vector(text, None)}})
            return
        if action == "batchEmbedContents":
            vectors = [
                {"values": _vector(r["content"]["parts"][0]["text"], r.get("outputDimensionality"))}
                for r in body["requests"]
            ]
            await send_json(send, 200, {"embeddings": vectors})
            return
        failure = self.chat.take_failure()
        if failure:
            await send_json(send, failure, {"error": {"code": failure, "message": "injected"}})
            return
        last = next(c for c in reversed(body["contents"]) if c["role"] == "user")
        text = "".join(p.get("text", "") for p in last["parts"])
        chunks = self.chat.answer([{"role": "user", "content": text}])
        calls = [{"functionCall": {"name": n, "args": a}} for n, a in self.chat.tool_calls]
        usage = {"promptTokenCount": 4, "candidatesTokenCount": len(chunks)}
        if action == "generateContent":
            parts = [{"text": "".join(chunks)}, *calls]
            await send_json(send, 200, _answer(parts, "STOP", usage))
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        events = [_answer([{"text": c}], "", None) for c in chunks]
        events.append(_answer(calls or [{"text": ""}], "STOP", usage))
        for event in events:
            data = b"data: " + json.dumps(event).encode() + b"\r\n\r\n"
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _answer(parts: list[Any], finish: str, usage: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate]} | ({"usageMetadata": usage} if usage else {})


def _vector(text: str, dimensions: int | None) -> list[float]:
    """A made-up embedding: the text's length, then ones (shortened as asked)."""
    vector = [float(len(text)), 1.0, 1.0, 1.0]
    return vector[:dimensions] if dimensions else vector
