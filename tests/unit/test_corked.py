"""A corked connection writes once per loop pass, and nothing waits past the pass it came in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from runtime.api.corked import CORK_LIMIT, CorkedTransport
from tests.fakes.loopback import serve


class Recording:
    """The transport side asyncio gives a protocol: what was written, in calls."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


async def test_writes_of_one_pass_leave_in_one_call_at_its_end() -> None:
    inner = Recording()
    corked = CorkedTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    corked.write(b"HTTP/1.1 200 OK\r\n\r\n")
    corked.write(b"")
    corked.write(b"body")
    assert inner.writes == []
    assert corked.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    corked.write(b"next")
    await asyncio.sleep(0)
    assert inner.writes[1:] == [b"next"]
    assert corked.get_extra_info("socket") == "info:socket"  # the rest is the transport's


async def test_close_writes_what_was_gathered_first_and_abort_drops_it() -> None:
    inner = Recording()
    corked = CorkedTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    corked.write(b"last words")
    corked.close()
    assert inner.writes == [b"last words"]
    assert inner.closed
    other = Recording()
    corked = CorkedTransport(other, asyncio.get_running_loop())  # type: ignore[arg-type]
    corked.write(b"never")
    corked.abort()
    await asyncio.sleep(0)
    assert other.writes == []
    assert other.aborted


async def test_a_large_buffer_is_written_at_once() -> None:
    inner = Recording()
    corked = CorkedTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    corked.write(b"x" * (CORK_LIMIT - 1))
    assert inner.writes == []
    corked.write(b"yy")
    assert [len(w) for w in inner.writes] == [CORK_LIMIT + 1]
    await asyncio.sleep(0)
    assert len(inner.writes) == 1  # the queued pass-end write finds nothing left


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """`/slow`: one chunk, a pause, another; `/big`: 1 MiB; else a small whole answer."""
    assert scope["type"] == "http"
    await receive()
    if scope["path"] == "/slow":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b"second"})
        return
    body = b"z" * (1 << 20) if scope["path"] == "/big" else b"small"
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def corked(asgi: Any) -> AsyncIterator[tuple[str, int]]:
    async with serve(asgi, corked=True) as served:
        host, port = served.url.removeprefix("http://").split(":")
        yield host, int(port)


async def test_a_streamed_chunk_arrives_before_the_next_is_written() -> None:
    async with corked(app) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        started = time.monotonic()
        seen = b""
        while b"first" not in seen:
            seen += await asyncio.wait_for(reader.read(4096), timeout=5)
        assert time.monotonic() - started < 0.4  # not held until the pause ends
        while not seen.endswith(b"0\r\n\r\n"):
            seen += await asyncio.wait_for(reader.read(4096), timeout=5)
        assert b"second" in seen
        writer.close()


async def test_whole_answers_keep_alive_and_a_large_one_arrives_whole() -> None:
    async with corked(app) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        for path, size in (("/small", 5), ("/big", 1 << 20), ("/small", 5)):
            writer.write(f"GET {path} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            assert head.startswith(b"HTTP/1.1 200")
            assert f"content-length: {size}".encode() in head
            assert len(await asyncio.wait_for(reader.readexactly(size), timeout=5)) == size
        writer.write(b"GET /small HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        rest = await asyncio.wait_for(reader.read(), timeout=5)  # all of it, then closed
        assert rest.endswith(b"\r\n\r\nsmall")
        writer.close()
