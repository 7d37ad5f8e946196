"""Reading a response off a pooled connection: httptools callbacks, the body, and `Reply`.

`Reply` is what drivers get on the direct path (see `LeanTransport.roundtrip`): status,
headers and the body as it arrives, without building httpx objects for every request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

import httptools
import httpx

from runtime.providers.pool import Connection, Pool

_READ = 65536
_OK, _REDIRECT = 200, 300


class Parsed:
    """httptools callbacks: the response head, then body chunks as they arrive."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.done = False
        self.body: deque[bytes] = deque()
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        # the parser only knows this while the message is being completed
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()
        self.done = True
        self.parser = None  # it holds us: no reference cycle left for the collector


class Body(httpx.AsyncByteStream):
    """The response body, read from the connection as the consumer asks for it."""

    def __init__(
        self,
        pool: Pool,
        connection: Connection,
        parser: httptools.HttpResponseParser,
        parsed: Parsed,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._connection = connection
        self._parser = parser
        self._parsed = parsed
        self._timeout = read_timeout
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parsed = self._parsed
        while True:
            while parsed.body:
                yield parsed.body.popleft()
            if parsed.done:
                return
            await feed(self._connection, self._parser, self._timeout)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._parsed.parser = None  # (also when the message never completed)
        if self._parsed.done and not self._parsed.body and self._parsed.keep_alive:
            self._pool.release(self._connection)
        else:
            self._connection.close()


async def feed(
    connection: Connection, parser: httptools.HttpResponseParser, seconds: float | None
) -> None:
    try:
        async with asyncio.timeout(seconds):
            data = await connection.reader.read(_READ)
    except TimeoutError:
        connection.close()
        raise httpx.ReadTimeout("timed out reading the response") from None
    except OSError as exc:
        connection.close()
        raise httpx.ReadError(str(exc)) from exc
    except BaseException:  # cancelled mid-read: the connection is in an unknown state
        connection.close()
        raise
    if not data:
        connection.close()
        raise httpx.RemoteProtocolError("server closed the connection mid-response")
    try:
        parser.feed_data(data)
    except httptools.HttpParserError as exc:
        connection.close()
        raise httpx.RemoteProtocolError(f"malformed response: {exc}") from exc


class Reply:
    """A response read straight off our transport: status, headers, and the body on demand."""

    __slots__ = ("body", "content", "headers", "status_code")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: Body) -> None:
        self.status_code = status
        self.headers = headers
        self.body = body
        self.content = b""

    @property
    def is_success(self) -> bool:
        return _OK <= self.status_code < _REDIRECT

    async def aread(self) -> bytes:
        """The whole body (kept in `content`); the connection goes back to the pool."""
        try:
            self.content = b"".join([chunk async for chunk in self.body])
        finally:
            await self.body.aclose()
        return self.content

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self.body.__aiter__()

    async def aiter_lines(self) -> AsyncIterator[str]:
        """The body's lines as they arrive, without their line ends."""
        rest = b""
        async for chunk in self.body:
            rest += chunk
            *lines, rest = rest.split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
        if rest:
            yield rest.rstrip(b"\r").decode("utf-8", "replace")

    async def aclose(self) -> None:
        await self.body.aclose()
