"""Identity and access: API keys with scopes, users and tokens, rate limits.

Imports no other domain package; the API consults it through its access guard.
"""

from runtime.identity.keys import KeyService
from runtime.identity.limits import RateLimiter
from runtime.identity.types import (
    ApiKey,
    IssuedKey,
    KeySpec,
    Limits,
    Principal,
    Session,
    User,
    UserSpec,
)
from runtime.identity.users import UserService

__all__ = [
    "ApiKey",
    "IssuedKey",
    "KeyService",
    "KeySpec",
    "Limits",
    "Principal",
    "RateLimiter",
    "Session",
    "User",
    "UserService",
    "UserSpec",
]
