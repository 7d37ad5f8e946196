"""Cross-replica live events on PostgreSQL: NOTIFY with each append, LISTEN in every process.

`Broadcast` (an event-store follower) sends `pg_notify` at the end of the append's transaction,
so notices go out exactly when the events commit; the events of one transaction share as few
notices as fit (PostgreSQL serialises committing transactions that notify). `Listener` keeps
one connection listening and hands events appended by other processes to the local bus (SSE
subscribers) and wakes the local trigger workers. Events too large for a notice travel as
their `nid` and are read back.
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
_PENDING = "runtime.notify.pending"

log = logging.getLogger(__name__)


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """What a transaction tells the other replicas: its events, or only the nids of large ones."""

    node: str
    events: list[Event] = msgspec.field(default_factory=list)
    nids: list[int] = msgspec.field(default_factory=list)


_decoder = msgspec.json.Decoder(Notice)


class Broadcast:
    """Sends a notice with every appended event (PostgreSQL only)."""

    def __init__(self, node: str) -> None:
        self._node = node
        self._empty = len(msgspec.json.encode(Notice(node=node)))

    async def appended(self, session: AsyncSession, event: Event, depth: int) -> None:
        session.info.setdefault(_PENDING, []).append(event)

    async def before_commit(self, session: AsyncSession) -> None:
        for payload in self._payloads(session.info.pop(_PENDING, [])):
            await session.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload})

    def _payloads(self, events: list[Event]) -> list[str]:
        """As few notices as carry these events (large ones by nid), each under the limit."""
        payloads: list[str] = []
        batch: list[Event] = []
        nids: list[int] = []
        size = self._empty
        for event in events:
            encoded = len(msgspec.json.encode(event)) + 1
            if encoded > _MAX_PAYLOAD // 2:
                nids.append(event.nid)
                continue
            if batch and size + encoded > _MAX_PAYLOAD:
                payloads.append(self._encode(batch, []))
                batch, size = [], self._empty
            batch.append(event)
            size += encoded
        if batch or nids:
            payloads.append(self._encode(batch, nids))
        return payloads

    def _encode(self, events: list[Event], nids: list[int]) -> str:
        return msgspec.json.encode(Notice(node=self._node, events=events, nids=nids)).decode()

    def committed(self, event: Event) -> None:
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
        for event in notice.events:
            self._deliver(event)
        if notice.nids:
            task = asyncio.ensure_future(self._fetch_and_deliver(notice.nids))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _fetch_and_deliver(self, nids: list[int]) -> None:
        for nid in nids:
            event = await self._fetch(nid)
            if event is not None:
                self._deliver(event)

    def _deliver(self, event: Event) -> None:
        self._bus.publish(event)
        self._on_event()
