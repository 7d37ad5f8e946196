"""Serve an ASGI app on a loopback port inside the test's event loop; the fakes' ASGI I/O."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from runtime.api.corked import CorkedHttpToolsProtocol


class Served:
    """A running loopback server: its base URL, and `stop()` to make it refuse connections."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], url: str) -> None:
        self.url = url
        self._server = server
        self._task = task

    async def stop(self) -> None:
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
        except TimeoutError:
            self._server.force_exit = True
            await asyncio.wait_for(self._task, timeout=5)


@asynccontextmanager
async def serve(
    app: Any, *, lifespan: bool = False, corked: bool | None = None
) -> AsyncIterator[Served]:
    """Serve `app`; `lifespan=True` for our own app (start-up seeding, background loops), on
    the corked protocol `runtime-api serve` uses (`corked` chooses it for any app)."""
    # an explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without
    # it every small response waits ~40 ms for a delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on" if lifespan else "off",
        http=CorkedHttpToolsProtocol if (lifespan if corked is None else corked) else "auto",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    served = Served(server, task, f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        yield served
    finally:
        if not task.done():
            await served.stop()
        sock.close()


async def read_raw(receive: Any) -> bytes:
    """The whole request body."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def read_body(receive: Any) -> Any:
    """The request body decoded as JSON (None when empty)."""
    body = await read_raw(receive)
    return json.loads(body) if body else None


async def send_json(send: Any, status: int, obj: Any) -> None:
    await send_bytes(send, status, json.dumps(obj).encode(), "application/json")


async def send_bytes(send: Any, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
