"""A fake Ollama server: tags, show, pull (NDJSON progress), delete and chat (JSON and NDJSON).

Speaks Ollama's wire format over real HTTP; scripted per test and recording what it got.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import read_body, send_bytes, send_json
from tests.fakes.script import ChatScript, Disconnect

Scope = dict[str, Any]


@dataclass
class Pullable:
    """A model the fake can pull: its size, how many progress steps, delay per step."""

    size: int = 4_000_000
    steps: int = 4
    delay: float = 0.0
    stall_after: int | None = None  # send this many steps, then hang
    fail_with: str = ""  # an Ollama error line after the manifest


@dataclass
class FakeOllama:
    """Scriptable Ollama: `models` served now, `pullable` models it can download."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    pullable: dict[str, Pullable] = field(default_factory=dict)
    capabilities: dict[str, list[str]] = field(default_factory=dict)
    garbage: bool = False
    chat: ChatScript = field(default_factory=ChatScript)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    traceparents: list[str] = field(default_factory=list)  # each request's, "" when none
    pulls_started: int = 0
    word_vectors: bool = False  # embeddings by shared words (for search tests), not by digest
    embed_delay: float = 0.0  # seconds before an embedding answer

    def add_model(self, name: str, *, size: int = 1000, caps: list[str] | None = None) -> None:
        name = name if ":" in name else f"{name}:latest"
        self.models[name] = {
            "name": name,
            "model": name,
            "modified_at": "2026-01-01T00:00:00Z",
            "size": size,
            "digest": _digest(name),
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "1B",
                "quantization_level": "Q4_0",
            },
        }
        self.capabilities[name] = caps or ["completion"]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        payload = await read_body(receive)
        self.requests.append((scope["method"], scope["path"], payload))
        found = dict(scope["headers"]).get(b"traceparent", b"")
        self.traceparents.append(found.decode())
        if self.garbage:
            await send_bytes(send, 200, b"<html>not ollama</html>", "text/html")
            return
        route = (scope["method"], scope["path"])
        if route == ("POST", "/api/chat"):
            await self._chat(send, payload, Disconnect(receive))
            return
        handler = {
            ("GET", "/api/tags"): self._tags,
            ("POST", "/api/show"): self._show,
            ("POST", "/api/pull"): self._pull,
            ("POST", "/api/generate"): self._generate,
            ("POST", "/api/embed"): self._embed,
            ("DELETE", "/api/delete"): self._delete,
        }.get(route)
        if handler is None:
            await send_json(send, 404, {"error": "not found"})
        else:
            await handler(send, payload or {})

    async def _tags(self, send: Any, _: dict[str, Any]) -> None:
        await send_json(send, 200, {"models": list(self.models.values())})

    async def _generate(self, send: Any, payload: dict[str, Any]) -> None:
        text = "".join(self.chat.answer([{"role": "user", "content": payload["prompt"]}]))
        await send_json(send, 200, {"model": payload["model"], "response": text, "done": True})

    async def _embed(self, send: Any, payload: dict[str, Any]) -> None:
        inputs = payload["input"] if isinstance(payload["input"], list) else [payload["input"]]
        if self.embed_delay:
            await asyncio.sleep(self.embed_delay)
        embed = word_vector if self.word_vectors else _vector
        vectors = [embed(text) for text in inputs]
        await send_json(send, 200, {"model": payload["model"], "embeddings": vectors})

    async def _delete(self, send: Any, payload: dict[str, Any]) -> None:
        found = self.models.pop(payload["model"], None)
        await send_json(send, 200 if found else 404, {} if found else {"error": "model not found"})

    async def _chat(self, send: Any, payload: dict[str, Any], client: Disconnect) -> None:
        try:
            await self._answer(send, payload, client)
        finally:
            client.close()

    async def _answer(self, send: Any, payload: dict[str, Any], client: Disconnect) -> None:
        script = self.chat
        await asyncio.sleep(script.latency)
        if client.gone:  # the caller left while we were thinking
            script.abandoned += 1
            return
        failure = script.take_failure()
        if failure:
            await send_json(send, failure, {"error": "injected failure"})
            return
        chunks = script.answer(payload["messages"])
        calls = [
            {"function": {"name": n, "arguments": a}}
            for n, a in script.calls_for(payload["messages"])
        ]
        done = {
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": script.prompt_tokens,
            "eval_count": len(chunks),
            "total_duration": 1000,
        }
        model = payload["model"]
        if not payload.get("stream", True):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(chunks)}
            if calls:
                message["tool_calls"] = calls
            await send_json(send, 200, {"model": model, "message": message, **done})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/x-ndjson")],
            }
        )
        for n, chunk in enumerate(chunks):
            if client.gone:
                script.abandoned += 1
                return
            if script.die_after is not None and n >= script.die_after:
                raise RuntimeError("fake backend died mid-stream")
            script.sent += 1
            await _line(
                send,
                {"model": model, "message": {"role": "assistant", "content": chunk}, "done": False},
            )
            await asyncio.sleep(script.delay)
        if calls:
            await _line(
                send,
                {
                    "model": model,
                    "done": False,
                    "message": {"role": "assistant", "content": "", "tool_calls": calls},
                },
            )
        await _line(
            send,
            {"model": model, "message": {"role": "assistant", "content": ""}, **done},
            last=True,
        )

    async def _show(self, send: Any, payload: dict[str, Any]) -> None:
        name = payload["model"]
        if name not in self.models:
            await send_json(send, 404, {"error": f"model '{name}' not found"})
            return
        await send_json(
            send,
            200,
            {
                "capabilities": self.capabilities[name],
                "details": self.models[name]["details"],
                "model_info": {"general.architecture": "llama", "llama.context_length": 8192},
            },
        )

    async def _pull(self, send: Any, payload: dict[str, Any]) -> None:
        name, stream = payload["model"], payload.get("stream", True)
        self.pulls_started += 1
        spec = self.pullable.get(name)
        if not stream:
            if spec is None or spec.fail_with:
                error = spec.fail_with if spec else "pull model manifest: file does not exist"
                await send_json(send, 500, {"error": error})
            else:
                self.add_model(name, size=spec.size)
                await send_json(send, 200, {"status": "success"})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/x-ndjson")],
            }
        )
        await _line(send, {"status": "pulling manifest"})
        if spec is None or spec.fail_with:
            error = spec.fail_with if spec else "pull model manifest: file does not exist"
            await _line(send, {"error": error}, last=True)
            return
        digest = _digest(name)
        for step in range(1, spec.steps + 1):
            if spec.stall_after is not None and step > spec.stall_after:
                await asyncio.Event().wait()  # hang until the client goes away
            await asyncio.sleep(spec.delay)
            done = spec.size * step // spec.steps
            await _line(
                send,
                {
                    "status": f"pulling {digest[7:19]}",
                    "digest": digest,
                    "total": spec.size,
                    "completed": done,
                },
            )
        for status in ("verifying sha256 digest", "writing manifest"):
            await _line(send, {"status": status})
        self.add_model(name, size=spec.size)
        await _line(send, {"status": "success"}, last=True)


async def _line(send: Any, obj: dict[str, Any], *, last: bool = False) -> None:
    await send(
        {
            "type": "http.response.body",
            "body": json.dumps(obj).encode() + b"\n",
            "more_body": not last,
        }
    )


def _digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


WORD_DIMENSIONS = 64


def word_vector(text: str) -> list[float]:
    """A bag of words hashed into 64 dimensions: texts that share words point alike."""
    vector = [0.0] * WORD_DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        if len(word) > 2:
            vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % WORD_DIMENSIONS] += 1.0
    vector[0] += 0.01  # never the zero vector
    return vector


def _vector(text: str) -> list[float]:
    """A deterministic 8-dimensional embedding of `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 255, 4) for b in digest[:8]]
