"""Domain data for cloud provider credentials."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class CloudProvider(StrEnum):
    """Cloud providers that are configured by API key and get a virtual backend."""

    OPENAI = "openai"
    GEMINI = "gemini"

    @property
    def base_url(self) -> str:
        if self is CloudProvider.OPENAI:
            return "https://api.openai.com/v1"
        return "https://generativelanguage.googleapis.com"


class ProviderConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A stored provider credential; `api_key` is the plaintext key, sent only to `base_url`."""

    provider: CloudProvider
    api_key: str
    base_url: str = ""
    created_at: datetime
    updated_at: datetime


class ProviderStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a provider has a key, and since when."""

    provider: CloudProvider
    configured: bool
    updated_at: datetime | None
