"""A lean HTTP/1.1 transport for httpx: keep-alive connections parsed with httptools.

The drivers keep httpx's API; this replaces httpcore underneath, whose connection pool costs
about a millisecond of CPU per request and grows with the number of pooled connections (see
`bench/proxy.py`). HTTP/1.1 only, no proxies; https through asyncio's TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from typing import Any

import httptools
import httpx

_READ = 65536
Key = tuple[str, str, int]


class _Parsed:
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


class _Connection:
    """One keep-alive connection to a host."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class _Body(httpx.AsyncByteStream):
    """The response body, read from the connection as the consumer asks for it."""

    def __init__(
        self,
        transport: LeanTransport,
        key: Key,
        connection: _Connection,
        parser: httptools.HttpResponseParser,
        parsed: _Parsed,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._key = key
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
            await _feed(self._connection, self._parser, self._timeout)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._parsed.done and not self._parsed.body and self._parsed.keep_alive:
            self._transport.release(self._key, self._connection)
        else:
            self._connection.close()


async def _feed(
    connection: _Connection, parser: httptools.HttpResponseParser, seconds: float | None
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


class _NotWrittenError(Exception):
    """The connection was closed before any byte of the request was written."""


class LeanTransport(httpx.AsyncBaseTransport):
    """Pools idle connections per (scheme, host, port); one request per connection at a time."""

    def __init__(self, *, max_idle_per_host: int = 256) -> None:
        self._idle: defaultdict[Key, deque[_Connection]] = defaultdict(deque)
        self._max_idle = max_idle_per_host
        self._tls = ssl.create_default_context()

    def release(self, key: Key, connection: _Connection) -> None:
        idle = self._idle[key]
        if len(idle) < self._max_idle and not connection.writer.is_closing():
            idle.append(connection)
        else:
            connection.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        key: Key = (url.scheme, url.host, port)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        head = _head(request)
        body = request.content if _has_fixed_body(request) else await _collect(request, head)
        for attempt in range(2):
            reused, connection = await self._connection(key, timeouts.get("connect"))
            try:
                return await self._exchange(key, connection, head + body, timeouts.get("read"))
            except _NotWrittenError:
                # the pooled connection was found closed before the request went out: one
                # fresh try. Once written, a request is never re-sent (a completion would run
                # twice on the backend).
                if not reused or attempt:
                    raise httpx.RemoteProtocolError("connection closed before sending") from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _connection(self, key: Key, seconds: float | None) -> tuple[bool, _Connection]:
        idle = self._idle[key]
        if idle:
            await asyncio.sleep(0)  # let a close the server already sent be seen
        while idle:
            connection = idle.pop()
            if not connection.writer.is_closing() and not connection.reader.at_eof():
                return True, connection
            connection.close()
        scheme, host, port = key
        try:
            async with asyncio.timeout(seconds):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=self._tls if scheme == "https" else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return False, _Connection(reader, writer)

    async def _exchange(
        self, key: Key, connection: _Connection, payload: bytes, read_timeout: float | None
    ) -> httpx.Response:
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        parsed.parser = parser
        if connection.writer.is_closing() or connection.reader.at_eof():
            connection.close()
            raise _NotWrittenError
        try:
            connection.writer.write(payload)
        except OSError:
            connection.close()
            raise _NotWrittenError from None
        while not parsed.head_done:
            await _feed(connection, parser, read_timeout)
        return httpx.Response(
            parser.get_status_code(),
            headers=parsed.headers,
            stream=_Body(self, key, connection, parser, parsed, read_timeout),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


def _head(request: httpx.Request) -> bytes:
    target = request.url.raw_path
    lines = [request.method.encode() + b" " + target + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _has_fixed_body(request: httpx.Request) -> bool:
    return isinstance(request.stream, httpx.ByteStream)


async def _collect(request: httpx.Request, head: bytes) -> bytes:
    """A streamed request body, read whole and framed as its headers say."""
    stream: Any = request.stream
    body = b"".join([chunk async for chunk in stream])
    if b"transfer-encoding: chunked" in head.lower():
        return (f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n") if body else b"0\r\n\r\n"
    return body
