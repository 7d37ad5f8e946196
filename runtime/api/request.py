"""How request input reaches the handlers: bodies through `runtime.decoding`, no NUL anywhere.

`ApiRequest` (the app's request class) decodes a route's `data` body into its Struct with
`runtime.decoding` (lenient about keys, strict about values); large bodies are decoded in a
worker thread so the event loop keeps serving. `check_input` refuses NUL in the path and query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.handlers import BaseRouteHandler
from litestar.utils.empty import value_or_default

from runtime import decoding, errors
from runtime.api.media import require_json

T = TypeVar("T")
OFF_LOOP = 256 * 1024  # bodies from this size are decoded in a thread: ~1 ms of work and up


class ApiRequest(Request[Any, Any, Any]):
    """Litestar's request, whose `json()` is the route's typed, leniently keyed body."""

    async def json(self) -> Any:
        cached = value_or_default(self._connection_state.json, None)
        if cached is not None:
            return cached
        target = _body_type(self.route_handler)
        body = await self.body()
        if target is None:
            value: Any = await off_loop(decoding.decoder(object).decode, body)
        else:
            value = await off_loop(decoding.decoder(target).decode, body)
        self._connection_state.json = value
        return value


async def off_loop(decode: Callable[[bytes], T], body: bytes) -> T:
    """`decode(body)`, in a worker thread when the body is large enough to stall the loop."""
    if len(body) < OFF_LOOP:
        return decode(body)
    return await asyncio.to_thread(decode, body)


def _body_type(handler: BaseRouteHandler) -> type | None:
    data = handler.parsed_fn_signature.parameters.get("data")  # a cached signature
    annotation = data.annotation if data is not None else None
    return annotation if isinstance(annotation, type) else None


async def check_input(request: Request[Any, Any, Any]) -> None:
    """Before every handler: the body's media type is one we read, no NUL in path or query."""
    await require_json(request)
    path: str = request.scope.get("path", "")
    if "\x00" in path or b"\x00" in unquote_to_bytes(request.scope.get("query_string", b"")):
        raise errors.BadRequestError("invalid input: NUL characters are not accepted in the URL")
