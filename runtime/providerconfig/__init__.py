"""Cloud provider credentials (OpenAI, Gemini) and the virtual backends they create."""

from runtime.providerconfig.secrets import SecretBox
from runtime.providerconfig.service import ProviderService, parse_provider
from runtime.providerconfig.types import CloudProvider, ProviderConfig, ProviderStatus

__all__ = [
    "CloudProvider",
    "ProviderConfig",
    "ProviderService",
    "ProviderStatus",
    "SecretBox",
    "parse_provider",
]
