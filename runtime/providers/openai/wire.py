"""OpenAI-compatible JSON shapes and their conversion to provider-neutral messages. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from runtime.providers.messages import Capabilities, ServedModel


class ModelEntry(msgspec.Struct, kw_only=True):
    """One entry of GET /v1/models (vLLM adds `max_model_len`)."""

    id: str
    created: int | None = None
    owned_by: str = ""
    max_model_len: int | None = None


class ModelList(msgspec.Struct, kw_only=True):
    """The GET /v1/models answer."""

    data: list[ModelEntry] | None = None


def api_root(base_url: str) -> str:
    """`http://h:8000` and `http://h:8000/v1` name the same server; return the `/v1` form."""
    base = base_url.rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


def served(entry: ModelEntry) -> ServedModel:
    capabilities = None
    if entry.max_model_len:
        capabilities = Capabilities(
            context_length=entry.max_model_len,
            can_chat=True,
            can_embed=True,
            can_prompt=True,
            can_stream=True,
        )
    created = datetime.fromtimestamp(entry.created, UTC) if entry.created else None
    return ServedModel(
        name=entry.id, model=entry.id, modified_at=created, capabilities=capabilities
    )


class Embedding(msgspec.Struct, kw_only=True):
    """One item of a /v1/embeddings answer."""

    embedding: list[float]
    index: int = 0


class EmbeddingUsage(msgspec.Struct, kw_only=True):
    """Tokens an embeddings request counted."""

    prompt_tokens: int = 0


class Embeddings(msgspec.Struct, kw_only=True):
    """The /v1/embeddings answer."""

    data: list[Embedding] | None = None
    usage: EmbeddingUsage | None = None
