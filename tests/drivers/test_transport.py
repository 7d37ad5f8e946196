"""The lean HTTP/1.1 transport against raw loopback servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from runtime.providers.outbound import OutboundPolicy, OutboundRefusedError
from runtime.providers.transport import LeanTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A TCP server on loopback running `handler` per connection; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        finally:
            writer.close()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def answer(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=LeanTransport(), timeout=1.0) as http:
        yield http


async def test_keep_alive_reuses_one_connection(client: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not reader.at_eof():
            request = await read_request(reader)
            writer.write(answer(request.split(b" ")[1]))
            await writer.drain()

    async with RawServer(handler) as server:
        paths = [(await client.post(f"{server.url}/p{n}", content=b"x")).text for n in range(5)]
    assert paths == [f"/p{n}" for n in range(5)]
    assert server.connections == 1


async def test_connection_closed_by_the_server_while_idle_is_replaced(
    client: httpx.AsyncClient,
) -> None:
    async def one_shot(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"ok"))
        await writer.drain()

    async with RawServer(one_shot) as server:
        first = await client.get(server.url)
        await asyncio.sleep(0.05)
        second = await client.get(server.url)
    assert (first.text, second.text) == ("ok", "ok")
    assert server.connections == 2


async def test_keep_alive_closed_before_the_next_request_is_read_is_sent_once_more(
    client: httpx.AsyncClient,
) -> None:
    async def close_after_answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await read_request(reader)
        writer.write(answer(b"ok"))  # keep-alive announced, then closed unread
        await writer.drain()

    async with RawServer(close_after_answer) as server:
        first = await client.get(server.url)
        second = await client.get(server.url)  # no pause: the close races the reuse
    assert (first.text, second.text) == ("ok", "ok")
    assert server.connections == 2


async def test_request_read_then_connection_closed_is_never_sent_again(
    client: httpx.AsyncClient,
) -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not reader.at_eof():
            request = await read_request(reader)
            seen.append(request.split(b" ")[1])
            if request.split(b" ")[1] == b"/second":
                return  # read the whole request, then close without answering
            writer.write(answer(b"ok"))
            await writer.drain()

    async with RawServer(handler) as server:
        assert (await client.post(f"{server.url}/first", content=b"x")).text == "ok"
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(f"{server.url}/second", content=b"x")
    assert seen == [b"/first", b"/second"]
    assert server.connections == 1


async def test_chunked_stream_arrives_piece_by_piece(client: httpx.AsyncClient) -> None:
    release = asyncio.Event()

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await writer.drain()
        await release.wait()
        writer.write(b"6\r\nsecond\r\n0\r\n\r\n")
        await writer.drain()

    async with RawServer(chunked) as server, client.stream("GET", server.url) as response:
        pieces = response.aiter_raw()
        assert await anext(pieces) == b"first"
        release.set()
        assert [piece async for piece in pieces] == [b"second"]


async def test_refused_connection_is_a_connect_error(client: httpx.AsyncClient) -> None:
    async with RawServer(read_request) as server:  # type: ignore[arg-type]
        url = server.url
    with pytest.raises(httpx.ConnectError):
        await client.get(url)


async def test_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with (
        httpx.AsyncClient(transport=LeanTransport(), timeout=0.2) as http,
        RawServer(silent) as server,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await http.get(server.url)


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # closed mid-body
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
)
async def test_broken_answers_are_protocol_errors(client: httpx.AsyncClient, reply: bytes) -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply)
        await writer.drain()

    async with RawServer(broken) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url)


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://100.100.100.200"],
)
async def test_metadata_addresses_are_refused_before_connecting(
    client: httpx.AsyncClient, url: str
) -> None:
    with pytest.raises(OutboundRefusedError, match="outbound policy refused"):
        await client.get(url)


async def test_a_denied_private_address_is_never_contacted() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"ok"))
        await writer.drain()

    strict = LeanTransport(policy=OutboundPolicy(deny_private=True))
    async with RawServer(handler) as server, httpx.AsyncClient(transport=strict) as http:
        with pytest.raises(OutboundRefusedError, match="loopback"):
            await http.get(server.url.replace("127.0.0.1", "localhost"))
    assert server.connections == 0


class Counting:
    """Answers the first request on each connection, keeping it alive; counts requests."""

    def __init__(self, *, answer_later: bool) -> None:
        self.requests: list[bytes] = []
        self.answer_later = answer_later

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests.append(await read_request(reader))
        writer.write(answer(b"ok"))
        await writer.drain()
        if not self.answer_later:
            return  # closes the idle kept-alive connection
        self.requests.append(await read_request(reader))  # read it whole, then hang up


async def test_an_idle_connection_closed_by_the_server_is_replaced_before_writing(
    client: httpx.AsyncClient,
) -> None:
    server_side = Counting(answer_later=False)
    async with RawServer(server_side) as server:
        assert (await client.get(f"{server.url}/one")).text == "ok"
        await asyncio.sleep(0.05)  # the server's close reaches us while the connection is idle
        assert (await client.get(f"{server.url}/two")).text == "ok"
    assert [r.split(b" ")[1] for r in server_side.requests] == [b"/one", b"/two"]
    assert server.connections == 2


async def test_a_request_the_server_read_is_never_sent_twice(client: httpx.AsyncClient) -> None:
    server_side = Counting(answer_later=True)
    async with RawServer(server_side) as server:
        assert (await client.get(f"{server.url}/one")).text == "ok"
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(f"{server.url}/generate", content=b"run once")
        await asyncio.sleep(0.05)
    assert [r.split(b" ")[1] for r in server_side.requests] == [b"/one", b"/generate"]
    assert server.connections == 1
