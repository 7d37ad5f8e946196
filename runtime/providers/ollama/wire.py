"""Ollama's JSON shapes and their conversion to provider-neutral messages. Pure."""

from __future__ import annotations

from datetime import datetime

import msgspec

from runtime.providers.messages import Capabilities, ModelDetails, PullProgress, ServedModel


class TagDetails(msgspec.Struct, kw_only=True):
    """`details` of an entry in /api/tags and /api/show."""

    parent_model: str = ""
    format: str = ""
    family: str = ""
    families: list[str] | None = None
    parameter_size: str = ""
    quantization_level: str = ""


class Tag(msgspec.Struct, kw_only=True):
    """One model in /api/tags."""

    name: str
    model: str = ""
    modified_at: datetime | None = None
    size: int = 0
    digest: str = ""
    details: TagDetails | None = None


class Tags(msgspec.Struct, kw_only=True):
    """The /api/tags answer."""

    models: list[Tag] | None = None


class Show(msgspec.Struct, kw_only=True):
    """The parts of /api/show we use."""

    capabilities: list[str] | None = None
    model_info: dict[str, object] | None = None


class PullLine(msgspec.Struct, kw_only=True):
    """One NDJSON line of /api/pull."""

    status: str = ""
    digest: str = ""
    total: int = 0
    completed: int = 0
    error: str = ""


class Generated(msgspec.Struct, kw_only=True):
    """The /api/generate answer (not streamed)."""

    response: str = ""


class Embedded(msgspec.Struct, kw_only=True):
    """The /api/embed answer."""

    embeddings: list[list[float]] | None = None


def served(tag: Tag) -> ServedModel:
    details = tag.details or TagDetails()
    return ServedModel(
        name=tag.name,
        model=tag.model or tag.name,
        modified_at=tag.modified_at,
        size=tag.size,
        digest=tag.digest,
        details=ModelDetails(
            parent_model=details.parent_model,
            format=details.format,
            family=details.family,
            families=tuple(details.families or ()),
            parameter_size=details.parameter_size,
            quantization_level=details.quantization_level,
        ),
    )


def capabilities(show: Show) -> Capabilities:
    """Ollama's capability words and `<arch>.context_length` as our Capabilities."""
    words = set(show.capabilities or ())
    context = 0
    for key, value in (show.model_info or {}).items():
        if key.endswith(".context_length") and isinstance(value, int):
            context = value
            break
    generates = "completion" in words
    return Capabilities(
        context_length=context,
        can_chat=generates,
        can_prompt=generates,
        can_stream=generates,
        can_embed="embedding" in words,
    )


def progress(line: PullLine) -> PullProgress:
    return PullProgress(
        status=line.status, digest=line.digest, total=line.total, completed=line.completed
    )
