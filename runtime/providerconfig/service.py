"""Use cases for cloud provider credentials and their virtual backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db import Database
from runtime.paging import PageRequest
from runtime.providerconfig import store
from runtime.providerconfig.secrets import SecretBox, mask
from runtime.providerconfig.types import CloudProvider, ProviderConfig, ProviderStatus
from runtime.registry import store as registry_store
from runtime.registry.types import Backend, BackendKind


def parse_provider(value: str) -> CloudProvider:
    """The provider named in a path; raises NotFoundError for anything else."""
    try:
        return CloudProvider(value)
    except ValueError:
        raise errors.NotFoundError(
            f"unknown provider type {value!r}: expected openai or gemini", param="providerType"
        ) from None


class ProviderService:
    """Configure provider API keys; keys are sealed at rest and only ever shown masked."""

    def __init__(
        self,
        db: Database,
        *,
        secrets: SecretBox,
        max_rows: int,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._on_change = on_change
        self._secrets = secrets
        self._max_rows = max_rows

    async def configure(
        self, provider: CloudProvider, api_key: str, *, upsert: bool
    ) -> ProviderStatus:
        if not api_key.strip():
            raise errors.InvalidInputError("api key is required", param="apiKey")
        now = datetime.now(UTC)
        async with self._db.transaction(self._on_change) as session:
            # counted first: the cap lock also makes configure run one at a time, so two
            # replicas configuring one provider never both insert its config and backend
            count = await store.count_configs(session)
            current = await store.find_config(session, provider)
            if current is not None and not upsert:
                raise errors.InvalidInputError("provider config already exists", param="upsert")
            if current is None and count >= self._max_rows:
                raise errors.LimitExceededError(f"row limit reached (max {self._max_rows})")
            backend = await _ensure_virtual_backend(session, provider, now)
            sealed = ProviderConfig(
                provider=provider,
                api_key=self._secrets.seal(api_key.strip()),
                base_url=backend.base_url,
                created_at=current.created_at if current else now,
                updated_at=now,
            )
            await store.put_config(session, sealed)
        return ProviderStatus(provider=provider, configured=True, updated_at=now)

    async def status(self, provider: CloudProvider) -> ProviderStatus:
        async with self._db.transaction() as session:
            config = await store.find_config(session, provider)
        return ProviderStatus(
            provider=provider,
            configured=config is not None,
            updated_at=config.updated_at if config else None,
        )

    async def get(self, provider: CloudProvider) -> ProviderConfig:
        """The stored config with its key masked; raises NotFoundError when unconfigured."""
        async with self._db.transaction() as session:
            config = await store.find_config(session, provider)
        if config is None:
            raise errors.NotFoundError(f"provider {provider.value!r} is not configured")
        return self._masked(config)

    async def list_page(self, page: PageRequest) -> list[ProviderConfig]:
        async with self._db.transaction() as session:
            configs = await store.list_configs(session, page)
        return [self._masked(config) for config in configs]

    async def delete(self, provider: CloudProvider) -> None:
        """Remove the key and the provider's virtual backend with it."""
        async with self._db.transaction(self._on_change) as session:
            await store.delete_config(session, provider)
            backend = await registry_store.find_backend(session, provider.value)
            if backend is not None:
                await registry_store.delete_backend(session, backend.id)

    async def api_keys(self) -> dict[CloudProvider, tuple[str, str]]:
        """Every configured provider's plaintext key and the URL it is bound to.

        For drivers only, never for replies.
        """
        async with self._db.transaction() as session:
            configs = await store.list_configs(session, PageRequest(limit=len(CloudProvider)))
        keys = {}
        for config in configs:
            try:
                keys[config.provider] = (self._secrets.open(config.api_key), config.base_url)
            except errors.UnavailableError:
                continue  # undecryptable: the backend reports "API key not configured"
        return keys

    def _masked(self, config: ProviderConfig) -> ProviderConfig:
        return msgspec.structs.replace(config, api_key=mask(self._secrets.open(config.api_key)))


async def _ensure_virtual_backend(
    session: AsyncSession, provider: CloudProvider, now: datetime
) -> Backend:
    """The provider's backend, created unless it exists (an operator may have edited it).

    The key being configured is bound to this backend's URL.
    """
    found = await registry_store.find_backend(session, provider.value)
    if found is not None:
        return found
    return await registry_store.create_backend(
        session,
        Backend(
            id=provider.value,
            name=provider.value,
            base_url=provider.base_url,
            type=BackendKind(provider.value),
            created_at=now,
            updated_at=now,
        ),
    )
