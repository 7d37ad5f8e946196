"""Drivers: the driver for each backend, with the provider key that backend may use.

Provider keys are read once per reconcile cycle; a key is only given to a backend of its
provider's kind whose URL is the one the key was configured for.
"""

from __future__ import annotations

import httpx

from runtime.providerconfig import CloudProvider, ProviderService
from runtime.providers import Driver, DriverSettings, driver_for
from runtime.registry.types import Backend, BackendKind

_KEPT = 1024  # drivers kept at most


class Drivers:
    """Callable `Backend -> Driver` sharing one pooled HTTP client."""

    def __init__(
        self, client: httpx.AsyncClient, settings: DriverSettings, providers: ProviderService
    ) -> None:
        self._client = client
        self._settings = settings
        self._providers = providers
        self._keys: dict[CloudProvider, tuple[str, str]] = {}
        self._made: dict[tuple[str, str, str | None], Driver] = {}

    async def refresh_keys(self) -> None:
        self._keys = await self._providers.api_keys()

    def __call__(self, backend: Backend) -> Driver:
        """The backend's driver, made once per (kind, URL, key) and kept.

        Drivers hold no per-request state (an OpenAI driver remembers a backend that refused
        `stream_options`); the pooled client is shared.
        """
        key = self._key_for(backend)
        made = (backend.type.value, backend.base_url, key)
        driver = self._made.get(made)
        if driver is None:
            if len(self._made) >= _KEPT:
                self._made.clear()  # backends were replaced many times: start afresh
            driver = self._made[made] = driver_for(
                backend.type.value, backend.base_url, self._client, self._settings, api_key=key
            )
        return driver

    def _key_for(self, backend: Backend) -> str | None:
        if backend.type is BackendKind.GEMINI:
            provider = CloudProvider.GEMINI
        elif backend.type is BackendKind.OPENAI and backend.id == CloudProvider.OPENAI.value:
            provider = CloudProvider.OPENAI
        else:
            return None
        key, url = self._keys.get(provider, ("", ""))
        if not key or not _same_url(url, backend.base_url):
            return None
        return key


def _same_url(bound: str, current: str) -> bool:
    return bool(bound) and bound.rstrip("/").lower() == current.rstrip("/").lower()
