"""The lean HTTP/1.1 transport against raw loopback servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest

from runtime.providers.outbound import OutboundPolicy, OutboundRefusedError
from runtime.providers.transport import LeanTransport
from tests.fakes.raw import RawServer, answer, never_read, read_request, tls_contexts


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


async def keep_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with its path, after a short think."""
    while True:
        try:
            request = await read_request(reader)
        except asyncio.IncompleteReadError:
            return
        await asyncio.sleep(0.01)
        writer.write(answer(request.split(b" ")[1]))
        await writer.drain()


class Held:
    """Keep-alive answers; a request to /hold is answered once `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.paths: list[bytes] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            path = request.split(b" ")[1]
            self.paths.append(path)
            if path == b"/hold":
                await self.release.wait()
            writer.write(answer(b"ok"))
            await writer.drain()


def capped(connections: int, pool: float = 1.0) -> httpx.AsyncClient:
    transport = LeanTransport(max_connections=connections)
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(2.0, pool=pool))


async def test_requests_beyond_the_connection_cap_wait_and_all_complete() -> None:
    async with RawServer(keep_answering) as server, capped(3) as http:
        answers = await asyncio.gather(*(http.get(f"{server.url}/{n}") for n in range(20)))
    assert [a.text for a in answers] == [f"/{n}" for n in range(20)]
    assert server.connections == 3


async def test_waiters_get_the_connection_in_the_order_they_came() -> None:
    server_side = Held()
    async with RawServer(server_side) as server, capped(1) as http:
        held = asyncio.create_task(http.get(f"{server.url}/hold"))
        waiting = []
        for name in ("a", "b", "c", "d"):
            await asyncio.sleep(0.02)  # each waiter is in line before the next comes
            waiting.append(asyncio.create_task(http.get(f"{server.url}/{name}")))
        await asyncio.sleep(0.02)
        server_side.release.set()
        await asyncio.gather(held, *waiting)
    assert server_side.paths == [b"/hold", b"/a", b"/b", b"/c", b"/d"]
    assert server.connections == 1


async def test_a_request_waiting_past_the_pool_timeout_is_a_pool_timeout() -> None:
    server_side = Held()
    async with RawServer(server_side) as server, capped(1, pool=0.1) as http:
        held = asyncio.create_task(http.get(f"{server.url}/hold"))
        await asyncio.sleep(0.05)
        for _ in range(3):
            with pytest.raises(httpx.PoolTimeout):
                await http.get(f"{server.url}/late")
        server_side.release.set()
        assert (await held).text == "ok"
        # the timed-out waiters took no slot with them: one connection serves everyone
        answers = await asyncio.gather(*(http.get(f"{server.url}/after") for _ in range(4)))
    assert [a.text for a in answers] == ["ok"] * 4
    assert server_side.paths == [b"/hold"] + [b"/after"] * 4
    assert server.connections == 1


async def test_cancelled_waiters_leave_their_place_to_the_next() -> None:
    server_side = Held()
    async with RawServer(server_side) as server, capped(1) as http:
        held = asyncio.create_task(http.get(f"{server.url}/hold"))
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(http.get(f"{server.url}/{n}")) for n in range(4)]
        await asyncio.sleep(0.05)
        waiting[0].cancel()
        waiting[2].cancel()
        server_side.release.set()
        await held
        assert [(await waiting[n]).text for n in (1, 3)] == ["ok", "ok"]
        assert (await http.get(f"{server.url}/after")).text == "ok"
    assert waiting[0].cancelled()
    assert waiting[2].cancelled()
    assert server_side.paths == [b"/hold", b"/1", b"/3", b"/after"]
    assert server.connections == 1


async def test_a_waiter_cancelled_as_a_connection_is_handed_to_it_passes_it_on() -> None:
    async with RawServer(keep_answering) as server, capped(1, pool=0.5) as http:
        async with http.stream("GET", f"{server.url}/first") as first:
            waiter = asyncio.create_task(http.get(f"{server.url}/waiter"))
            await asyncio.sleep(0.05)  # in line for the one connection
            await first.aread()  # which goes back to the pool, straight to the waiter...
            waiter.cancel()  # ...cancelled before it could run
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert (await http.get(f"{server.url}/next")).text == "/next"
    assert server.connections == 1


async def test_an_idle_connection_past_its_expiry_is_not_reused() -> None:
    transport = LeanTransport(idle_seconds=0.1)
    async with RawServer(keep_answering) as server, httpx.AsyncClient(transport=transport) as http:
        await http.get(server.url)
        await http.get(server.url)  # fresh: reused
        assert server.connections == 1
        await asyncio.sleep(0.25)
        await http.get(server.url)
        assert server.connections == 2


async def test_idle_connections_to_a_host_no_longer_asked_are_closed_too() -> None:
    hung_up = asyncio.Event()

    async def watch_for_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer)
        hung_up.set()

    transport = LeanTransport(idle_seconds=0.1)
    async with (
        RawServer(watch_for_close) as quiet,
        RawServer(keep_answering) as busy,
        httpx.AsyncClient(transport=transport) as http,
    ):
        await http.get(quiet.url)
        await asyncio.sleep(0.25)
        await http.get(busy.url)
        await asyncio.wait_for(hung_up.wait(), 1.0)


async def _pieces(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 1 << 20):
        yield body[start : start + (1 << 20)]


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return tls_contexts()


async def test_keep_alive_over_tls_reuses_one_connection(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_tls, client_tls = tls
    async with (
        RawServer(keep_answering, tls=server_tls) as server,
        httpx.AsyncClient(transport=LeanTransport(tls=client_tls), timeout=2.0) as http,
    ):
        paths = [(await http.post(f"{server.url}/{n}", content=b"x")).text for n in range(3)]
    assert paths == ["/0", "/1", "/2"]
    assert server.connections == 1


@pytest.mark.parametrize(
    ("streamed", "over_tls"),
    [(False, False), (True, False), (False, True)],
    ids=["fixed-body", "streamed-body", "tls"],
)
async def test_a_server_that_never_reads_makes_the_write_time_out(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], streamed: bool, over_tls: bool
) -> None:
    server_tls, client_tls = tls if over_tls else (None, None)
    body = b"x" * (16 << 20)  # far more than both sides' socket buffers hold
    timeout = httpx.Timeout(1.0, write=0.2)
    async with (
        RawServer(never_read, tls=server_tls, receive_buffer=4096) as server,
        httpx.AsyncClient(transport=LeanTransport(tls=client_tls)) as http,
    ):
        content = _pieces(body) if streamed else body
        with pytest.raises(httpx.WriteTimeout):  # not a ReadTimeout a second later
            await http.post(server.url, content=content, timeout=timeout)
