"""Domain data of the event store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """A stored domain event; `data` and `metadata` are open JSON."""

    id: str
    nid: int
    created_at: datetime
    event_type: str
    event_source: str
    aggregate_id: str
    aggregate_type: str
    version: int
    data: Any
    metadata: Any


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event to append (not yet validated); empty id and time are filled in."""

    id: str = ""
    created_at: datetime | None = None
    event_type: str = ""
    event_source: str = ""
    aggregate_id: str = ""
    aggregate_type: str = ""
    version: int = 0
    data: Any = None
    metadata: Any = None


class TimeRange(msgspec.Struct, frozen=True, kw_only=True):
    """Inclusive bounds of a query, and how many events at most."""

    start: datetime
    end: datetime
    limit: int = 100


class RawEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A received payload, stored before mapping so it can be replayed."""

    id: str
    nid: int
    received_at: datetime
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


class Mapping(msgspec.Struct, frozen=True, kw_only=True):
    """How payloads posted to `path` become domain events; `*_field` are JSON paths."""

    path: str
    event_type: str = ""
    event_source: str = ""
    aggregate_type: str = ""
    aggregate_id_field: str = ""
    aggregate_type_field: str = ""
    event_type_field: str = ""
    event_source_field: str = ""
    event_id_field: str = ""
    version: int = 1
    metadata_mapping: dict[str, str] = msgspec.field(default_factory=dict)
