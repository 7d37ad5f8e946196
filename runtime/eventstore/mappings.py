"""Mapping SQL, and the pure translation of a raw payload into a domain event."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db.errors import translate
from runtime.db.tables.events import MappingRow
from runtime.eventstore.types import Mapping, NewEvent

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def _mapping(row: MappingRow) -> Mapping:
    fields = {f.name: getattr(row, f.name) for f in msgspec.structs.fields(Mapping)}
    return Mapping(**fields)


async def create_mapping(session: AsyncSession, mapping: Mapping) -> Mapping:
    session.add(MappingRow(**msgspec.structs.asdict(mapping)))
    with translate(f"a mapping for path {mapping.path!r} already exists"):
        await session.flush()
    return mapping


async def get_mapping(session: AsyncSession, path: str) -> Mapping:
    row = await session.get(MappingRow, path)
    if row is None:
        raise errors.NotFoundError(f"mapping not found: {path!r}")
    return _mapping(row)


async def list_mappings(session: AsyncSession) -> list[Mapping]:
    return [
        _mapping(r) for r in await session.scalars(select(MappingRow).order_by(MappingRow.path))
    ]


async def update_mapping(session: AsyncSession, mapping: Mapping) -> Mapping:
    row = await session.get(MappingRow, mapping.path)
    if row is None:
        raise errors.NotFoundError(f"mapping not found: {mapping.path!r}")
    for field, value in msgspec.structs.asdict(mapping).items():
        setattr(row, field, value)
    await session.flush()
    return mapping


async def delete_mapping(session: AsyncSession, path: str) -> None:
    result = await session.execute(delete(MappingRow).where(MappingRow.path == path))
    if getattr(result, "rowcount", 0) == 0:
        raise errors.NotFoundError(f"mapping not found: {path!r}")


def extract(payload: Any, path: str) -> tuple[bool, Any]:
    """Evaluate `$.<path>` (dot segments, `[n]`, `[*]`); a missing or null value is not found."""
    value = payload
    for name, index in _SEGMENT.findall(path.removeprefix("$.")):
        if name:
            if not isinstance(value, dict) or name not in value:
                return False, None
            value = value[name]
        elif isinstance(value, list) and value:
            value = (
                value[0]
                if index == "*"
                else (value[int(index)] if int(index) < len(value) else None)
            )
        else:
            return False, None
    return value is not None, value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def _field(payload: dict[str, Any], path: str, fallback: str) -> str:
    found, value = extract(payload, path) if path else (False, None)
    return _text(value) if found else fallback


def apply_mapping(mapping: Mapping, payload: dict[str, Any]) -> NewEvent:
    """The domain event a payload maps to; InvalidInputError says which field is missing."""
    if not mapping.aggregate_id_field:
        raise errors.InvalidInputError("aggregate ID field mapping is required")
    found, aggregate_id = extract(payload, mapping.aggregate_id_field)
    if not found:
        raise errors.InvalidInputError(
            f"aggregate ID field '{mapping.aggregate_id_field}' not found in payload"
        )
    aggregate_type = mapping.aggregate_type
    if mapping.aggregate_type_field:
        found, value = extract(payload, mapping.aggregate_type_field)
        if not found:
            raise errors.InvalidInputError(
                f"aggregate type field '{mapping.aggregate_type_field}' not found in payload"
            )
        aggregate_type = _text(value)
    metadata = {}
    for key, path in mapping.metadata_mapping.items():
        found, value = extract(payload, path)
        if found:
            metadata[key] = value
    return NewEvent(
        id=_field(payload, mapping.event_id_field, ""),
        event_type=_field(payload, mapping.event_type_field, mapping.event_type),
        event_source=_field(payload, mapping.event_source_field, mapping.event_source),
        aggregate_id=_text(aggregate_id),
        aggregate_type=aggregate_type,
        version=mapping.version,
        data=payload,
        metadata=metadata,
    )
