"""Shared pieces of the HTTP boundary: the base Struct, paging parameters, literal replies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Response
from litestar.enums import MediaType

from runtime import errors
from runtime.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest

# bounds of what the tables hold: PostgreSQL refuses more (SQLite would store it)
MAX_INT32 = 2**31 - 1
Int32 = Annotated[int, msgspec.Meta(ge=-MAX_INT32 - 1, le=MAX_INT32)]
Kind = Annotated[str, msgspec.Meta(max_length=32)]
Name = Annotated[str, msgspec.Meta(max_length=255)]
LongName = Annotated[str, msgspec.Meta(max_length=512)]
Path = Annotated[str, msgspec.Meta(max_length=1024)]
Url = Annotated[str, msgspec.Meta(max_length=2048)]
Description = Annotated[str, msgspec.Meta(max_length=8 * 1024)]
Script = Annotated[str, msgspec.Meta(max_length=1024 * 1024)]


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
    if value > MAX_INT32:  # what SQL's LIMIT takes on every database
        raise errors.InvalidInputError(f"limit must be at most {MAX_INT32}", param="limit")
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
