"""LLM drivers: the HTTP wire formats of each backend kind behind one protocol.

`driver_for` is the only place that chooses by backend kind.
"""

from __future__ import annotations

import httpx

from runtime.providers.base import Chat, Driver, DriverSettings
from runtime.providers.gemini.driver import GeminiDriver
from runtime.providers.ollama.driver import OllamaDriver
from runtime.providers.openai.driver import OpenAIDriver


def driver_for(
    kind: str,
    base_url: str,
    client: httpx.AsyncClient,
    settings: DriverSettings,
    *,
    api_key: str | None = None,
) -> Driver:
    """A driver for a backend of `kind` (ollama, vllm, openai, gemini) at `base_url`."""
    match kind:
        case "ollama":
            return OllamaDriver(client, base_url, settings)
        case "vllm" | "openai":
            return OpenAIDriver(client, base_url, settings, api_key=api_key)
        case "gemini":
            return GeminiDriver(client, base_url, settings, api_key=api_key)
        case _:
            raise ValueError(f"unsupported backend kind {kind!r}")


__all__ = ["Chat", "Driver", "DriverSettings", "driver_for"]
