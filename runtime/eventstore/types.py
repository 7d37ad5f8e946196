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
