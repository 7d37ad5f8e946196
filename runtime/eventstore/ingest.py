"""IngestService: mappings, and raw payloads turned into domain events (ingest and replay).

The raw payload and its event commit together; a payload that fails to map is committed alone
(and answered 422), so it can be replayed once the mapping is fixed. Ingestion reads mappings
through a cache of at most `MAPPING_TTL` seconds (this process's own changes and `POST /sync`
clear it at once).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from runtime import errors
from runtime.cache import TtlCache
from runtime.db import Database
from runtime.eventstore import mappings, raw
from runtime.eventstore.batch import Item
from runtime.eventstore.service import EventService, check_range
from runtime.eventstore.types import Event, Mapping, RawEvent, TimeRange

SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})
MAPPING_TTL = 1.0


def validate_mapping(mapping: Mapping) -> None:
    for name in ("path", "event_type", "event_source", "aggregate_type"):
        if not getattr(mapping, name).strip():
            raise errors.InvalidInputError(
                f"invalid mapping configuration: {name} is required", param=name
            )
    if mapping.version <= 0:
        raise errors.InvalidInputError(
            f"invalid mapping configuration: version must be > 0, got {mapping.version}",
            param="version",
        )


class IngestService:
    """Webhook ingestion through mappings, raw events and replay."""

    def __init__(
        self,
        db: Database,
        events: EventService,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._events = events
        self._cache: TtlCache[str, Mapping] = TtlCache(MAPPING_TTL, clock=clock)

    def sync(self) -> None:
        """Forget cached mappings: the next ingest of each path reads the database."""
        self._cache.forget()

    async def _cached_mapping(self, path: str) -> Mapping:
        return await self._cache.get(path, self.get_mapping)

    async def create_mapping(self, mapping: Mapping) -> Mapping:
        validate_mapping(mapping)
        async with self._db.transaction(on_commit=self.sync) as session:
            return await mappings.create_mapping(session, mapping)

    async def get_mapping(self, path: str) -> Mapping:
        async with self._db.transaction() as session:
            return await mappings.get_mapping(session, path)

    async def list_mappings(self) -> list[Mapping]:
        async with self._db.transaction() as session:
            return await mappings.list_mappings(session)

    async def update_mapping(self, mapping: Mapping) -> Mapping:
        validate_mapping(mapping)
        async with self._db.transaction(on_commit=self.sync) as session:
            return await mappings.update_mapping(session, mapping)

    async def delete_mapping(self, path: str) -> None:
        async with self._db.transaction(on_commit=self.sync) as session:
            await mappings.delete_mapping(session, path)

    async def ingest(self, path: str, payload: Any, headers: dict[str, str]) -> RawEvent:
        """Store the payload, then append the domain event it maps to.

        With the mapping's `eventIDField` present in the payload, a payload already ingested
        under the same id is answered with the stored raw event and appended nothing.
        """
        if not isinstance(payload, dict):
            raise errors.InvalidInputError("invalid JSON payload: expected an object")
        mapping = await self._cached_mapping(path)
        source_id = _source_id(mapping, payload)
        kept = {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}
        event: Event | None = None
        problem: errors.Error | None = None
        try:
            event = self._events.prepare(mappings.apply_mapping(mapping, payload))
        except errors.Error as exc:
            problem = exc  # the payload is still kept, to be replayed
        item = Item(event=event, raw=_new_raw(path, payload, kept), source_id=source_id)
        stored = await self._events.store(item)
        if problem is not None:
            raise problem
        assert stored.raw is not None  # noqa: S101 - the item has a raw payload
        return stored.raw

    async def append_raw(self, path: str, payload: Any, headers: dict[str, str]) -> RawEvent:
        if not path:
            raise errors.InvalidInputError("missing required field: path is required", param="path")
        if not isinstance(payload, dict):
            raise errors.InvalidInputError("payload must be a JSON object", param="payload")
        async with self._db.transaction() as session:
            (stored,) = await raw.append_raws(session, [(_new_raw(path, payload, headers), None)])
            return stored

    async def list_raw(self, span: TimeRange) -> list[RawEvent]:
        check_range(span)
        async with self._db.transaction() as session:
            return await raw.list_raw(session, span)

    async def get_raw(self, nid: int, span: TimeRange) -> RawEvent:
        async with self._db.transaction() as session:
            return await raw.get_raw(session, nid, span)

    async def replay(self, nid: int, span: TimeRange) -> Event:
        """Map a stored raw event again with the current mapping; append it as a new event."""
        if span.start > span.end:
            raise errors.BadRequestError("'from' cannot be after 'to'", param="from")
        found = await self.get_raw(nid, span)
        mapping = await self._cached_mapping(found.path)
        event = mappings.apply_mapping(mapping, found.payload)
        return await self._events.append(msgspec.structs.replace(event, id="", created_at=None))


def _source_id(mapping: Mapping, payload: dict[str, Any]) -> str | None:
    if not mapping.event_id_field:
        return None
    found, value = mappings.extract(payload, mapping.event_id_field)
    return str(value) if found else None


def _new_raw(path: str, payload: dict[str, Any], headers: dict[str, str]) -> RawEvent:
    return RawEvent(
        id=f"evt_{time.time_ns()}_{uuid.uuid4().hex[:6]}",
        nid=0,
        received_at=datetime.now(UTC),
        path=path,
        headers=headers,
        payload=payload,
    )
