"""Domain data of routing: what a request needs, and where it may go."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from runtime.registry.types import Backend


class Capability(StrEnum):
    """What a request asks of a model."""

    CHAT = "chat"
    PROMPT = "prompt"
    EMBED = "embed"
    STREAM = "stream"


class RouteRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A model by name, the capabilities the call needs, and the context it must hold."""

    model: str
    needs: frozenset[Capability]
    min_context: int = 0
    provider: str | None = None  # a backend type (ollama, vllm, openai, gemini); None: any


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """One concrete place to send a request: a backend and the name it serves the model by."""

    backend: Backend
    model: str
    context_length: int
