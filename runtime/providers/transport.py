"""A lean HTTP/1.1 transport for httpx: keep-alive connections parsed with httptools.

The drivers keep httpx's API; this replaces httpcore underneath, whose connection pool costs
about a millisecond of CPU per request and grows with the number of pooled connections (see
`bench/proxy.py`). HTTP/1.1 only, no proxies; https through asyncio's TLS.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Mapping
from typing import Any

import httptools
import httpx

from runtime.providers.outbound import (
    OutboundPolicy,
    OutboundRefusedError,
    check_address,
    host_refusal,
)
from runtime.providers.pool import Connection, Key, Pool
from runtime.providers.reading import Body, Parsed, Reply, feed

_READ = 65536
_PIECE = 65536  # a request is written in pieces of this size
_NO_TIMEOUTS: Mapping[str, float | None] = {}


class _NotSentError(Exception):
    """The request was not written at all: sending it on another connection is safe."""


class LeanTransport(httpx.AsyncBaseTransport):
    """Pools connections per (scheme, host, port); one request per connection at a time.

    At most `max_connections` are open to one host; a request beyond them waits for one (up
    to the pool timeout). Idle connections are closed after `idle_seconds`. `tls` verifies
    https backends (default: the system's trust store).
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        idle_seconds: float = 30.0,
        policy: OutboundPolicy | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = Pool(self._dial, max_per_host=max_connections, idle_seconds=idle_seconds)
        self._tls = tls or ssl.create_default_context()
        self._policy = policy or OutboundPolicy()

    def stats(self) -> dict[str, dict[str, int]]:
        """The connection pool per backend host (see `Pool.stats`)."""
        return self._pool.stats()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        key: Key = (url.scheme, url.host, port)
        timeouts: Mapping[str, float | None] = request.extensions.get("timeout", _NO_TIMEOUTS)
        head = _head(request)
        body = request.content if _has_fixed_body(request) else await _collect(request, head)
        reply = await self.roundtrip(key, head + body, timeouts)
        return httpx.Response(
            reply.status_code,
            headers=reply.headers,
            stream=reply.body,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def roundtrip(
        self, key: Key, payload: bytes, timeouts: Mapping[str, float | None]
    ) -> Reply:
        """Send one whole request (head and body, as bytes) and read the response's head.

        The direct path of drivers (no httpx request or response objects); raises httpx's
        exception types, like `handle_async_request`.
        """
        connect = timeouts.get("connect")
        reused, connection = await self._pool.acquire(key, timeouts.get("pool", connect), connect)
        try:
            return await self._exchange(connection, payload, timeouts)
        except _NotSentError as exc:
            # at most once: only a request that never left may go again, on a new connection
            if not reused:
                connection.close()
                raise httpx.WriteError(str(exc)) from exc
        except BaseException:
            connection.close()
            raise
        connection = await self._pool.replace(key, connection, connect)
        try:
            return await self._exchange(connection, payload, timeouts)
        except BaseException as exc:
            connection.close()
            if isinstance(exc, _NotSentError):
                raise httpx.WriteError(str(exc)) from exc
            raise

    async def _dial(
        self, key: Key, seconds: float | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
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
        # drain() then waits until (nearly) all that was written left our buffer; 1, not 0: the
        # TLS transport would pause writing at once with high=0, its buffer empty
        writer.transport.set_write_buffer_limits(high=1)
        return reader, writer

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
        self, connection: Connection, payload: bytes, timeouts: Mapping[str, float | None]
    ) -> Reply:
        parsed = Parsed()
        parser = httptools.HttpResponseParser(parsed)
        parsed.parser = parser
        writer = connection.writer
        if writer.is_closing():
            raise _NotSentError("the connection closed before the request was written")
        try:
            writer.write(payload if len(payload) <= _PIECE else payload[:_PIECE])
        except (OSError, RuntimeError) as exc:
            raise _NotSentError(str(exc)) from exc
        # usually the kernel took it all at once; otherwise it is written under the write timeout
        if len(payload) > _PIECE or writer.transport.get_write_buffer_size():
            await _write_rest(connection, payload, timeouts.get("write"))
        read_timeout = timeouts.get("read")
        while not parsed.head_done:
            await feed(connection, parser, read_timeout)
        body = Body(self._pool, connection, parser, parsed, read_timeout)
        return Reply(parser.get_status_code(), parsed.headers, body)

    async def aclose(self) -> None:
        self._pool.close()


async def _write_rest(connection: Connection, payload: bytes, seconds: float | None) -> None:
    """Write the request past its first piece, a piece at a time, within `seconds` in all.

    Pieces bound what sits in our buffers: a TLS transport would take the whole request into
    the socket's buffer at once, where draining no longer sees it.
    """
    writer = connection.writer
    rest = memoryview(payload)
    try:
        async with asyncio.timeout(seconds):
            for start in range(_PIECE, len(payload), _PIECE):
                await writer.drain()
                writer.write(rest[start : start + _PIECE])
            await writer.drain()
    except TimeoutError:
        connection.close()
        raise httpx.WriteTimeout("timed out writing the request") from None
    except (OSError, RuntimeError) as exc:  # partly written: never sent again
        connection.close()
        raise httpx.WriteError(str(exc) or type(exc).__name__) from exc


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
