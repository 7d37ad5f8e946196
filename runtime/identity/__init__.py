"""Identity and access: API keys with scopes, rate limits (imports no other domain package)."""

from runtime.identity.keys import KeyService
from runtime.identity.limits import RateLimiter
from runtime.identity.types import ApiKey, IssuedKey, KeySpec, Limits, Principal

__all__ = ["ApiKey", "IssuedKey", "KeyService", "KeySpec", "Limits", "Principal", "RateLimiter"]
