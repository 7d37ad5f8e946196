"""Remote hooks: tool servers described by OpenAPI, callable from task chains."""

from runtime.hooks.service import HookService
from runtime.hooks.types import HookSpec, InjectionArg, RemoteHook

__all__ = ["HookService", "HookSpec", "InjectionArg", "RemoteHook"]
