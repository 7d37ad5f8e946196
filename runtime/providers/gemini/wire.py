"""Gemini JSON shapes and their conversion to provider-neutral messages. Pure."""

from __future__ import annotations

import msgspec

from runtime.providers.messages import Capabilities, ServedModel


class GeminiModel(msgspec.Struct, kw_only=True, rename="camel"):
    """One entry of GET /v1beta/models."""

    name: str
    display_name: str = ""
    input_token_limit: int = 0
    supported_generation_methods: list[str] | None = None


class GeminiModelList(msgspec.Struct, kw_only=True, rename="camel"):
    """One page of GET /v1beta/models."""

    models: list[GeminiModel] | None = None
    next_page_token: str = ""


class Values(msgspec.Struct, kw_only=True):
    """An embedding's numbers."""

    values: list[float]


class BatchEmbedded(msgspec.Struct, kw_only=True):
    """The batchEmbedContents answer: one embedding per request, in order."""

    embeddings: list[Values] | None = None


def served(entry: GeminiModel) -> ServedModel:
    methods = set(entry.supported_generation_methods or ())
    generates = "generateContent" in methods
    return ServedModel(
        name=entry.name.removeprefix("models/"),
        model=entry.name,
        capabilities=Capabilities(
            context_length=entry.input_token_limit,
            can_chat=generates,
            can_prompt=generates,
            can_stream=generates,
            can_embed="embedContent" in methods,
        ),
    )
