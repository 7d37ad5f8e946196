"""Multipart uploads read as a stream: the file part spooled to disk, never whole in memory.

Uses the sans-I/O `multipart.PushMultipartParser` (the parser Litestar itself depends on)
fed chunk by chunk from the ASGI body; the size limit is enforced while reading.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO, Any

import msgspec
from litestar import Request
from multipart import MultipartError, MultipartSegment, PushMultipartParser  # type: ignore[import-untyped]

from runtime import errors
from runtime.knowledge import Upload

SPOOL_IN_MEMORY = 1024 * 1024  # parts up to this size stay in memory, larger ones go to disk
MAX_FIELD = 64 * 1024  # `name`, `parentId`, `metadata`
_FIELDS = ("name", "parentid", "metadata")
_OVERHEAD = 64 * 1024  # what the multipart framing and fields may add to the file's size


class _Reader:
    """Collects the parts of one request: the `file` part spooled, the text fields."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spool: IO[bytes] | None = None
        self.size = 0
        self.content_type = ""
        self.filename = ""
        self.fields: dict[str, bytearray] = {}
        self._target: str | None = None

    def begin(self, segment: MultipartSegment) -> None:
        name = (segment.name or "").lower()
        if name == "file" and self.spool is None:
            self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
            self.content_type = segment.content_type or ""
            self.filename = segment.filename or ""
            self._target = "file"
        elif name in _FIELDS:
            self.fields[name] = bytearray()
            self._target = name
        else:
            self._target = None  # an unknown part is ignored, like an unknown JSON key

    def feed(self, data: bytes) -> None:
        if self._target == "file" and self.spool is not None:
            self.size += len(data)
            if self.size > self.limit:
                raise errors.TooLargeError(
                    f"the file is larger than the limit of {self.limit} bytes", param="file"
                )
            self.spool.write(data)
        elif self._target is not None:
            field = self.fields[self._target]
            if len(field) + len(data) > MAX_FIELD:
                raise errors.InvalidInputError(
                    f"the field {self._target} is longer than {MAX_FIELD} bytes",
                    param=self._target,
                )
            field.extend(data)

    def text(self, name: str) -> str | None:
        raw = self.fields.get(name)
        if raw is None:
            return None
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise errors.InvalidInputError(f"{name} must be UTF-8 text", param=name) from None

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


def _boundary(request: Request[Any, Any, Any]) -> str:
    content_type = request.headers.get("content-type", "")
    media, _, rest = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise errors.UnsupportedMediaError("send the file as multipart/form-data")
    for param in rest.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value.strip('"'):
            return value.strip('"')
    raise errors.BadRequestError("the multipart body has no boundary")


@asynccontextmanager
async def received(request: Request[Any, Any, Any], *, limit: int) -> AsyncIterator[Upload]:
    """The upload in the request while the block runs; its spooled content is gone after."""
    upload = await read_upload(request, limit=limit)
    try:
        yield upload
    finally:
        upload.content.close()


async def read_upload(request: Request[Any, Any, Any], *, limit: int) -> Upload:
    """The upload in the request; 413 past `limit` bytes, 400 without a `file` part."""
    boundary = _boundary(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _OVERHEAD:
        raise errors.TooLargeError(f"the file is larger than the limit of {limit} bytes")
    reader = _Reader(limit)
    try:
        with PushMultipartParser(boundary, max_header_count=8) as parser:
            async for chunk in request.stream():
                _parse(parser, reader, chunk)
            _parse(parser, reader, b"")
    except MultipartError as exc:
        reader.close()
        raise errors.BadRequestError(f"malformed multipart body: {exc}") from None
    except errors.Error:
        reader.close()
        raise
    if reader.spool is None:
        raise errors.BadRequestError("the multipart field file is required", param="file")
    try:
        return _upload(reader, reader.spool)
    except errors.Error:
        reader.close()
        raise


def _parse(parser: PushMultipartParser, reader: _Reader, chunk: bytes) -> None:
    for event in parser.parse(chunk):
        if isinstance(event, MultipartSegment):
            reader.begin(event)
        elif event:
            reader.feed(event)


def _upload(reader: _Reader, spool: IO[bytes]) -> Upload:
    meta: dict[str, Any] | None = None
    raw_meta = reader.text("metadata")
    if raw_meta:
        try:
            meta = msgspec.json.decode(raw_meta)
        except msgspec.DecodeError:
            raise errors.InvalidInputError(
                "metadata must be a JSON object", param="metadata"
            ) from None
        if not isinstance(meta, dict):
            raise errors.InvalidInputError("metadata must be a JSON object", param="metadata")
    spool.seek(0)
    return Upload(
        content=spool,
        size=reader.size,
        content_type=reader.content_type,
        filename=reader.filename,
        name=reader.text("name") or None,
        parent_id=reader.text("parentid") or None,
        meta=meta,
    )
