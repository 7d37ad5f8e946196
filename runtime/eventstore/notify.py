"""Cross-replica live events on PostgreSQL: NOTIFY with each append, LISTEN in every process.

`Broadcast` (an event-store follower) sends `pg_notify` inside the append's transaction, so a
notice goes out exactly when the event commits. `Listener` keeps one connection listening and
hands events appended by other processes to the local bus (SSE subscribers) and wakes the
local trigger workers. Events too large for a notice travel as their `nid` and are read back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.eventstore.stream import EventBus
from runtime.eventstore.types import Event

CHANNEL = "runtime_events"
_MAX_PAYLOAD = 7900  # PostgreSQL refuses notices of 8000 bytes and more
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")

log = logging.getLogger(__name__)


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """What one append tells the other replicas: the event, or only its nid when large."""

    node: str
    event: Event | None = None
    nid: int = 0


_decoder = msgspec.json.Decoder(Notice)


class Broadcast:
    """Sends a notice with every appended event (PostgreSQL only)."""

    def __init__(self, node: str) -> None:
        self._node = node

    async def appended(self, session: AsyncSession, event: Event, depth: int) -> None:
        payload = msgspec.json.encode(Notice(node=self._node, event=event))
        if len(payload) > _MAX_PAYLOAD:
            payload = msgspec.json.encode(Notice(node=self._node, nid=event.nid))
        await session.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload.decode()})

    def committed(self) -> None:
        return None


def asyncpg_dsn(url: str) -> str:
    """The plain libpq URL of a SQLAlchemy `postgresql+asyncpg://` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """A background loop: LISTEN, and publish other replicas' events locally."""

    def __init__(
        self,
        dsn: str,
        node: str,
        bus: EventBus,
        *,
        fetch: Callable[[int], Awaitable[Event | None]],
        on_event: Callable[[], None],
    ) -> None:
        self._dsn = dsn
        self._node = node
        self._bus = bus
        self._fetch = fetch
        self._on_event = on_event
        self._pending: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(self._dsn)
        try:
            conn.add_termination_listener(lambda _: lost.set())
            await conn.add_listener(CHANNEL, self._received)
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if lost.is_set() and not stop.is_set():
                raise ConnectionError("the LISTEN connection was lost")  # restarted by Background
        finally:
            if not conn.is_closed():
                await conn.close()

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = _decoder.decode(payload)
        except msgspec.DecodeError:
            log.warning("ignored a malformed notice on %s", CHANNEL)
            return
        if notice.node == self._node:
            return
        if notice.event is not None:
            self._deliver(notice.event)
            return
        task = asyncio.ensure_future(self._fetch_and_deliver(notice.nid))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _fetch_and_deliver(self, nid: int) -> None:
        event = await self._fetch(nid)
        if event is not None:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        self._bus.publish(event)
        self._on_event()
