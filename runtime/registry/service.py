"""Use cases for declared backends and models: validation, row caps, unique names."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from runtime import errors
from runtime.db import Database
from runtime.paging import PageRequest
from runtime.providers.outbound import OutboundPolicy, check_url
from runtime.registry import store
from runtime.registry.types import Backend, BackendKind, BackendSpec, Model, ModelSpec

_KINDS = ", ".join(kind.value for kind in BackendKind)


def validate_backend(spec: BackendSpec, policy: OutboundPolicy | None = None) -> BackendKind:
    """Check a backend spec; return its kind. Raises InvalidInputError naming the field."""
    if not spec.name.strip():
        raise errors.InvalidInputError("invalid backend data: name is required", param="name")
    if not spec.base_url.strip():
        raise errors.InvalidInputError("invalid backend data: baseURL is required", param="baseUrl")
    parts = urlsplit(spec.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InvalidInputError(
            "invalid backend data: baseUrl must be an absolute http or https URL",
            param="baseUrl",
        )
    check_url(spec.base_url, policy or OutboundPolicy(), param="baseUrl")
    try:
        return BackendKind(spec.type)
    except ValueError:
        raise errors.InvalidInputError(
            f"invalid backend data: type must be one of {_KINDS}", param="type"
        ) from None


def validate_model(spec: ModelSpec) -> None:
    """Check a model spec. Raises BadRequestError or InvalidInputError naming the field."""
    if not spec.model.strip():
        raise errors.BadRequestError("invalid model data: model name is required", param="model")
    if spec.context_length == 0:
        raise errors.BadRequestError(
            "invalid model data: context length is required", param="contextLength"
        )
    if spec.context_length < 0:
        raise errors.InvalidInputError(
            "context length cannot be zero or negative", param="contextLength"
        )
    if not (spec.can_chat or spec.can_embed or spec.can_prompt or spec.can_stream):
        raise errors.BadRequestError(
            "invalid model data: capabilities are required", param="canChat"
        )


class BackendService:
    """Create, read, update and delete backends."""

    def __init__(
        self,
        db: Database,
        *,
        max_rows: int,
        on_change: Callable[[], None] = lambda: None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._db = db
        self._max_rows = max_rows
        self._on_change = on_change
        self._policy = policy or OutboundPolicy()

    async def create(self, spec: BackendSpec) -> Backend:
        kind = validate_backend(spec, self._policy)
        now = datetime.now(UTC)
        backend = Backend(
            id=str(uuid.uuid4()),
            name=spec.name.strip(),
            base_url=spec.base_url.strip().rstrip("/"),
            type=kind,
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction(self._on_change) as session:
            if await store.count_backends(session) >= self._max_rows:
                raise errors.LimitExceededError(f"row limit reached (max {self._max_rows})")
            return await store.create_backend(session, backend)

    async def get(self, backend_id: str) -> Backend:
        async with self._db.transaction() as session:
            return await store.get_backend(session, backend_id)

    async def list_page(self, page: PageRequest) -> list[Backend]:
        async with self._db.transaction() as session:
            return await store.list_backends(session, page)

    async def update(self, backend_id: str, spec: BackendSpec) -> Backend:
        kind = validate_backend(spec, self._policy)
        async with self._db.transaction(self._on_change) as session:
            current = await store.get_backend(session, backend_id)
            changed = Backend(
                id=current.id,
                name=spec.name.strip(),
                base_url=spec.base_url.strip().rstrip("/"),
                type=kind,
                created_at=current.created_at,
                updated_at=datetime.now(UTC),
            )
            return await store.update_backend(session, changed)

    async def delete(self, backend_id: str) -> None:
        async with self._db.transaction(self._on_change) as session:
            await store.delete_backend(session, backend_id)


class ModelService:
    """Declare, update and remove models; the default embedding model cannot be removed."""

    def __init__(
        self,
        db: Database,
        *,
        max_rows: int,
        immutable: frozenset[str],
        on_change: Callable[[], None] = lambda: None,
        purge: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._max_rows = max_rows
        self._immutable = immutable
        self._on_change = on_change
        self._purge = purge

    async def create(self, spec: ModelSpec) -> Model:
        validate_model(spec)
        now = datetime.now(UTC)
        name = spec.model.strip()
        model = _model(name, spec, created_at=now, updated_at=now)
        async with self._db.transaction(self._on_change) as session:
            if await store.count_models(session) >= self._max_rows:
                raise errors.LimitExceededError(f"row limit reached (max {self._max_rows})")
            return await store.create_model(session, model)

    async def list_page(self, page: PageRequest) -> list[Model]:
        async with self._db.transaction() as session:
            return await store.list_models(session, page)

    async def find(self, name: str) -> Model | None:
        """The model declared under `name`, if any."""
        async with self._db.transaction() as session:
            return await store.find_model_by_name(session, name)

    async def update(self, model_id: str, spec: ModelSpec) -> Model:
        validate_model(spec)
        async with self._db.transaction(self._on_change) as session:
            current = await store.get_model(session, model_id)
            name = spec.model.strip()
            if current.model in self._immutable and name != current.model:
                raise errors.ForbiddenError("serverops: immutable model", param="model")
            changed = _model(
                current.id, spec, created_at=current.created_at, updated_at=datetime.now(UTC)
            )
            return await store.update_model(session, changed)

    async def delete(self, name: str, *, purge: bool = False) -> None:
        """Remove a model by name; `purge` also drops and stops its pulls."""
        if name in self._immutable:
            raise errors.ForbiddenError("serverops: immutable model")
        async with self._db.transaction(self._on_change) as session:
            await store.delete_model_by_name(session, name)
        if purge and self._purge is not None:
            await self._purge(name)


def _model(model_id: str, spec: ModelSpec, *, created_at: datetime, updated_at: datetime) -> Model:
    return Model(
        id=model_id,
        model=spec.model.strip(),
        context_length=spec.context_length,
        can_chat=spec.can_chat,
        can_embed=spec.can_embed,
        can_prompt=spec.can_prompt,
        can_stream=spec.can_stream,
        created_at=created_at,
        updated_at=updated_at,
    )
