"""Provider-neutral data the drivers return: served models and pull progress.

Pure data: no I/O, no knowledge of any wire format.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class ModelDetails(msgspec.Struct, frozen=True, kw_only=True):
    """Format and family facts of a served model, as far as the backend reports them."""

    parent_model: str = ""
    format: str = ""
    family: str = ""
    families: tuple[str, ...] = ()
    parameter_size: str = ""
    quantization_level: str = ""


class Capabilities(msgspec.Struct, frozen=True, kw_only=True):
    """What a served model can do, and its context window (0 when the backend does not say)."""

    context_length: int = 0
    can_chat: bool = False
    can_embed: bool = False
    can_prompt: bool = False
    can_stream: bool = False


class ServedModel(msgspec.Struct, frozen=True, kw_only=True):
    """A model a backend has available right now."""

    name: str
    model: str
    modified_at: datetime | None = None
    size: int = 0
    digest: str = ""
    details: ModelDetails = ModelDetails()
    capabilities: Capabilities | None = None


class PullProgress(msgspec.Struct, frozen=True, kw_only=True):
    """One progress report of a model pull (Ollama's NDJSON status lines)."""

    status: str
    digest: str = ""
    total: int = 0
    completed: int = 0


class Embedded(msgspec.Struct, frozen=True, kw_only=True):
    """Embedding vectors, one per input text, and the tokens the backend counted (0: unknown)."""

    vectors: list[list[float]]
    prompt_tokens: int = 0
