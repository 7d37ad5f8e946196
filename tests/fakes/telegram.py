"""A fake Telegram Bot API: getMe, getUpdates (offset, long-poll timeout), sendMessage.

Speaks the Bot API's envelope (`{"ok": true, "result": ...}`, errors with `error_code`,
`description` and, for 429, `parameters.retry_after`). Tests queue user messages with
`say`, inject faults with `fail`, and read what the bot sent from `sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.loopback import read_raw, send_json

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape of a real bot token


@dataclass
class Fault:
    """The next `times` calls of `method` answer `status` (429 carries `retry_after`)."""

    method: str
    status: int
    times: int = 1
    retry_after: int = 1


@dataclass
class FakeTelegram:
    """One or more bots by token; updates are kept until a later offset confirms them."""

    tokens: dict[str, str] = field(default_factory=lambda: {TOKEN: "test_bot"})
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # offsets getUpdates was called with
    calls: list[tuple[str, float]] = field(default_factory=list)  # (method, monotonic time)
    faults: list[Fault] = field(default_factory=list)
    _next_id: int = 1
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def say(self, chat_id: int, text: str) -> int:
        """A user writes `text` in Telegram chat `chat_id`; returns the update id."""
        update_id = self._next_id
        self._next_id += 1
        message = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "User"},
            "text": text,
        }
        self.updates.append({"update_id": update_id, "message": message})
        self._arrived.set()
        return update_id

    def fail(self, method: str, status: int, times: int = 1, retry_after: int = 1) -> None:
        self.faults.append(Fault(method, status, times, retry_after))

    def replies_to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        payload = await _parameters(scope, receive)
        _, token_part, method = [*scope["path"].split("/"), "", ""][:3]
        token = token_part.removeprefix("bot")
        self.calls.append((method, time.monotonic()))
        if not token_part.startswith("bot") or token not in self.tokens:
            await _error(send, 401, "Unauthorized")
            return
        fault = next((f for f in self.faults if f.method == method and f.times > 0), None)
        if fault is not None:
            fault.times -= 1
            await _error(send, fault.status, "Too Many Requests", fault.retry_after)
            return
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "Bot", "username": self.tokens[token]}
            await send_json(send, 200, {"ok": True, "result": me})
        elif method == "getUpdates":
            await self._get_updates(send, payload)
        elif method == "sendMessage":
            self.sent.append(payload)
            result = {
                "message_id": len(self.sent),
                "date": int(time.time()),
                "chat": {"id": payload["chat_id"], "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
                "text": payload["text"],
            }
            await send_json(send, 200, {"ok": True, "result": result})
        else:
            await _error(send, 404, "Not Found")

    async def _get_updates(self, send: Any, payload: dict[str, Any]) -> None:
        offset = int(payload.get("offset", 0))
        self.offsets.append(offset)
        if offset:  # an offset confirms every update before it: Telegram forgets them
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = float(payload.get("timeout", 0))
        if not self.updates and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        await send_json(send, 200, {"ok": True, "result": list(self.updates)})


async def _parameters(scope: Any, receive: Any) -> dict[str, Any]:
    """A method's parameters as the Bot API takes them: a JSON body or form fields.

    Form values are JSON where they parse as JSON (numbers, objects), else strings.
    """
    body = await read_raw(receive)
    if not body:
        return {}
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    if content_type.startswith(b"application/json"):
        return dict(json.loads(body))
    fields: dict[str, Any] = {}
    for name, value in parse_qsl(body.decode()):
        try:
            fields[name] = json.loads(value)
        except ValueError:
            fields[name] = value
    return fields


async def _error(send: Any, status: int, description: str, retry_after: int = 0) -> None:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if status == 429:
        body["description"] = f"{description}: retry after {retry_after}"
        body["parameters"] = {"retry_after": retry_after}
    await send_json(send, status, body)
