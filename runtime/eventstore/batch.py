"""Appends stored in batches: one multi-row INSERT per table for many concurrent requests.

The raw payloads, events and their followers' rows of a batch share one transaction. An item
is an event to append, a raw payload to keep, or both (ingest). A raw payload with a source
event id already stored (or earlier in the same batch) is answered with the stored one and its
event is not appended: ingest is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.eventstore import events, raw
from runtime.eventstore.types import Event, RawEvent


class Follower(Protocol):
    """Work that must exist whenever an event exists (trigger deliveries)."""

    async def appended(self, session: AsyncSession, event: Event, depth: int) -> None:
        """Called inside the event's transaction: write what follows from it."""

    async def before_commit(self, session: AsyncSession) -> None:
        """Called once per transaction, after its last append."""

    def committed(self, event: Event) -> None:
        """Called after the event's transaction committed."""


class Item(msgspec.Struct, frozen=True, kw_only=True):
    """What one request stores: an event, a raw payload, or a raw payload and its event."""

    event: Event | None = None
    depth: int = 0
    raw: RawEvent | None = None
    source_id: str | None = None  # the raw payload's own event id (ingest idempotency)


class Stored(msgspec.Struct, frozen=True):
    """The item as stored; `event` is None when none was appended (or it was a repeat)."""

    raw: RawEvent | None
    event: Event | None


async def store(
    session: AsyncSession, items: list[Item], followers: Sequence[Follower]
) -> list[Stored]:
    """Store a batch in the caller's transaction; a result per item, in order."""
    keys = [(i.raw.path, i.source_id) for i in items if i.raw is not None and i.source_id]
    earlier = _repeats(items, await raw.find_by_source_ids(session, keys))
    new_raws = [(n, i.raw, i.source_id) for n, i in enumerate(items) if i.raw and n not in earlier]
    new_events = [(n, i.event) for n, i in enumerate(items) if i.event and n not in earlier]
    raws = await raw.append_raws(session, [(r, source) for _, r, source in new_raws])
    appended = await events.append_events(session, [e for _, e in new_events])
    stored_raw = {n: r for (n, _, _), r in zip(new_raws, raws, strict=True)}
    stored_event = {n: e for (n, _), e in zip(new_events, appended, strict=True)}
    for follower in followers:
        for n, event in stored_event.items():
            await follower.appended(session, event, items[n].depth)
        await follower.before_commit(session)
    results = []
    for n in range(len(items)):
        repeat = earlier.get(n)
        if repeat is None:
            results.append(Stored(stored_raw.get(n), stored_event.get(n)))
        else:
            results.append(Stored(stored_raw[repeat] if isinstance(repeat, int) else repeat, None))
    return results


def _repeats(items: list[Item], seen: dict[raw.Key, RawEvent]) -> dict[int, RawEvent | int]:
    """Repeated source event ids: item -> the stored payload, or the batch's first item."""
    earlier: dict[int, RawEvent | int] = {}
    first: dict[raw.Key, int] = {}
    for n, item in enumerate(items):
        if item.raw is None or not item.source_id:
            continue
        key = (item.raw.path, item.source_id)
        if key in seen:
            earlier[n] = seen[key]
        elif key in first:
            earlier[n] = first[key]
        else:
            first[key] = n
    return earlier
