"""Cloud provider credentials (OpenAI, Gemini) and the virtual backends they create."""

from runtime.providerconfig.secrets import SecretBox, mask
from runtime.providerconfig.service import ProviderService, parse_provider
from runtime.providerconfig.types import CloudProvider, ProviderConfig, ProviderStatus

__all__ = [
    "CloudProvider",
    "ProviderConfig",
    "ProviderService",
    "ProviderStatus",
    "SecretBox",
    "mask",
    "parse_provider",
]
