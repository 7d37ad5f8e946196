"""Body-decoding benchmark: what lenient keys (`runtime.decoding`) cost over msgspec's own decoder.

Run by hand: `python bench/decoding.py [runs]`. Decodes OpenAI chat requests (small, with tools,
and a 64-message history) and a backend body, with msgspec's typed decoder (the baseline, as the
gateway used before) and with `runtime.decoding`; prints microseconds per body for both.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec

from runtime import decoding
from runtime.api.backends import BackendIn
from runtime.wire.openai import ChatRequest, parse_chat

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": f"tool_{i}",
            "description": "does a thing",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    for i in range(8)
]
HISTORY = [
    {"role": "user" if i % 2 else "assistant", "content": "a sentence of chat history " * 8}
    for i in range(64)
]
BODIES: dict[str, tuple[type, bytes]] = {
    "chat, one message": (
        ChatRequest,
        msgspec.json.encode({"model": "m", "messages": [{"role": "user", "content": "hello"}]}),
    ),
    "chat, 8 tools": (
        ChatRequest,
        msgspec.json.encode({"model": "m", "messages": HISTORY[:2], "tools": TOOLS}),
    ),
    "chat, 64 messages": (
        ChatRequest,
        msgspec.json.encode({"model": "m", "messages": HISTORY, "temperature": 0.2}),
    ),
    "backend, Go casing": (
        BackendIn,
        b'{"name":"b","baseURL":"http://10.0.0.1:11434","type":"ollama"}',
    ),
}


def per_call(fn: Callable[[], Any], runs: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - start) / runs * 1e6


def main(runs: int) -> None:
    print(f"{'body':24} {'bytes':>6} {'msgspec µs':>11} {'ours µs':>9} {'+µs':>7}")
    for name, (target, body) in BODIES.items():
        plain = msgspec.json.Decoder(target)
        ours = decoding.decoder(target)
        base = per_call(lambda: plain.decode(body), runs)  # noqa: B023 - used at once
        mine = per_call(lambda: ours.decode(body), runs)  # noqa: B023
        line = f"{name:24} {len(body):6} {base:11.2f} {mine:9.2f} {mine - base:7.2f}"
        print(line)
    body = BODIES["chat, 8 tools"][1]
    full = per_call(lambda: parse_chat(body), runs)
    print(f"parse_chat with 8 tools (decode + tool checks): {full:.2f} µs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
