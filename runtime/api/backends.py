"""/backends: register, list, inspect, update and remove LLM backends."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime.api.base import ApiStruct, Kind, LongName, Url, literal, page_request
from runtime.registry import Backend, BackendService, BackendSpec
from runtime.state import BackendState, PulledModel, SnapshotHolder


class BackendIn(ApiStruct):
    """Body of POST and PUT /backends; `id` and timestamps are accepted and ignored."""

    name: LongName = ""
    base_url: Url = ""
    type: Kind = ""
    id: LongName | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_spec(self) -> BackendSpec:
        return BackendSpec(name=self.name, base_url=self.base_url, type=self.type)


class ModelDetailsOut(ApiStruct):
    """Format and family facts of a model as its backend reports them."""

    parent_model: str = ""
    format: str = ""
    family: str = ""
    families: list[str] = msgspec.field(default_factory=list)
    parameter_size: str = ""
    quantization_level: str = ""


class PulledModelOut(ApiStruct):
    """A model present on a backend, with what it can do."""

    name: str
    model: str
    modified_at: datetime | None
    size: int
    digest: str
    details: ModelDetailsOut
    context_length: int
    can_chat: bool
    can_embed: bool
    can_prompt: bool
    can_stream: bool

    @classmethod
    def from_domain(cls, pulled: PulledModel) -> PulledModelOut:
        served, caps = pulled.served, pulled.capabilities
        details = served.details
        return cls(
            name=served.name,
            model=served.model,
            modified_at=served.modified_at,
            size=served.size,
            digest=served.digest,
            details=ModelDetailsOut(
                parent_model=details.parent_model,
                format=details.format,
                family=details.family,
                families=list(details.families),
                parameter_size=details.parameter_size,
                quantization_level=details.quantization_level,
            ),
            context_length=caps.context_length,
            can_chat=caps.can_chat,
            can_embed=caps.can_embed,
            can_prompt=caps.can_prompt,
            can_stream=caps.can_stream,
        )


class BackendOut(ApiStruct, omit_defaults=True):
    """A backend with its runtime state (`error` only when there is one)."""

    id: str
    name: str
    base_url: str
    type: str
    models: list[str]
    pulled_models: list[PulledModelOut]
    created_at: datetime
    updated_at: datetime
    error: str | None = None

    @classmethod
    def from_domain(cls, backend: Backend, state: BackendState | None) -> BackendOut:
        return cls(
            id=backend.id,
            name=backend.name,
            base_url=backend.base_url,
            type=backend.type.value,
            models=list(state.models) if state else [],
            pulled_models=[PulledModelOut.from_domain(p) for p in state.pulled] if state else [],
            created_at=backend.created_at,
            updated_at=backend.updated_at,
            error=(state.error or None) if state else None,
        )


class BackendPlainOut(ApiStruct):
    """A backend as declared, without runtime state."""

    id: str
    name: str
    base_url: str
    type: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, backend: Backend) -> BackendPlainOut:
        return cls(
            id=backend.id,
            name=backend.name,
            base_url=backend.base_url,
            type=backend.type.value,
            created_at=backend.created_at,
            updated_at=backend.updated_at,
        )


class BackendController(Controller):
    """Backends the operator registered."""

    path = "/backends"

    @post()
    async def create_backend(
        self, data: JSONBody[BackendIn], backends: NamedDependency[BackendService]
    ) -> BackendPlainOut:
        return BackendPlainOut.from_domain(await backends.create(data.to_spec()))

    @get()
    async def list_backends(
        self,
        backends: NamedDependency[BackendService],
        snapshot: NamedDependency[SnapshotHolder],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[BackendOut]:
        found = await backends.list_page(page_request(limit, cursor))
        return [BackendOut.from_domain(b, snapshot.backend(b.id)) for b in found]

    @get("/{backend_id:str}")
    async def get_backend(
        self,
        backend_id: FromPath[str],
        backends: NamedDependency[BackendService],
        snapshot: NamedDependency[SnapshotHolder],
    ) -> BackendOut:
        backend = await backends.get(backend_id)
        return BackendOut.from_domain(backend, snapshot.backend(backend.id))

    @put("/{backend_id:str}")
    async def update_backend(
        self,
        backend_id: FromPath[str],
        data: JSONBody[BackendIn],
        backends: NamedDependency[BackendService],
    ) -> BackendPlainOut:
        return BackendPlainOut.from_domain(await backends.update(backend_id, data.to_spec()))

    @delete("/{backend_id:str}", status_code=200)
    async def delete_backend(
        self, backend_id: FromPath[str], backends: NamedDependency[BackendService]
    ) -> Response[bytes]:
        await backends.delete(backend_id)
        return literal("backend removed")
