"""/mappings, /ingest, /raw-events, /replay and /sync: webhooks turned into domain events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime import decoding, errors
from runtime.api.base import Int32, Name, Path, literal
from runtime.api.events import EventController, Since, span
from runtime.api.request import off_loop
from runtime.eventstore import IngestService, Mapping, RawEvent, TimeRange
from runtime.eventstore.service import MAX_EVENT_BYTES


class MappingBody(msgspec.Struct, rename="camel", kw_only=True):
    """A mapping as the API reference spells it (`aggregateIDField`, `eventIDField`)."""

    path: Path = ""
    event_type: Name = ""
    event_source: Name = ""
    aggregate_type: Name = ""
    aggregate_id_field: Path = msgspec.field(default="", name="aggregateIDField")
    aggregate_type_field: Path = ""
    event_type_field: Path = ""
    event_source_field: Path = ""
    event_id_field: Path = msgspec.field(default="", name="eventIDField")
    version: Int32 = 1
    metadata_mapping: dict[str, str] | None = None

    def to_domain(self, path: str | None = None) -> Mapping:
        fields = msgspec.structs.asdict(self) | {"metadata_mapping": self.metadata_mapping or {}}
        return Mapping(**(fields | ({"path": path} if path is not None else {})))

    @classmethod
    def from_domain(cls, mapping: Mapping) -> MappingBody:
        return cls(**msgspec.structs.asdict(mapping))


class RawEventOut(msgspec.Struct, kw_only=True):
    """A stored raw event."""

    id: str
    nid: int
    received_at: datetime
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]

    @classmethod
    def from_domain(cls, raw: RawEvent) -> RawEventOut:
        return cls(**msgspec.structs.asdict(raw))


class RawEventIn(msgspec.Struct, kw_only=True):
    """Body of POST /raw-events."""

    path: Path = ""
    payload: Any = None
    headers: dict[str, str] | None = None
    id: Name = ""


def _path(path: str | None) -> str:
    if not path:
        raise errors.BadRequestError("path query parameter is required", param="path")
    return path


def _nid(nid: str | None) -> int:
    if not nid:
        raise errors.BadRequestError("nid query parameter is required", param="nid")
    try:
        return int(nid)
    except ValueError:
        raise errors.InvalidInputError("invalid nid format, must be integer", param="nid") from None


class MappingController(Controller):
    """Event mappings by path."""

    @post("/mappings", status_code=201)
    async def create_mapping(
        self, data: JSONBody[MappingBody], ingest: NamedDependency[IngestService]
    ) -> MappingBody:
        return MappingBody.from_domain(await ingest.create_mapping(data.to_domain()))

    @get("/mappings")
    async def list_mappings(self, ingest: NamedDependency[IngestService]) -> list[MappingBody]:
        return [MappingBody.from_domain(m) for m in await ingest.list_mappings()]

    @get("/mapping")
    async def get_mapping(
        self, ingest: NamedDependency[IngestService], path: FromQuery[str | None] = None
    ) -> MappingBody:
        return MappingBody.from_domain(await ingest.get_mapping(_path(path)))

    @put("/mapping")
    async def update_mapping(
        self,
        data: JSONBody[MappingBody],
        ingest: NamedDependency[IngestService],
        path: FromQuery[str | None] = None,
    ) -> MappingBody:
        return MappingBody.from_domain(await ingest.update_mapping(data.to_domain(_path(path))))

    @delete("/mapping", status_code=200)
    async def delete_mapping(
        self, ingest: NamedDependency[IngestService], path: FromQuery[str | None] = None
    ) -> Response[bytes]:
        await ingest.delete_mapping(_path(path))
        return literal("mapping removed")

    @post("/sync", status_code=200)
    async def sync_mappings(self, ingest: NamedDependency[IngestService]) -> Response[bytes]:
        """Ingestion caches mappings for a second; this forgets them at once."""
        ingest.sync()
        return literal("mappings synchronized")


class IngestController(Controller):
    """Raw payloads in, domain events out."""

    dependencies = EventController.dependencies

    @post("/ingest", status_code=201)
    async def ingest_payload(
        self,
        request: Request[Any, Any, Any],
        ingest: NamedDependency[IngestService],
        path: FromQuery[str | None] = None,
    ) -> RawEventOut:
        body = await request.body()
        if len(body) > MAX_EVENT_BYTES:
            raise errors.TooLargeError(f"payload larger than {MAX_EVENT_BYTES} bytes")
        # any valid JSON is kept as received, a NUL in it as the text `\u0000`
        payloads = decoding.decoder(object, "invalid JSON payload", keep_nul=True)
        payload = await off_loop(payloads.decode, body)
        headers = dict(request.headers.items())
        return RawEventOut.from_domain(await ingest.ingest(_path(path), payload, headers))

    @post("/raw-events", status_code=201)
    async def append_raw_event(
        self, data: JSONBody[RawEventIn], ingest: NamedDependency[IngestService]
    ) -> RawEventOut:
        stored = await ingest.append_raw(data.path, data.payload, data.headers or {})
        return RawEventOut.from_domain(stored)

    @get("/raw-events")
    async def list_raw_events(
        self, ingest: NamedDependency[IngestService], window: NamedDependency[TimeRange]
    ) -> list[RawEventOut]:
        return [RawEventOut.from_domain(r) for r in await ingest.list_raw(window)]

    @get("/raw-events/{nid:str}")
    async def get_raw_event(
        self,
        nid: FromPath[str],
        ingest: NamedDependency[IngestService],
        since: Since = None,
        to: FromQuery[str | None] = None,
    ) -> RawEventOut:
        _required_range(since, to)
        return RawEventOut.from_domain(await ingest.get_raw(_nid(nid), span(since, to)))

    @post("/replay", status_code=202)
    async def replay_raw_event(
        self,
        ingest: NamedDependency[IngestService],
        nid: FromQuery[str | None] = None,
        since: Since = None,
        to: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        number = _nid(nid)
        _required_range(since, to)
        await ingest.replay(number, span(since, to))
        return literal("event replayed", status_code=202)


def _required_range(since: str | None, to: str | None) -> None:
    if not since:
        raise errors.BadRequestError("'from' is required", param="from")
    if not to:
        raise errors.BadRequestError("'to' is required", param="to")
