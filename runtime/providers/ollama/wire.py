"""Ollama's answers as provider-neutral messages (the shapes are in `runtime.wire.ollama`). Pure."""

from __future__ import annotations

from runtime.providers.messages import Capabilities, ModelDetails, PullProgress, ServedModel
from runtime.wire.ollama import PullLine, Show, Tag, TagDetails


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
