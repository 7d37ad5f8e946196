"""/providers: configure cloud provider keys (OpenAI, Gemini); keys are only shown masked."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime.api.base import ApiStruct, Description, literal, page_request
from runtime.providerconfig import ProviderConfig, ProviderService, ProviderStatus, parse_provider


class ConfigureIn(ApiStruct):
    """Body of POST /providers/{type}/configure."""

    api_key: Description = ""
    upsert: bool = False


class StatusOut(ApiStruct):
    """Whether a provider is configured; `updatedAt` is null when it is not."""

    configured: bool
    updated_at: datetime | None
    provider: str

    @classmethod
    def from_domain(cls, status: ProviderStatus) -> StatusOut:
        return cls(
            configured=status.configured,
            updated_at=status.updated_at,
            provider=status.provider.value,
        )


class ConfigOut(msgspec.Struct, rename={"api_key": "APIKey", "type": "Type"}):
    """A provider config as the API reference spells it; the key is masked."""

    api_key: str
    type: str

    @classmethod
    def from_domain(cls, config: ProviderConfig) -> ConfigOut:
        return cls(api_key=config.api_key, type=config.provider.value)


class ProviderController(Controller):
    """Cloud provider credentials."""

    path = "/providers"

    @post("/{provider_type:str}/configure", status_code=200)
    async def configure_provider(
        self,
        provider_type: FromPath[str],
        data: JSONBody[ConfigureIn],
        providers: NamedDependency[ProviderService],
    ) -> StatusOut:
        status = await providers.configure(
            parse_provider(provider_type), data.api_key, upsert=data.upsert
        )
        return StatusOut.from_domain(status)

    @get("/{provider_type:str}/status")
    async def get_provider_status(
        self, provider_type: FromPath[str], providers: NamedDependency[ProviderService]
    ) -> StatusOut:
        return StatusOut.from_domain(await providers.status(parse_provider(provider_type)))

    @get("/{provider_type:str}/config")
    async def get_provider_config(
        self, provider_type: FromPath[str], providers: NamedDependency[ProviderService]
    ) -> ConfigOut:
        return ConfigOut.from_domain(await providers.get(parse_provider(provider_type)))

    @delete("/{provider_type:str}/config", status_code=200)
    async def delete_provider_config(
        self, provider_type: FromPath[str], providers: NamedDependency[ProviderService]
    ) -> Response[bytes]:
        await providers.delete(parse_provider(provider_type))
        return literal("Provider config deleted successfully")

    @get("/configs")
    async def list_provider_configs(
        self,
        providers: NamedDependency[ProviderService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[ConfigOut]:
        configs = await providers.list_page(page_request(limit, cursor, max_limit=None))
        return [ConfigOut.from_domain(config) for config in configs]
