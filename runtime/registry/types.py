"""Domain data for declared backends and models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class BackendKind(StrEnum):
    """The kinds of LLM server we can drive: the one list of them."""

    OLLAMA = "ollama"
    VLLM = "vllm"
    OPENAI = "openai"
    GEMINI = "gemini"


class Backend(msgspec.Struct, frozen=True, kw_only=True):
    """An LLM server the operator registered."""

    id: str
    name: str
    base_url: str
    type: BackendKind
    created_at: datetime
    updated_at: datetime


class BackendSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a caller gives to create or update a backend (not yet validated)."""

    name: str
    base_url: str
    type: str


class Model(msgspec.Struct, frozen=True, kw_only=True):
    """A declared LLM model: its name, context length and capabilities."""

    id: str
    model: str
    context_length: int
    can_chat: bool
    can_embed: bool
    can_prompt: bool
    can_stream: bool
    created_at: datetime
    updated_at: datetime


class ModelSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a caller gives to declare or update a model (not yet validated)."""

    model: str
    context_length: int
    can_chat: bool = False
    can_embed: bool = False
    can_prompt: bool = False
    can_stream: bool = False
