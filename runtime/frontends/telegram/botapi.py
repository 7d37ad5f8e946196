"""The Telegram Bot API client: getMe, getUpdates (long poll), sendMessage. HTTP only.

Calls go through the process's shared HTTP client, whose transport applies the outbound URL
policy to every connection. Bot API errors come out as `BotApiError` carrying the status and,
for 429, the `retry_after` seconds the API asks for.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from runtime import errors
from runtime.frontends.telegram.types import Update


class BotApiError(errors.UpstreamError):
    """The Bot API refused a call; `retry_after` is set when it asked us to slow down."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.bot_status = status
        self.retry_after = retry_after


class _Parameters(msgspec.Struct):
    retry_after: float | None = None


class _Chat(msgspec.Struct):
    id: int


class _Message(msgspec.Struct):
    chat: _Chat
    text: str | None = None


class _Update(msgspec.Struct):
    update_id: int
    message: _Message | None = None


class _Reply(msgspec.Struct):
    ok: bool
    result: Any = None
    description: str = ""
    error_code: int = 0
    parameters: _Parameters | None = None


_reply = msgspec.json.Decoder(_Reply).decode
_SLACK = 10.0  # beyond the long-poll timeout, for the answer to travel


class BotApi:
    """One bot's calls, at `base_url` (Telegram's or a test fake's)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str, timeout: float) -> None:
        self._http = http
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self._timeout = timeout

    async def _call(self, method: str, body: dict[str, Any], wait: float) -> Any:
        try:
            response = await self._http.post(f"{self._base}/{method}", json=body, timeout=wait)
        except httpx.HTTPError as exc:
            raise errors.UnavailableError(f"telegram {method}: {type(exc).__name__}") from exc
        try:
            reply = _reply(response.content)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise BotApiError(
                f"telegram {method}: unreadable answer ({response.status_code})",
                status=response.status_code,
            ) from None
        if not reply.ok:
            retry = reply.parameters.retry_after if reply.parameters else None
            raise BotApiError(
                f"telegram {method}: {reply.error_code or response.status_code} "
                f"{reply.description}".rstrip(),
                status=reply.error_code or response.status_code,
                retry_after=retry,
            )
        return reply.result

    async def get_me(self) -> str:
        """The bot's username (checks the token)."""
        me = await self._call("getMe", {}, self._timeout)
        return str(me.get("username", "")) if isinstance(me, dict) else ""

    async def get_updates(self, offset: int, poll: float) -> tuple[list[Update], int]:
        """Updates from `offset` on, waiting up to `poll` seconds; also the next offset."""
        body = {"offset": offset, "timeout": int(poll), "allowed_updates": ["message"]}
        raw = await self._call("getUpdates", body, poll + _SLACK)
        updates = msgspec.convert(raw or [], list[_Update])
        texts = [
            Update(update_id=u.update_id, chat_id=u.message.chat.id, text=u.message.text)
            for u in updates
            if u.message is not None and u.message.text
        ]
        last = max((u.update_id for u in updates), default=offset - 1)
        return texts, max(offset, last + 1)

    async def send_message(self, chat_id: int, text: str) -> None:
        await self._call("sendMessage", {"chat_id": chat_id, "text": text}, self._timeout)
