"""The transport's connection pool: at most N open connections per host, idle ones reused.

Each connection holds a slot of its host from the moment it is dialled until it is closed. A
request finding no idle connection and no free slot waits in line: a released connection or
a freed slot goes straight to the first waiter, so later arrivals cannot overtake it. Idle
connections are reused newest first and closed once idle for longer than `idle_seconds`,
checked when a host's connections are asked for and in a sweep of all hosts at most once per
`idle_seconds`, so no background task is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import time
from collections import deque
from collections.abc import Awaitable, Callable

import httpx

Key = tuple[str, str, int]
Opener = Callable[[Key, float | None], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class _Host:
    """The connections of one (scheme, host, port): idle ones, how many are open, who waits."""

    __slots__ = ("idle", "open", "waiters")

    def __init__(self) -> None:
        self.idle: deque[Connection] = deque()  # oldest first
        self.open = 0  # slots held: connections open or being dialled
        self.waiters: deque[asyncio.Future[Connection | None]] = deque()

    def freed(self) -> None:
        """A slot was given up: it passes to the first waiter (None: dial your own)."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.open -= 1

    def take_back(self, connection: Connection) -> None:
        """A connection whose exchange completed: it passes to the first waiter, or idles."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        connection.idle_since = time.monotonic()
        self.idle.append(connection)


class Connection:
    """One keep-alive connection to a host, holding one of the host's slots until closed."""

    __slots__ = ("idle_since", "reader", "slot", "writer")

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slot: _Host
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.slot: _Host | None = slot
        self.idle_since = 0.0

    def close(self) -> None:
        """Close the socket and give the slot up; closing again does nothing."""
        self.writer.close()
        slot, self.slot = self.slot, None
        if slot is not None:
            slot.freed()

    def retire(self) -> _Host:
        """Close the socket but keep the slot, for a replacement dialled at once."""
        self.writer.close()
        slot, self.slot = self.slot, None
        if slot is None:
            raise RuntimeError("a closed connection has no slot to pass on")
        return slot


def _still_open(connection: Connection) -> bool:
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


class Pool:
    """Connections by host, at most `max_per_host` open to each; `opener` dials a new one."""

    def __init__(self, opener: Opener, *, max_per_host: int, idle_seconds: float) -> None:
        self._open_new = opener
        self._hosts: dict[Key, _Host] = {}
        self._max = max_per_host
        self._idle_seconds = idle_seconds
        self._next_sweep = time.monotonic() + idle_seconds

    def stats(self) -> dict[str, dict[str, int]]:
        """Per host (`scheme://host:port`): connections open, idle, and requests waiting."""
        return {
            f"{scheme}://{host}:{port}": {
                "open": slot.open,
                "idle": len(slot.idle),
                "waiting": len(slot.waiters),
            }
            for (scheme, host, port), slot in self._hosts.items()
        }

    async def acquire(
        self, key: Key, pool_timeout: float | None, connect_timeout: float | None
    ) -> tuple[bool, Connection]:
        """A connection for one request, and whether it was used before (reused, or new).

        Waits up to `pool_timeout` while the host has no idle connection and no free slot;
        raises httpx.PoolTimeout past it.
        """
        now = time.monotonic()
        if now >= self._next_sweep:
            self._sweep(now)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host()
        idle = host.idle
        if idle:
            _expire(idle, now - self._idle_seconds)
            while idle:
                connection = idle.pop()
                if _still_open(connection):
                    return True, connection
                connection.close()
        if host.open < self._max:
            host.open += 1
        else:
            handed = await _wait(host, pool_timeout)
            if handed is not None:
                if _still_open(handed):
                    return True, handed
                handed.retire()  # closed while handed over: dial a new one in its slot
        return False, await self.dial(key, host, connect_timeout)

    async def replace(self, key: Key, stale: Connection, seconds: float | None) -> Connection:
        """A new connection in the slot of `stale`, which is closed."""
        return await self.dial(key, stale.retire(), seconds)

    async def dial(self, key: Key, slot: _Host, seconds: float | None) -> Connection:
        """A new connection holding `slot`, which is given up if dialling fails."""
        try:
            reader, writer = await self._open_new(key, seconds)
        except BaseException:
            slot.freed()
            raise
        return Connection(reader, writer, slot)

    def release(self, connection: Connection) -> None:
        """Take back a connection whose exchange completed: to the first waiter, or idle."""
        host = connection.slot
        if host is None:
            return
        if connection.writer.is_closing():
            connection.close()
        else:
            host.take_back(connection)

    def _sweep(self, now: float) -> None:
        """Close expired idle connections of every host; forget hosts with none open."""
        self._next_sweep = now + self._idle_seconds
        expired = now - self._idle_seconds
        for key, host in list(self._hosts.items()):
            _expire(host.idle, expired)
            if not host.open and not host.waiters:
                del self._hosts[key]

    def close(self) -> None:
        """Close every idle connection."""
        for host in self._hosts.values():
            while host.idle:
                host.idle.pop().close()


def _expire(idle: deque[Connection], before: float) -> None:
    while idle and idle[0].idle_since < before:
        idle.popleft().close()


async def _wait(host: _Host, seconds: float | None) -> Connection | None:
    """Wait in line for a connection or a slot of `host`; see `_Host.freed`."""
    waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
    host.waiters.append(waiter)
    try:
        async with asyncio.timeout(seconds):
            return await waiter
    except BaseException as exc:
        if waiter.done() and not waiter.cancelled():
            # handed a connection or a slot just as we gave up: pass it on
            handed = waiter.result()
            if handed is None:
                host.freed()
            else:
                host.take_back(handed)
        else:
            with contextlib.suppress(ValueError):  # already skipped by a release
                host.waiters.remove(waiter)
        if isinstance(exc, TimeoutError):
            raise httpx.PoolTimeout("no connection to the backend was free in time") from None
        raise
