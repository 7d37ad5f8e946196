"""A lean HTTP/1.1 transport for httpx: keep-alive connections parsed with httptools.

The drivers keep httpx's API; this replaces httpcore underneath, whose connection pool costs
about a millisecond of CPU per request and grows with the number of pooled connections (see
`bench/proxy.py`). HTTP/1.1 only, no proxies; https through asyncio's TLS.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from typing import Any

import httptools
import httpx

from runtime.providers.outbound import (
    OutboundPolicy,
    OutboundRefusedError,
    check_address,
    host_refusal,
)

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


class _NotSentError(Exception):
    """The request was not written at all: sending it on another connection is safe."""


def _still_open(connection: _Connection) -> bool:
    """Whether an idle pooled connection is still usable, checked before writing to it.

    An idle HTTP/1.1 connection has nothing to read: if its socket is readable, the server
    closed it (EOF or reset) or sent something unasked for, and either way it is dropped.
    """
    if connection.writer.is_closing() or connection.reader.at_eof():
        return False
    sock = connection.writer.get_extra_info("socket")
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


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


class LeanTransport(httpx.AsyncBaseTransport):
    """Pools idle connections per (scheme, host, port); one request per connection at a time."""

    def __init__(
        self, *, max_idle_per_host: int = 256, policy: OutboundPolicy | None = None
    ) -> None:
        self._idle: defaultdict[Key, deque[_Connection]] = defaultdict(deque)
        self._max_idle = max_idle_per_host
        self._tls = ssl.create_default_context()
        self._policy = policy or OutboundPolicy()

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
        reused, connection = await self._connection(key, timeouts.get("connect"))
        try:
            return await self._exchange(key, connection, head + body, timeouts.get("read"))
        except _NotSentError as exc:
            # at most once: only a request that never left may go again, on a new connection
            if not reused:
                raise httpx.WriteError(str(exc)) from exc
        _, connection = await self._connection(key, timeouts.get("connect"), pooled=False)
        try:
            return await self._exchange(key, connection, head + body, timeouts.get("read"))
        except _NotSentError as exc:
            raise httpx.WriteError(str(exc)) from exc

    async def _connection(
        self, key: Key, seconds: float | None, *, pooled: bool = True
    ) -> tuple[bool, _Connection]:
        idle = self._idle[key]
        while pooled and idle:
            connection = idle.pop()
            if _still_open(connection):
                return True, connection
            connection.close()
        scheme, host, port = key
        try:
            async with asyncio.timeout(seconds):
                address = await self._permitted_address(host, port)
                reader, writer = await asyncio.open_connection(
                    address,
                    port,
                    ssl=self._tls if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return False, _Connection(reader, writer)

    async def _permitted_address(self, host: str, port: int) -> str:
        """Resolve `host` and return an address to dial; every address must pass the policy.

        Raises OutboundRefusedError before any connection is attempted, so a name that now
        resolves to a metadata or (when denied) private address is never contacted.
        """
        reason = host_refusal(host, self._policy)
        if reason is not None:
            raise OutboundRefusedError(f"the outbound policy refused {host}: {reason}")
        infos = await asyncio.get_running_loop().getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )
        addresses = [str(info[4][0]) for info in infos]
        for address in addresses:
            check_address(host, address, self._policy)
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        return addresses[0]

    async def _exchange(
        self, key: Key, connection: _Connection, payload: bytes, read_timeout: float | None
    ) -> httpx.Response:
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        parsed.parser = parser
        if connection.writer.is_closing():
            raise _NotSentError("the connection closed before the request was written")
        try:
            connection.writer.write(payload)
        except (OSError, RuntimeError) as exc:
            connection.close()
            raise _NotSentError(str(exc)) from exc
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
