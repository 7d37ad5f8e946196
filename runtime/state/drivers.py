"""Drivers: the driver for each backend, with the provider key that backend may use.

Provider keys are read once per reconcile cycle; only the provider's own virtual backend
(id `openai`) or a Gemini backend is ever given a provider key.
"""

from __future__ import annotations

import httpx

from runtime.providerconfig import CloudProvider, ProviderService
from runtime.providers import Driver, DriverSettings, driver_for
from runtime.registry.types import Backend, BackendKind


class Drivers:
    """Callable `Backend -> Driver` sharing one pooled HTTP client."""

    def __init__(
        self, client: httpx.AsyncClient, settings: DriverSettings, providers: ProviderService
    ) -> None:
        self._client = client
        self._settings = settings
        self._providers = providers
        self._keys: dict[CloudProvider, str] = {}

    async def refresh_keys(self) -> None:
        self._keys = await self._providers.api_keys()

    def __call__(self, backend: Backend) -> Driver:
        return driver_for(
            backend.type.value,
            backend.base_url,
            self._client,
            self._settings,
            api_key=self._key_for(backend),
        )

    def _key_for(self, backend: Backend) -> str | None:
        if backend.type is BackendKind.GEMINI:
            return self._keys.get(CloudProvider.GEMINI)
        if backend.type is BackendKind.OPENAI and backend.id == CloudProvider.OPENAI.value:
            return self._keys.get(CloudProvider.OPENAI)
        return None
