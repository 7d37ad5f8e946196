"""Reject request bodies in media types we do not read (415), before any decoding."""

from __future__ import annotations

from typing import Any

from litestar import Request

from runtime import errors

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def require_json(request: Request[Any, Any, Any]) -> None:
    if request.method not in _BODY_METHODS:
        return
    content_type = request.headers.get("content-type")
    if not content_type:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise errors.UnsupportedMediaError(
            f"unsupported content type {media!r}: send application/json"
        )
