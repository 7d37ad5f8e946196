"""Shared pieces of the HTTP boundary: the base Struct, paging parameters, literal replies."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Response
from litestar.enums import MediaType

from runtime import errors
from runtime.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest


class ApiStruct(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every request and response body: camelCase on the wire (see `runtime.decoding`)."""


def literal(text: str, status_code: int = 200) -> Response[bytes]:
    """A reply whose body is a JSON string, such as `"backend assigned"`."""
    return Response(
        content=msgspec.json.encode(text), status_code=status_code, media_type=MediaType.JSON
    )


def page_request(
    limit: str | None, cursor: str | None, *, max_limit: int | None = MAX_LIMIT
) -> PageRequest:
    """Parse the `limit` and `cursor` query parameters of a list route."""
    return PageRequest(limit=_limit(limit, max_limit), cursor=_cursor(cursor))


def _limit(raw: str | None, max_limit: int | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise errors.InvalidInputError(
            "serverops: unprocessable entity: invalid limit format, expected integer",
            param="limit",
        ) from None
    if value < 1:
        raise errors.InvalidInputError(
            "serverops: unprocessable entity: limit must be positive", param="limit"
        )
    if max_limit is not None and value > max_limit:
        raise errors.BadRequestError(
            f"limit exceeds maximum allowed value ({max_limit})", param="limit"
        )
    return value


def _cursor(raw: str | None) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.InvalidInputError(
            "serverops: unprocessable entity: invalid cursor format, expected RFC3339Nano",
            param="cursor",
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
