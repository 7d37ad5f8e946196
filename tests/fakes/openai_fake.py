"""A fake OpenAI-compatible server (also stands in for vLLM): models and chat completions.

Real HTTP, OpenAI's JSON and SSE wire formats, optional bearer key, scripted via ChatScript.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import read_body, send_json
from tests.fakes.script import ChatScript, Disconnect


@dataclass
class FakeOpenAI:
    """Serves `/v1/models` and `/v1/chat/completions` for `models` (vLLM adds max_model_len)."""

    models: dict[str, int] = field(default_factory=dict)  # id -> max_model_len (0: omit)
    api_key: str | None = None
    chat: ChatScript = field(default_factory=ChatScript)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    refuse_stream_options: bool = False  # a strict server: unknown fields are a 400

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        payload = await read_body(receive)
        self.requests.append((scope["method"], scope["path"], payload))
        headers = dict(scope["headers"])
        if self.api_key and headers.get(b"authorization") != f"Bearer {self.api_key}".encode():
            await send_json(send, 401, _error("Incorrect API key provided.", "invalid_api_key"))
            return
        route = (scope["method"], scope["path"])
        if route == ("GET", "/v1/models"):
            data = [
                {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
                | ({"max_model_len": n} if n else {})
                for m, n in self.models.items()
            ]
            await send_json(send, 200, {"object": "list", "data": data})
        elif route == ("POST", "/v1/embeddings"):
            given = payload["input"]
            texts = given if isinstance(given, list) else [given]
            size = payload.get("dimensions") or 3
            data = [
                {"object": "embedding", "index": i, "embedding": _embedding(text, size)}
                for i, text in enumerate(texts)
            ]
            counted = sum(len(text.split()) for text in texts)
            usage = {"prompt_tokens": counted, "total_tokens": counted}
            await send_json(
                send,
                200,
                {"object": "list", "model": payload["model"], "data": data, "usage": usage},
            )
        elif route == ("POST", "/v1/chat/completions"):
            client = Disconnect(receive)
            try:
                await self._chat(send, payload, client)
            finally:
                client.close()
        else:
            await send_json(send, 404, _error("not found", "not_found"))

    async def _chat(self, send: Any, payload: dict[str, Any], client: Disconnect) -> None:
        script = self.chat
        await asyncio.sleep(script.latency)
        if client.gone:  # the caller left while we were thinking
            script.abandoned += 1
            return
        failure = script.take_failure()
        if failure:
            await send_json(send, failure, _error("injected failure", "server_error"))
            return
        if self.refuse_stream_options and "stream_options" in payload:
            refused = _error("Unrecognized request argument supplied: stream_options", None)
            await send_json(send, 400, refused)
            return
        if payload["model"] not in self.models:
            await send_json(
                send, 404, _error(f"model {payload['model']} not found", "model_not_found")
            )
            return
        chunks = script.answer(payload["messages"])
        if payload.get("stream"):
            sender = _gathered(send) if script.together else send
            await self._stream(sender, payload, chunks, client)
            return
        message: dict[str, Any] = {"role": "assistant", "content": "".join(chunks)}
        calls = _calls(script)
        if calls:
            message["tool_calls"] = calls
        await send_json(
            send,
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": payload["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": _usage(script, chunks),
            },
        )

    async def _stream(
        self, send: Any, payload: dict[str, Any], chunks: list[str], client: Disconnect
    ) -> None:
        script = self.chat
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": payload["model"],
        }

        async def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            await _sse(send, chunk)

        await event({"role": "assistant", "content": ""})
        for n, text in enumerate(chunks):
            if client.gone:
                script.abandoned += 1
                return
            if script.die_after is not None and n >= script.die_after:
                raise RuntimeError("fake backend died mid-stream")
            script.sent += 1
            await event({"content": text})
            await asyncio.sleep(script.delay)
        for index, call in enumerate(_calls(script)):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            await event(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call["id"],
                            "type": "function",
                            "function": {
                                "name": call["function"]["name"],
                                "arguments": arguments[:half],
                            },
                        }
                    ]
                }
            )
            await event(
                {"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}
            )
        await event({}, "tool_calls" if script.tool_calls else "stop")
        if (payload.get("stream_options") or {}).get("include_usage"):
            await _sse(send, base | {"choices": [], "usage": _usage(script, chunks)})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


def _calls(script: ChatScript) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        for n, (name, arguments) in enumerate(script.tool_calls)
    ]


def _embedding(text: str, size: int) -> list[float]:
    """A made-up embedding: the text's length, then halves (as long as asked)."""
    return ([float(len(text))] + [0.5 / (i + 1) for i in range(size - 1)])[:size]


def _usage(script: ChatScript, chunks: list[str]) -> dict[str, int]:
    return {
        "prompt_tokens": script.prompt_tokens,
        "completion_tokens": len(chunks),
        "total_tokens": script.prompt_tokens + len(chunks),
    }


def _error(message: str, code: str | None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


def _gathered(send: Any) -> Any:
    """`send` holding the body back until its last piece: one write for the whole stream."""
    held: list[bytes] = []

    async def gathering(message: dict[str, Any]) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        held.append(message.get("body", b""))
        if not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"".join(held)})

    return gathering


async def _sse(send: Any, obj: Any) -> None:
    data = b"data: " + json.dumps(obj).encode() + b"\n\n"
    await send({"type": "http.response.body", "body": data, "more_body": True})
